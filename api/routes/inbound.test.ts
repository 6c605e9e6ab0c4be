import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { getSpotEventOutcome } from '../../analyzer/inbound/queries.js';
import type { SpotInterruptionEvent } from '../../analyzer/inbound/types.js';
import { signWebhook } from '../../analyzer/webhooks/sign-webhook.js';
import { cloudInstances } from '../../collector/aws/schema.js';
import { nodes } from '../../collector/schema.js';
import { createManualClock } from '../../core/clock.js';
import { Config, type InboundConfig } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createApp } from '../app.js';
import { sha256Hex } from '../auth.js';
import type { InboundDeps } from '../context.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/inbound');
const fixtureText = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name));

const now = Date.parse('2026-12-03T09:12:00Z');
const viewerToken = 'viewer-token-0123456789';
const alertmanagerToken = 'alertmanager-token-0123456789';
const awsToken = 'eventbridge-token-0123456789';
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function inboundConfig(overrides: Partial<InboundConfig> = {}): InboundConfig {
  return Config.parse({
    inbound: {
      alertmanager: { bearerTokens: [{ name: 'alertmanager', tokenSha256: sha256Hex(alertmanagerToken) }] },
      awsEvents: { bearerTokens: [{ name: 'eventbridge', token: awsToken }], apiKeyHeader: 'x-gpuscope-key' },
      ...overrides,
    },
  }).inbound as InboundConfig;
}

function spotEvent(id: string, ageSeconds = 30): Record<string, unknown> {
  return {
    ...fixture('eventbridge-spot-interruption-warning.json'),
    id,
    time: new Date(now - ageSeconds * 1000).toISOString().replace('.000', ''),
  };
}

