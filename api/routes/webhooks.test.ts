import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { createAddressPolicy } from '../../analyzer/webhooks/check-webhook-url.js';
import { enqueueWebhookEvent } from '../../analyzer/webhooks/enqueue-webhook-event.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createApp } from '../app.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const operator = { authorization: 'Bearer operator-token-0123456789' };
const finance = { authorization: 'Bearer finance-token-01234567890' };
let handle: DbHandle;
let app: ReturnType<typeof createApp>;

const post = (path: string, body?: unknown, headers: Record<string, string> = operator) =>
  app.request(path, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const create = (body: Record<string, unknown> = {}) =>
  post('/api/v1/webhooks', {
    url: 'https://hooks.example.com/gpuscope',
    eventTypes: ['recommendation.created', 'recommendation.resolved'],
    ...body,
  });

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const registry = createRegistry({ defaultMetrics: false });
  app = createApp({
    db: handle.db,
    clock: createManualClock(T0),
    registry,
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [
      { name: 'ops', role: 'operator', token: 'operator-token-0123456789' },
      { name: 'fin', role: 'finance', token: 'finance-token-01234567890' },
    ],
    isReady: () => checkReadiness(handle.db),
    costs: createCostDeps(handle.db, Config.parse({}), registry),
    webhooks: {
      allowed: createAddressPolicy(['10.20.0.0/16']),
      previousSecretHours: 24,
      lookup: async (host) => [
        { address: host === 'metadata.example.com' ? '169.254.169.254' : '93.184.215.14', family: 4 },
      ],
    },
  });
}, 120_000);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.db.execute(sql`delete from webhook_events`);
  await handle.db.execute(sql`delete from webhook_subscriptions`);
});

