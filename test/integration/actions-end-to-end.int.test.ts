import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorRegistry } from '../../analyzer/actions/create-executor-registry.js';
import { getAction } from '../../analyzer/actions/queries.js';
import { runActionTick } from '../../analyzer/actions/run-action-tick.js';
import {
  actionsConfig,
  createTestDeps,
  insertPoolScaleDown,
  openSeededDb,
  T0,
} from '../../analyzer/actions/testing/seed.js';
import { createAddressPolicy } from '../../analyzer/webhooks/check-webhook-url.js';
import { countDeliveryStates } from '../../analyzer/webhooks/delivery-queries.js';
import { createSubscription } from '../../analyzer/webhooks/queries.js';
import { createWebhookSecret } from '../../analyzer/webhooks/sign-webhook.js';
import { runWebhookDeliveryTick } from '../../api/webhooks/deliver-webhook.js';
import { createWebhookHttpClient } from '../../api/webhooks/send-webhook-request.js';
import { createWebhookMetrics } from '../../api/webhooks/webhook-metrics.js';
import { systemClock } from '../../core/clock.js';
import { type DbHandle, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import {
  type KubeActionsHarness,
  NODE,
  nodeFixture,
  podOn,
  readWorkloadFixture,
  startKubeActionsHarness,
} from '../helpers/kube-actions-harness.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * Issue 5's output through issue 6's machinery, on real PostgreSQL: a pool scale-down recommendation is planned into a
 * drain, dry-run with `dryRun=All` and executed (policy `auto`) by the real Kubernetes executors against the fake API
 * server, and every step reaches a subscriber as a signed Standard Webhooks message it can verify.
 */
describe.skipIf(!postgresAvailable())('actions end to end', () => {
  let server: TestPostgres;
  let handle: DbHandle;
  let kube: KubeActionsHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    server = await startTestPostgres();
    handle = await openSeededDb(await server.createDatabase('actions_e2e'));
    kube = await startKubeActionsHarness();
    kube.api.put(nodeFixture());
    kube.api.put(podOn('deployment', NODE));
    kube.api.put(podOn('pytorchJob', NODE));
    kube.api.put(podOn('daemonset', NODE));
    kube.api.put(readWorkloadFixture('PodDisruptionBudget'));
    kube.api.setDisruptionsAllowed('inference', 'vllm-llama', 1);
    receiver = await startWebhookReceiver();
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await kube?.close();
    await handle?.close();
    server?.destroy();
  });

  it('drains the idle node of a pool scale-down and tells the subscriber each step, signed', async () => {
    const secret = createWebhookSecret();
    receiver.secrets.set('ops', [secret]);
    await createSubscription(
      handle.db,
      {
        url: receiver.url('ops'),
        eventTypes: ['action.planned', 'action.dry_run', 'action.executed'],
        secret,
      },
      new Date(),
    );
    await insertPoolScaleDown(handle.db, [NODE]);
    const { deps, errors } = createTestDeps(
      handle.db,
      createExecutorRegistry(kube.actions.executors),
      actionsConfig({ defaultMode: 'auto' }),
    );
    for (let i = 0; i < 5; i++) await runActionTick(deps, T0);
    expect(errors).toEqual([]);

    const [row] = await queryRows<{ id: number }>(handle.db, sql`select id from actions`);
    const action = await getAction(handle.db, row?.id ?? -1);
    expect(action).toMatchObject({ kind: 'drain_node', state: 'done' });
    // the dry run went to the server as dryRun=All before the real cordon
    const dryRunAt = kube.api.requests.findIndex((r) => r.startsWith('PATCH') && r.includes('dryRun=All'));
    const cordonAt = kube.api.requests.findIndex((r) => r.startsWith('PATCH') && !r.includes('dryRun'));
    expect(dryRunAt).toBeGreaterThan(-1);
    expect(dryRunAt).toBeLessThan(cordonAt);
    const node = kube.api.get('Node', NODE) as { spec: { unschedulable?: boolean } };
    expect(node.spec.unschedulable).toBe(true);
    expect(kube.api.get('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference')).toBeUndefined();
    expect(kube.api.get('Pod', 'nvidia-dcgm-exporter-7kq2m', 'gpu-operator')).toBeDefined();

    const http = createWebhookHttpClient();
    const registry = new Registry();
    const summary = await runWebhookDeliveryTick(
      {
        db: handle.db,
        clock: systemClock,
        log: createSilentLogger(),
        metrics: createWebhookMetrics(registry, () => countDeliveryStates(handle.db)),
        send: http.send,
        allowed: createAddressPolicy(['127.0.0.0/8']),
      },
      {
        concurrency: 4,
        batchSize: 50,
        pollIntervalMs: 50,
        timeoutSeconds: 2,
        leaseSeconds: 5,
        retryBaseSeconds: 1,
        retryMaxSeconds: 5,
        maxAgeHours: 1,
      },
      'e2e',
    );
    http.close();
    expect(summary.delivered).toBe(3);
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.seen.get('ops')?.size).toBe(3);
    const events = await queryRows<{ type: string; version: number }>(
      handle.db,
      sql`select e.type, e.version from webhook_events e join webhook_deliveries d on d.event_id = e.id
        where d.status = 'delivered' order by e.version`,
    );
    expect(events.map((e) => e.type)).toEqual(['action.planned', 'action.dry_run', 'action.executed']);
    expect(new Set(events.map((e) => e.version)).size).toBe(3);
  });
});