async function counterValue(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

function buildApp(handle: DbHandle, inbound: InboundDeps, registry: Registry) {
  return createApp({
    db: handle.db,
    clock: createManualClock(now),
    registry,
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [{ name: 'dashboards', role: 'viewer', token: viewerToken }],
    isReady: async () => ({ ready: true }),
    costs: createCostDeps(handle.db, Config.parse({}), registry),
    inbound,
  });
}

describe('inbound receivers', () => {
  let handle: DbHandle;
  let app: ReturnType<typeof createApp>;
  const registry = createRegistry({ defaultMetrics: false });
  const hook = vi.fn<(e: SpotInterruptionEvent) => Promise<void>>(async () => {});

  const post = (path: string, body: string | object, token: string | null, headers = {}) =>
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });
  const postAlerts = (body: string | object, token: string | null = alertmanagerToken) =>
    post('/api/v1/inbound/alertmanager', body, token);
  const postEvent = (body: string | object, token: string | null = awsToken, headers = {}) =>
    post('/api/v1/inbound/aws-events', body, token, headers);
  const getAlerts = (query = '', token = viewerToken) =>
    app.request(`/api/v1/inbound/alerts${query}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    await handle.db.insert(nodes).values([
      { cluster: 'test', name: 'gpu-node-0001' },
      { cluster: 'test', name: 'gpu-node-0009' },
    ]);
    await handle.db.insert(cloudInstances).values({
      instanceId: 'i-0b662ef9931388ba0',
      instanceType: 'p5.48xlarge',
      region: 'us-east-1',
      node: 'gpu-node-0009',
      market: 'spot',
      state: 'running',
    });
    app = buildApp(handle, { config: inboundConfig(), cluster: 'test', onSpotInterruption: hook }, registry);
  }, 60_000);
  afterAll(async () => handle?.close());

  describe('POST /api/v1/inbound/alertmanager', () => {
    it('stores an older version 4 notification with the group status and a computed fingerprint', async () => {
      const res = await postAlerts(fixtureText('alertmanager-v4-legacy.json'));
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({ received: 1, accepted: 1, duplicates: 0, truncatedAlerts: 0 });
      const body = await readJson(await getAlerts('?status=firing'));
      const legacy = body.data.find((a: { receiver: string }) => a.receiver === 'teams_proxy');
      expect(legacy).toMatchObject({
        status: 'firing',
        fingerprintSource: 'computed',
        alertname: 'high_memory_load',
        labels: { instance: 'instance-with-hyphen_and_underscore', severity: 'warning' },
        node: null,
      });
    });

    it('stores a current notification and records the known node its Hostname label names', async () => {
      const res = await postAlerts(fixtureText('alertmanager-v4-current.json'));
      expect(await readJson(res)).toEqual({ received: 2, accepted: 2, duplicates: 0, truncatedAlerts: 0 });
      const body = await readJson(await getAlerts('?node=gpu-node-0001'));
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toMatchObject({
        status: 'firing',
        fingerprint: (fixture('alertmanager-v4-current.json').alerts as { fingerprint: string }[])[0]
          ?.fingerprint,
        fingerprintSource: 'alertmanager',
        endsAt: null,
      });
    });

    it('answers 200 to a replayed notification, stores nothing new and counts the duplicates', async () => {
      const before = await counterValue(registry, 'gpuscope_inbound_events_total', {
        source: 'alertmanager',
        result: 'duplicate',
      });
      const res = await postAlerts(fixtureText('alertmanager-v4-current.json'));
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ accepted: 0, duplicates: 2 });
      expect((await readJson(await getAlerts())).page.total).toBe(3);
      expect(
        await counterValue(registry, 'gpuscope_inbound_events_total', {
          source: 'alertmanager',
          result: 'duplicate',
        }),
      ).toBe(before + 2);
    });

    it('stores the resolution of a firing alert as a new row', async () => {
      const body = fixture('alertmanager-v4-legacy.json');
      const res = await postAlerts({ ...body, status: 'resolved' });
      expect(await readJson(res)).toMatchObject({ accepted: 1, duplicates: 0 });
      const resolved = await readJson(await getAlerts('?status=resolved'));
      expect(resolved.data.map((a: { alertname: string }) => a.alertname).sort()).toEqual([
        'DCGMXidErrors',
        'high_memory_load',
      ]);
    });

    describe('errors', () => {
      it('answers 400 naming the bad field', async () => {
        const body = fixture('alertmanager-v4-current.json') as { alerts: Record<string, unknown>[] };
        body.alerts[0]!['labels'] = 'not a map';
        const res = await postAlerts(body);
        expect(res.status).toBe(400);
        const error = (await readJson(res)).error;
        expect(error.code).toBe('VALIDATION');
        expect(error.message).toContain('alerts.0.labels');
      });

      it('answers 400 for a body that is not JSON and counts it invalid', async () => {
        const before = await counterValue(registry, 'gpuscope_inbound_events_total', {
          source: 'alertmanager',
          result: 'invalid',
        });
        const res = await postAlerts('{"version": "4",');
        expect(res.status).toBe(400);
        expect((await readJson(res)).error.message).toContain('not valid JSON');
        expect(
          await counterValue(registry, 'gpuscope_inbound_events_total', {
            source: 'alertmanager',
            result: 'invalid',
          }),
        ).toBe(before + 1);
      });
    });
  });

  describe('POST /api/v1/inbound/aws-events', () => {
    it('stores a fresh spot interruption and calls the hook once with the instance, region and action time', async () => {
      hook.mockClear();
      const res = await postEvent(spotEvent('11111111-0000-4000-8000-000000000001'));
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({
        id: '11111111-0000-4000-8000-000000000001',
        kind: 'interruption',
        instanceId: 'i-0b662ef9931388ba0',
        duplicate: false,
        outcome: 'handled',
      });
      expect(hook).toHaveBeenCalledTimes(1);
      expect(hook).toHaveBeenCalledWith({
        instanceId: 'i-0b662ef9931388ba0',
        kind: 'interruption',
        region: 'us-east-1',
        actionTime: new Date(now - 30_000 + 120_000),
      });
    });

    it('answers a replayed event id as a duplicate without calling the hook again', async () => {
      hook.mockClear();
      const res = await postEvent(spotEvent('11111111-0000-4000-8000-000000000001'));
      expect(await readJson(res)).toMatchObject({ duplicate: true, outcome: 'duplicate' });
      expect(hook).not.toHaveBeenCalled();
    });

    it('calls the hook once when two copies of one event arrive together', async () => {
      hook.mockClear();
      const event = spotEvent('11111111-0000-4000-8000-000000000002');
      const answers = await Promise.all([postEvent(event), postEvent(event)]);
      const bodies = await Promise.all(answers.map(readJson));
      expect(bodies.map((b) => b.duplicate).sort()).toEqual([false, true]);
      expect(hook).toHaveBeenCalledTimes(1);
    });

    it('records an event older than the configured age without acting on it', async () => {
      hook.mockClear();
      const res = await postEvent(fixtureText('eventbridge-spot-interruption-warning.json'));
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ duplicate: false, outcome: 'stale' });
      expect(hook).not.toHaveBeenCalled();
      expect(await getSpotEventOutcome(handle.db, '1e5527d7-bb36-4607-3370-4164db56a40e')).toBe('stale');
    });

    it('keeps the event and counts the failure when the hook throws', async () => {
      hook.mockRejectedValueOnce(new Error('EC2 throttled'));
      const event = {
        ...fixture('eventbridge-rebalance-recommendation.json'),
        time: new Date(now).toISOString(),
      };
      const res = await postEvent(event);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toMatchObject({ kind: 'rebalance', outcome: 'hook_failed' });
      expect(hook).toHaveBeenLastCalledWith({
        instanceId: 'i-0b662ef9931388ba0',
        kind: 'rebalance',
        region: 'us-east-1',
      });
      expect(await getSpotEventOutcome(handle.db, '5d5555d5-dd55-5555-5555-5555dd55d55d')).toBe(
        'hook_failed',
      );
      expect(
        await counterValue(registry, 'gpuscope_inbound_spot_events_total', {
          kind: 'rebalance',
          outcome: 'hook_failed',
        }),
      ).toBe(1);
    });

    it('answers pending when the hook outlasts hookWaitSeconds, and stores its outcome when it ends', async () => {
      let finish: () => void = () => {};
      const slow = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
      const config = inboundConfig({
        awsEvents: {
          bearerTokens: [{ name: 'eventbridge', token: awsToken }],
          maxEventAgeSeconds: 600,
          hookWaitSeconds: 0,
        },
      });
      const slowApp = buildApp(
        handle,
        { config, cluster: 'test', onSpotInterruption: slow },
        createRegistry({ defaultMetrics: false }),
      );
      const res = await slowApp.request('/api/v1/inbound/aws-events', {
        method: 'POST',
        body: JSON.stringify(spotEvent('11111111-0000-4000-8000-000000000005')),
        headers: { authorization: `Bearer ${awsToken}` },
      });
      expect(await readJson(res)).toMatchObject({ duplicate: false, outcome: 'pending' });
      expect(await getSpotEventOutcome(handle.db, '11111111-0000-4000-8000-000000000005')).toBe('pending');
      finish();
      await vi.waitFor(async () =>
        expect(await getSpotEventOutcome(handle.db, '11111111-0000-4000-8000-000000000005')).toBe('handled'),
      );
      expect(slow).toHaveBeenCalledTimes(1);
    });

    it('accepts the token in the configured API-key header (EventBridge API destination)', async () => {
      const res = await postEvent(spotEvent('11111111-0000-4000-8000-000000000003'), null, {
        'x-gpuscope-key': awsToken,
      });
      expect(res.status).toBe(200);
    });

    it('answers 400 naming detail-type for an event it does not handle', async () => {
      const res = await postEvent({
        ...spotEvent('11111111-0000-4000-8000-000000000004'),
        'detail-type': 'EC2 Instance State-change Notification',
      });
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toMatch(/^detail-type: /);
    });
  });

  describe('GET /openapi.json', () => {
    it('documents the receivers and the alert listing', async () => {
      const doc = await readJson(await app.request('/openapi.json'));
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/inbound/alertmanager',
          '/api/v1/inbound/aws-events',
          '/api/v1/inbound/alerts',
        ]),
      );
      expect(doc.paths['/api/v1/inbound/alertmanager'].post.requestBody).toBeDefined();
    });
  });

  describe('GET /api/v1/inbound/alerts', () => {
    it('answers 400 for a status Alertmanager never sends', async () => {
      expect((await getAlerts('?status=pending')).status).toBe(400);
    });
  });

  describe('security', () => {
    it('refuses a request without a token with the API error body', async () => {
      const res = await postAlerts(fixtureText('alertmanager-v4-legacy.json'), null);
      expect(res.status).toBe(401);
      const body = await readJson(res);
      expect(body).toEqual({
        error: { code: 'UNAUTHORIZED', message: 'missing bearer token', requestId: expect.any(String) },
      });
    });

    it('refuses a forged token before reading the body, and counts it rejected', async () => {
      const before = await counterValue(registry, 'gpuscope_inbound_events_total', {
        source: 'alertmanager',
        result: 'rejected',
      });
      const res = await postAlerts('not even json', 'forged-token-0123456789');
      expect(res.status).toBe(401);
      expect((await readJson(res)).error.message).toBe('invalid bearer token');
      expect(
        await counterValue(registry, 'gpuscope_inbound_events_total', {
          source: 'alertmanager',
          result: 'rejected',
        }),
      ).toBe(before + 1);
    });

    it('does not let an API viewer token post alerts or events', async () => {
      expect((await postAlerts(fixtureText('alertmanager-v4-legacy.json'), viewerToken)).status).toBe(401);
      expect((await postEvent(spotEvent('22222222-0000-4000-8000-000000000001'), viewerToken)).status).toBe(
        401,
      );
    });

    it("does not let one sender's token open the other receiver", async () => {
      const res = await postEvent(spotEvent('22222222-0000-4000-8000-000000000002'), alertmanagerToken);
      expect(res.status).toBe(401);
      expect((await postAlerts(fixtureText('alertmanager-v4-legacy.json'), awsToken)).status).toBe(401);
    });

    it('does not let a sender token open the API', async () => {
      const gpus = await app.request('/api/v1/gpus', {
        headers: { authorization: `Bearer ${alertmanagerToken}` },
      });
      expect(gpus.status).toBe(401);
      expect((await getAlerts('', alertmanagerToken)).status).toBe(401);
      expect((await getAlerts('', awsToken)).status).toBe(401);
    });

    it('refuses an oversized body from a forged sender as 401, and from a real one as 400', async () => {
      const huge = JSON.stringify({ padding: 'x'.repeat(5 * 1024 * 1024) });
      expect((await postAlerts(huge, 'forged-token-0123456789')).status).toBe(401);
      const res = await postAlerts(huge);
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toContain('larger than');
    });

    it('keeps the alert listing for API tokens', async () => {
      expect((await app.request('/api/v1/inbound/alerts')).status).toBe(401);
      expect((await getAlerts()).status).toBe(200);
    });
  });
});

describe('inbound receivers with signing secrets', () => {
  let handle: DbHandle;
  let app: ReturnType<typeof createApp>;
  const body = fixtureText('alertmanager-v4-current.json');
  const seconds = Math.floor(now / 1000);
  const signed = (text: string, options: { id?: string; at?: number; key?: string } = {}) => {
    const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const at = options.at ?? seconds;
    return app.request('/api/v1/inbound/alertmanager', {
      method: 'POST',
      body: text,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${alertmanagerToken}`,
        'webhook-id': id,
        'webhook-timestamp': String(at),
        'webhook-signature': signWebhook(options.key ?? secret, id, at, text),
      },
    });
  };

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const config = inboundConfig({ signingSecrets: [secret] });
    app = buildApp(handle, { config, cluster: 'test' }, createRegistry({ defaultMetrics: false }));
  }, 60_000);
  afterAll(async () => handle?.close());

  it('accepts a notification with a valid signature', async () => {
    const res = await signed(body);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ accepted: 2 });
  });

  it('stores a signed request replayed within the tolerance only once', async () => {
    const res = await signed(body);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ accepted: 0, duplicates: 2 });
  });

  it('refuses a valid token without a signature', async () => {
    const res = await app.request('/api/v1/inbound/alertmanager', {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${alertmanagerToken}` },
    });
    expect(res.status).toBe(401);
    expect((await readJson(res)).error.message).toContain('missing required headers');
  });

  it('refuses a signature whose timestamp is older than the tolerance (a replay)', async () => {
    const res = await signed(body, { at: seconds - 301 });
    expect(res.status).toBe(401);
    expect((await readJson(res)).error.message).toContain('too old');
  });

  it('refuses a body changed after signing', async () => {
    const id = 'msg_forged';
    const res = await app.request('/api/v1/inbound/alertmanager', {
      method: 'POST',
      body: body.replace('gpu-node-0001', 'gpu-node-0666'),
      headers: {
        authorization: `Bearer ${alertmanagerToken}`,
        'webhook-id': id,
        'webhook-timestamp': String(seconds),
        'webhook-signature': signWebhook(secret, id, seconds, body),
      },
    });
    expect(res.status).toBe(401);
    expect((await readJson(res)).error.code).toBe('UNAUTHORIZED');
  });

  it('refuses a signature made with another secret', async () => {
    const res = await signed(body, { key: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' });
    expect(res.status).toBe(401);
  });
});

describe('inbound receivers not configured', () => {
  it('answers 404 for a receiver the config leaves out', async () => {
    const handle = await openDb({ inMemory: true });
    await handle.migrate();
    try {
      const { awsEvents: _unused, ...config } = inboundConfig();
      const app = buildApp(handle, { config, cluster: 'test' }, createRegistry({ defaultMetrics: false }));
      const res = await app.request('/api/v1/inbound/aws-events', {
        method: 'POST',
        body: '{}',
        headers: { authorization: `Bearer ${awsToken}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await handle.close();
    }
  }, 60_000);
});
