import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { computeLabelFingerprint } from '../../analyzer/inbound/parse-alertmanager.js';
import type { SpotInterruptionEvent } from '../../analyzer/inbound/types.js';
import { createApp } from '../../api/app.js';
import type { InboundDeps } from '../../api/context.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { alertmanagerAvailable, buildWebhookConfig, startTestAlertmanager } from './helpers/alertmanager.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const viewerToken = 'viewer-token-0123456789';
const alertmanagerToken = 'alertmanager-sender-token-0123456789';
const awsToken = 'eventbridge-sender-token-0123456789';
const fixtures = join(import.meta.dirname, '../fixtures/inbound');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function inboundDeps(onSpotInterruption?: InboundDeps['onSpotInterruption']): InboundDeps {
  const config = Config.parse({
    inbound: {
      alertmanager: { bearerTokens: [{ name: 'alertmanager', token: alertmanagerToken }] },
      awsEvents: { bearerTokens: [{ name: 'eventbridge', token: awsToken }] },
    },
  }).inbound;
  if (!config) throw new Error('inbound config did not parse');
  return { config, cluster: 'it', onSpotInterruption };
}

function buildApp(handle: DbHandle, inbound: InboundDeps, clock: Clock = systemClock) {
  const registry = createRegistry({ defaultMetrics: false });
  return createApp({
    db: handle.db,
    clock,
    registry,
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [{ name: 'viewer', role: 'viewer', token: viewerToken }],
    isReady: async () => ({ ready: true }),
    costs: createCostDeps(handle.db, Config.parse({}), registry),
    inbound,
  });
}

describe.runIf(postgresAvailable())('inbound receivers on real PostgreSQL', () => {
  let server: TestPostgres;
  let handle: DbHandle;
  const calls: SpotInterruptionEvent[] = [];
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    server = await startTestPostgres();
    handle = await openDb({ url: await server.createDatabase('inbound'), poolSize: 10 });
    await handle.migrate();
    app = buildApp(
      handle,
      inboundDeps(async (e) => {
        calls.push(e);
        await sleep(20);
      }),
    );
  });
  afterAll(async () => {
    await handle?.close();
    server?.destroy();
  });

  const post = (path: string, body: string, token: string) =>
    app.request(path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });

  it('calls the spot hook once for eight copies of one event arriving at once', async () => {
    const event = JSON.parse(
      readFileSync(join(fixtures, 'eventbridge-spot-interruption-warning.json'), 'utf8'),
    );
    const body = JSON.stringify({ ...event, id: 'concurrent-1', time: new Date().toISOString() });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/api/v1/inbound/aws-events', body, awsToken)),
    );
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { duplicate: boolean }[];
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });

  it('stores each alert once for eight copies of one notification arriving at once', async () => {
    const body = readFileSync(join(fixtures, 'alertmanager-v4-current.json'), 'utf8');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/api/v1/inbound/alertmanager', body, alertmanagerToken)),
    );
    const receipts = (await Promise.all(answers.map((r) => r.json()))) as { accepted: number }[];
    expect(receipts.reduce((sum, r) => sum + r.accepted, 0)).toBe(2);
    const listed = await app.request('/api/v1/inbound/alerts', {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(((await listed.json()) as { page: { total: number } }).page.total).toBe(2);
  });
});

describe.runIf(alertmanagerAvailable())('a real Alertmanager posting to the receiver', () => {
  let handle: DbHandle;
  let gpuscope: ReturnType<typeof serve>;
  let gpuscopeUrl: string;
  let alertmanager: Awaited<ReturnType<typeof startTestAlertmanager>>;

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const app = buildApp(handle, inboundDeps());
    gpuscope = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    gpuscopeUrl = `http://127.0.0.1:${(gpuscope.address() as AddressInfo).port}`;
    alertmanager = await startTestAlertmanager({
      config: buildWebhookConfig({
        receiver: 'gpuscope',
        url: `${gpuscopeUrl}/api/v1/inbound/alertmanager`,
        bearerToken: alertmanagerToken,
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await alertmanager?.stop();
    await new Promise<void>((resolve) => (gpuscope ? gpuscope.close(() => resolve()) : resolve()));
    await handle?.close();
  });

  it("stores Alertmanager's own fingerprint, the same one gpuscope computes for payloads without it", async () => {
    const labels = {
      alertname: 'GpuscopeFingerprintCheck',
      Hostname: 'gpu-node-0001',
      instance: '10.0.4.17:9400',
      zone: 'eu-west-1a',
      note: 'ünïcode → values',
    };
    const pushed = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels, annotations: { summary: 'check' }, generatorURL: 'http://prom/graph' },
      ]),
    });
    expect(pushed.status).toBe(200);

    let stored: { fingerprint: string; fingerprintSource: string; labels: Record<string, string> }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && stored.length === 0) {
      await sleep(250);
      const res = await fetch(`${gpuscopeUrl}/api/v1/inbound/alerts`, {
        headers: { authorization: `Bearer ${viewerToken}` },
      });
      stored = ((await res.json()) as { data: typeof stored }).data;
    }
    if (stored.length === 0)
      throw new Error(`no notification in 30 s; alertmanager log:\n${alertmanager.logs()}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.fingerprintSource).toBe('alertmanager');
    expect(stored[0]?.labels).toEqual(labels);
    expect(stored[0]?.fingerprint).toBe(computeLabelFingerprint(labels));
  }, 60_000);
});
