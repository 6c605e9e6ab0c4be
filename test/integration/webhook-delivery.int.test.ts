import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyDetections, type Detection } from '../../analyzer/findings/apply-detections.js';
import { createAddressPolicy } from '../../analyzer/webhooks/check-webhook-url.js';
import { countDeliveryStates } from '../../analyzer/webhooks/delivery-queries.js';
import { enqueueWebhookEventsFrom } from '../../analyzer/webhooks/enqueue-webhook-event.js';
import { createSubscription, listDeliveries, listSubscriptions } from '../../analyzer/webhooks/queries.js';
import { createWebhookSecret } from '../../analyzer/webhooks/sign-webhook.js';
import {
  runWebhookDeliveryTick,
  type WebhookDeliveryDeps,
  type WebhookDeliverySettings,
} from '../../api/webhooks/deliver-webhook.js';
import { createWebhookHttpClient, type WebhookHttpClient } from '../../api/webhooks/send-webhook-request.js';
import {
  startWebhookDeliveryWorker,
  type WebhookDeliveryWorker,
} from '../../api/webhooks/start-webhook-delivery-worker.js';
import { createWebhookMetrics } from '../../api/webhooks/webhook-metrics.js';
import { systemClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const settings: WebhookDeliverySettings = {
  concurrency: 16,
  batchSize: 100,
  pollIntervalMs: 50,
  timeoutSeconds: 1,
  leaseSeconds: 3,
  retryBaseSeconds: 0.2,
  retryMaxSeconds: 1,
  maxAgeHours: 1,
};

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!postgresAvailable())('webhook delivery on PostgreSQL', () => {
  let server: TestPostgres;
  let handle: DbHandle;
  let receiver: WebhookReceiver;
  let http: WebhookHttpClient;
  let registry: Registry;
  let deps: WebhookDeliveryDeps;
  const workers: WebhookDeliveryWorker[] = [];

  const subscribe = async (
    key: string,
    eventTypes: ['recommendation.created'] = ['recommendation.created'],
  ) => {
    const secret = createWebhookSecret();
    receiver.secrets.set(key, [secret]);
    return createSubscription(handle.db, { url: receiver.url(key), eventTypes, secret }, new Date());
  };
  /** `count` events in one statement, as the analyzer pass writes them. */
  const enqueue = async (count: number) => {
    return enqueueWebhookEventsFrom(
      handle.db,
      sql`select 'recommendation.created' as type, 'recommendation:' || g as subject, 1 as version,
        now() as occurred_at, null::timestamptz as expires_at, jsonb_build_object('id', g) as data
        from generate_series(1, ${count}::int) g`,
    );
  };
  const allEventIds = async () =>
    new Set(
      (await queryRows<{ id: string }>(handle.db, sql`select id from webhook_events`)).map((r) => r.id),
    );
  const undelivered = async () =>
    Number(
      (
        await queryRows<{ n: number }>(
          handle.db,
          sql`select count(*)::int as n from webhook_deliveries where status <> 'delivered'`,
        )
      )[0]?.n,
    );
  const start = () => {
    const worker = startWebhookDeliveryWorker(deps, settings);
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    server = await startTestPostgres();
    handle = await openDb({
      url: await server.createDatabase('webhooks'),
      log: createSilentLogger(),
      poolSize: 20,
    });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle?.close();
    server?.destroy();
  });
  beforeEach(async () => {
    await handle.db.execute(sql`truncate webhook_events, webhook_subscriptions cascade`);
    receiver = await startWebhookReceiver();
    http = createWebhookHttpClient();
    registry = new Registry();
    deps = {
      db: handle.db,
      clock: systemClock,
      log: createSilentLogger(),
      metrics: createWebhookMetrics(registry, () => countDeliveryStates(handle.db)),
      send: http.send,
      allowed: createAddressPolicy(['127.0.0.0/8']),
    };
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop({ graceMs: 0 });
    http.close();
    await receiver.close();
  });

  it('delivers the recommendation events an analyzer pass writes, each with its version and expiry', async () => {
    await handle.db.execute(sql`delete from findings`);
    await subscribe('a', ['recommendation.created']);
    const at = new Date();
    const detection = (gpu: string): Detection => ({
      kind: 'idle_gpu',
      subject: { type: 'gpu', id: gpu },
      severity: 'warning',
      title: `GPU ${gpu} held and idle`,
      evidence: {
        metric: 'm',
        window: { from: at.toISOString(), to: at.toISOString() },
        values: {},
        threshold: {},
      },
      recommend: {
        action: 'release_gpu',
        expectedMonthlySavingsUsd: '100',
        risk: 'low',
        details: {},
        ttlHours: 2,
      },
    });
    await applyDetections(handle.db, {
      cluster: 'c1',
      at,
      kinds: ['idle_gpu'],
      detections: Array.from({ length: 500 }, (_, i) => detection(`GPU-${i}`)),
    });
    start();
    await waitFor('every delivery', async () => (await undelivered()) === 0);
    expect(receiver.seen.get('a')?.size).toBe(500);
    const bodies = await queryRows<{
      data: { version: number; expiresAt: string; data: { status: string } };
    }>(
      handle.db,
      sql`select jsonb_build_object('version', version, 'expiresAt', expires_at, 'data', data) as data
        from webhook_events limit 1`,
    );
    expect(bodies[0]?.data).toMatchObject({ version: 1, data: { status: 'open' } });
    expect(Date.parse(bodies[0]?.data.expiresAt ?? '')).toBe(at.getTime() + 2 * 3_600_000);
  });

  it('delivers every event exactly once per subscription after the receiver was down and came back', async () => {
    await subscribe('a');
    await subscribe('b');
    await receiver.close();
    expect(await enqueue(300)).toEqual({ events: 300, deliveries: 600 });
    start();
    await waitFor('failed attempts while down', async () => {
      const rows = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from webhook_delivery_attempts where outcome = 'retry'`,
      );
      return Number(rows[0]?.n) >= 100;
    });
    await receiver.open();
    await waitFor('every delivery', async () => (await undelivered()) === 0);

    const ids = await allEventIds();
    for (const key of ['a', 'b']) {
      expect(receiver.seen.get(key)).toEqual(ids);
    }
    expect(receiver.badSignatures).toBe(0);
    const metrics = await registry.getMetricsAsJSON();
    const deliveries = metrics.find((m) => m.name === 'gpuscope_webhook_deliveries_total');
    expect(deliveries?.values.find((v) => v.labels['result'] === 'delivered')?.value).toBe(600);
    expect(deliveries?.values.find((v) => v.labels['result'] === 'failed')?.value).toBeGreaterThanOrEqual(
      100,
    );
    expect(await registry.getSingleMetricAsString('gpuscope_webhook_pending_deliveries')).toMatch(/ 0$/);
  });

  it('loses nothing when a worker dies mid-delivery: the next one retries what it held, seen once', async () => {
    await subscribe('a');
    await subscribe('b');
    receiver.behaviour = { kind: 'ok', holdMs: 400 };
    await enqueue(150);
    const first = start();
    await waitFor('attempts in flight', () => receiver.inFlight() >= 8);
    // a crash: no outcome written, no lease released; the requests in flight are cut
    await first.stop({ abandon: true });
    const processedBeforeCrash = (receiver.seen.get('a')?.size ?? 0) + (receiver.seen.get('b')?.size ?? 0);
    expect(processedBeforeCrash).toBeGreaterThan(0);
    receiver.behaviour = { kind: 'ok' };
    start();
    await waitFor('every delivery', async () => (await undelivered()) === 0);

    const ids = await allEventIds();
    expect(receiver.seen.get('a')).toEqual(ids);
    expect(receiver.seen.get('b')).toEqual(ids);
    // the cut requests were processed by the receiver and sent again: the idempotent receiver absorbed them
    expect(receiver.requests.length).toBeGreaterThan(300);
  });

  it('hands back what it holds on a clean stop, and two workers at once never send one delivery twice', async () => {
    await subscribe('a');
    receiver.behaviour = { kind: 'ok', holdMs: 200 };
    await enqueue(200);
    const first = start();
    await waitFor('attempts in flight', () => receiver.inFlight() >= 8);
    await first.stop({ graceMs: 0 });
    const pendingAfterStop = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from webhook_deliveries where status = 'pending' and lease_owner is not null`,
    );
    expect(Number(pendingAfterStop[0]?.n)).toBe(0);
    const requestsBefore = receiver.requests.length;
    receiver.behaviour = { kind: 'ok', holdMs: 5 };
    start();
    start();
    await waitFor('every delivery', async () => (await undelivered()) === 0);
    expect(receiver.seen.get('a')).toEqual(await allEventIds());
    const after = receiver.requests.slice(requestsBefore).map((r) => r.id);
    expect(new Set(after).size).toBe(after.length);
  });

  describe('faults', () => {
    const tick = () => runWebhookDeliveryTick(deps, settings, 'tick-worker');
    const deliveries = async (subscriptionId: string) =>
      listDeliveries(handle.db, subscriptionId, { limit: 10 });

    it('a receiver that times out: the attempt is cut at the timeout and retried', async () => {
      const sub = await subscribe('a');
      await enqueue(1);
      receiver.behaviour = { kind: 'hang' };
      const started = Date.now();
      expect(await tick()).toMatchObject({ failed: 1 });
      expect(Date.now() - started).toBeLessThan(5_000);
      const [d] = await deliveries(sub.id);
      expect(d).toMatchObject({ status: 'pending', lastError: 'timed out after 1 s' });
      expect(d?.attemptLog[0]).toMatchObject({
        outcome: 'retry',
        statusCode: null,
        error: 'timed out after 1 s',
      });
    });

    it('a 500 is retried with back-off and the same webhook-id until a 2xx', async () => {
      const sub = await subscribe('a');
      await enqueue(1);
      receiver.behaviour = { kind: 'status', status: 500 };
      await tick();
      receiver.behaviour = { kind: 'ok' };
      await waitFor('the retry', async () => (await tick()).delivered === 1, 10_000);
      const [d] = await deliveries(sub.id);
      expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(new Set(receiver.requests.map((r) => r.id)).size).toBe(1);
    });

    it('a 410 disables the subscription', async () => {
      const sub = await subscribe('a');
      await enqueue(3);
      receiver.behaviour = { kind: 'status', status: 410 };
      expect(await tick()).toMatchObject({ gone: 3 });
      expect((await listSubscriptions(handle.db)).find((s) => s.id === sub.id)?.status).toBe('disabled');
      expect((await deliveries(sub.id)).map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);
    });

    it('a 429 with Retry-After is not retried before the receiver asked', async () => {
      const sub = await subscribe('a');
      await enqueue(1);
      receiver.behaviour = { kind: 'status', status: 429, headers: { 'retry-after': '2' } };
      const at = Date.now();
      await tick();
      receiver.behaviour = { kind: 'ok' };
      const [d] = await deliveries(sub.id);
      const next = Date.parse(d?.nextAttemptAt ?? '');
      expect(next - at).toBeGreaterThanOrEqual(2_000);
      expect(await tick()).toMatchObject({ claimed: 0 });
      await waitFor('the retry after 2 s', async () => (await tick()).delivered === 1, 10_000);
      expect(Date.now() - at).toBeGreaterThanOrEqual(2_000);
    });

    it('a redirect is not followed and does not count as delivered', async () => {
      const sub = await subscribe('a');
      await enqueue(1);
      receiver.behaviour = {
        kind: 'status',
        status: 307,
        headers: { location: `http://127.0.0.1:${receiver.port}/hooks/elsewhere` },
      };
      expect(await tick()).toMatchObject({ failed: 1, delivered: 0 });
      expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks/a']);
      expect((await deliveries(sub.id))[0]).toMatchObject({ status: 'pending', lastStatusCode: 307 });
    });

    it('a receiver outside the allow-list is refused at delivery time without a request', async () => {
      const sub = await subscribe('a');
      await enqueue(1);
      deps.allowed = createAddressPolicy([]);
      expect(await tick()).toMatchObject({ failed: 1 });
      expect(receiver.requests).toHaveLength(0);
      expect((await deliveries(sub.id))[0]?.lastError).toMatch(/^refused: .*allowPrivateNetworks/);
    });
  });
});