describe('/api/v1/webhooks', () => {
  it('creates a subscription, returns its secret once, lists and gets it without the secret, deletes it', async () => {
    const res = await create({ description: 'autoscaler' });
    expect(res.status).toBe(201);
    const made = await readJson(res);
    expect(made).toMatchObject({
      url: 'https://hooks.example.com/gpuscope',
      eventTypes: ['recommendation.created', 'recommendation.resolved'],
      description: 'autoscaler',
      status: 'active',
    });
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const list = await readJson(await app.request('/api/v1/webhooks', { headers: operator }));
    expect(list.data).toHaveLength(1);
    expect(list.data[0].id).toBe(made.id);
    expect(JSON.stringify(list)).not.toContain(made.secret);
    const one = await app.request(`/api/v1/webhooks/${made.id}`, { headers: operator });
    expect(one.status).toBe(200);
    expect(await one.text()).not.toContain(made.secret);

    expect(
      (await app.request(`/api/v1/webhooks/${made.id}`, { method: 'DELETE', headers: operator })).status,
    ).toBe(204);
    expect((await app.request(`/api/v1/webhooks/${made.id}`, { headers: operator })).status).toBe(404);
  });

  it('queues a test event for one subscription and shows it among its deliveries', async () => {
    const a = await readJson(await create());
    const b = await readJson(await create());
    const res = await post(`/api/v1/webhooks/${a.id}/test`);
    expect(res.status).toBe(202);
    const queued = await readJson(res);
    expect(queued.eventId).toMatch(/^msg_/);
    const deliveries = await readJson(
      await app.request(`/api/v1/webhooks/${a.id}/deliveries`, { headers: operator }),
    );
    expect(deliveries.data).toMatchObject([
      { id: queued.deliveryId, eventType: 'webhook.test', status: 'pending', attempts: 0, attemptLog: [] },
    ]);
    const other = await readJson(
      await app.request(`/api/v1/webhooks/${b.id}/deliveries`, { headers: operator }),
    );
    expect(other.data).toEqual([]);
  });

  it('rotates the secret: a new one shown once, the previous kept signing for 24 h', async () => {
    const made = await readJson(await create());
    const res = await post(`/api/v1/webhooks/${made.id}/rotate-secret`);
    expect(res.status).toBe(200);
    const rotated = await readJson(res);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(made.secret);
    expect(rotated.previousSecretExpiresAt).toBe('2026-12-02T12:00:00.000Z');
    const rows = await queryRows<{ secret: string; previous_secret: string }>(
      handle.db,
      sql`select secret, previous_secret from webhook_subscriptions`,
    );
    expect(rows[0]).toEqual({ secret: rotated.secret, previous_secret: made.secret });
  });

  it('resends a dead-lettered delivery and refuses one that is still pending', async () => {
    const made = await readJson(await create());
    await enqueueWebhookEvent(handle.db, {
      type: 'recommendation.created',
      subject: 'recommendation:1',
      version: 1,
      expiresAt: null,
      occurredAt: new Date(T0),
      data: { id: 1 },
    });
    const [row] = await queryRows<{ id: number }>(handle.db, sql`select id from webhook_deliveries`);
    const id = Number(row?.id);
    const pending = await post(`/api/v1/webhooks/deliveries/${id}/resend`);
    expect(pending.status).toBe(409);
    expect((await readJson(pending)).error.message).toMatch(/neither dead-lettered nor failed/);

    await handle.db.execute(sql`update webhook_deliveries set status = 'dead_lettered' where id = ${id}`);
    const res = await post(`/api/v1/webhooks/deliveries/${id}/resend`);
    expect(res.status).toBe(202);
    expect(await readJson(res)).toEqual({ id, status: 'pending' });
    const deliveries = await readJson(
      await app.request(`/api/v1/webhooks/${made.id}/deliveries?status=pending`, { headers: operator }),
    );
    expect(deliveries.data).toHaveLength(1);
  });

  describe('errors', () => {
    it.each([
      [{ url: 'ftp://hooks.example.com/x' }, /url: url must be http or https/],
      [{ url: 'not a url' }, /url: url is not an absolute URL/],
      [{ eventTypes: [] }, /eventTypes/],
      [{ eventTypes: ['recommendation.exploded'] }, /eventTypes/],
      [{ secret: 'whsec_mine' }, /secret/],
    ])('refuses a subscription with %j', async (body, message) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      const error = (await readJson(res)).error;
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toMatch(message);
    });

    it('answers 404 for unknown or malformed ids', async () => {
      for (const [method, path] of [
        ['GET', '/api/v1/webhooks/1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
        ['GET', '/api/v1/webhooks/not-a-uuid'],
        ['DELETE', '/api/v1/webhooks/1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
        ['POST', '/api/v1/webhooks/1b4e28ba-2fa1-11d2-883f-0016d3cca427/test'],
        ['POST', '/api/v1/webhooks/1b4e28ba-2fa1-11d2-883f-0016d3cca427/rotate-secret'],
        ['GET', '/api/v1/webhooks/1b4e28ba-2fa1-11d2-883f-0016d3cca427/deliveries'],
        ['POST', '/api/v1/webhooks/deliveries/999999/resend'],
      ] as const) {
        const res = await app.request(path, { method, headers: operator });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    });

    it('refuses a test delivery to a disabled subscription', async () => {
      const made = await readJson(await create());
      await handle.db.execute(sql`update webhook_subscriptions set status = 'disabled'`);
      expect((await post(`/api/v1/webhooks/${made.id}/test`)).status).toBe(409);
    });
  });

  describe('security', () => {
    it('is for operators: no token 401, a finance token 403', async () => {
      expect((await app.request('/api/v1/webhooks')).status).toBe(401);
      expect((await app.request('/api/v1/webhooks', { headers: finance })).status).toBe(403);
      const created = await post(
        '/api/v1/webhooks',
        { url: 'https://hooks.example.com/x', eventTypes: ['action.executed'] },
        finance,
      );
      expect(created.status).toBe(403);
    });

    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://[fe80::1]/',
      'https://metadata.example.com/',
      'http://127.0.0.1:8080/',
      'http://192.168.1.10/',
      'http://10.21.0.1/',
    ])('refuses %s', async (url) => {
      const res = await create({ url });
      expect(res.status).toBe(400);
      expect((await readJson(res)).error.message).toMatch(/metadata|private|link-local/);
    });

    it('accepts a private address inside webhooks.allowPrivateNetworks', async () => {
      expect((await create({ url: 'http://10.20.3.4:9000/hook' })).status).toBe(201);
    });
  });
});
