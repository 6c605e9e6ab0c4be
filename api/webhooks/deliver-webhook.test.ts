import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAddressPolicy, type LookupAll } from '../../analyzer/webhooks/check-webhook-url.js';
import { claimDueDeliveries } from '../../analyzer/webhooks/delivery-queries.js';
import { enqueueWebhookEvent } from '../../analyzer/webhooks/enqueue-webhook-event.js';
import {
  createSubscription,
  listDeliveries,
  listSubscriptions,
  resendDelivery,
  rotateSubscriptionSecret,
} from '../../analyzer/webhooks/queries.js';
import { createWebhookSecret, verifyWebhook } from '../../analyzer/webhooks/sign-webhook.js';
import type { WebhookEventInput } from '../../analyzer/webhooks/types.js';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { err, ok, type Result } from '../../core/result.js';
import { runWebhookDeliveryTick, type WebhookDeliverySettings } from './deliver-webhook.js';
import type { WebhookRequest, WebhookResponse } from './send-webhook-request.js';
import { createWebhookMetrics } from './webhook-metrics.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const settings: WebhookDeliverySettings = {
  concurrency: 4,
  batchSize: 50,
  pollIntervalMs: 100,
  timeoutSeconds: 10,
  leaseSeconds: 60,
  retryBaseSeconds: 5,
  retryMaxSeconds: 3600,
  maxAgeHours: 24,
};
let handle: DbHandle;
let clock: ReturnType<typeof createManualClock>;
let registry: Registry;
let sent: WebhookRequest[];
let answer: (r: WebhookRequest) => Result<WebhookResponse, string>;
let lookup: LookupAll;

const deps = () => {
  registry = new Registry();
  return {
    db: handle.db,
    clock,
    log: createSilentLogger(),
    metrics: createWebhookMetrics(registry, async () => ({ pending: 0, deadLettered: 0 })),
    allowed: createAddressPolicy([]),
    lookup: (host: string) => lookup(host),
    random: () => 0.5,
    send: async (r: WebhookRequest) => {
      sent.push(r);
      return answer(r);
    },
  };
};
let d: ReturnType<typeof deps>;
const tick = (worker = 'w1') => runWebhookDeliveryTick(d, settings, worker);

const event = (overrides: Partial<WebhookEventInput> = {}): WebhookEventInput => ({
  type: 'recommendation.created',
  subject: 'recommendation:42',
  version: 3,
  expiresAt: new Date(T0 + 6 * 3_600_000),
  occurredAt: new Date(T0),
  data: { id: 42, action: 'release_gpu', expectedMonthlySavingsUsd: '2152.8' },
  ...overrides,
});
async function subscribe(url = 'https://hooks.example.com/gpuscope') {
  const secret = createWebhookSecret();
  const s = await createSubscription(
    handle.db,
    { url, eventTypes: ['recommendation.created', 'recommendation.updated'], secret },
    new Date(T0),
  );
  return { ...s, secret };
}
const deliveryRows = () =>
  queryRows<{
    id: number;
    status: string;
    attempts: number;
    next_attempt_at: Date;
    last_error: string | null;
  }>(
    handle.db,
    sql`select id, status, attempts, next_attempt_at, last_error from webhook_deliveries order by id`,
  );
const counter = async (result: string) => {
  const metric = await registry.getSingleMetric('gpuscope_webhook_deliveries_total')?.get();
  return metric?.values.find((v) => v.labels['result'] === result)?.value;
};

// migrating a fresh PGlite takes seconds, more on a busy machine
beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
}, 120_000);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.db.execute(sql`delete from webhook_events`);
  await handle.db.execute(sql`delete from webhook_subscriptions`);
  clock = createManualClock(T0);
  sent = [];
  answer = () => ok({ statusCode: 204 });
  lookup = async () => [{ address: '93.184.215.14', family: 4 }];
  d = deps();
});

describe('runWebhookDeliveryTick', () => {
  it('sends a Standard Webhooks request a receiver can verify, to the checked address, and logs the attempt', async () => {
    const sub = await subscribe();
    const { eventId } = await enqueueWebhookEvent(handle.db, event());

    expect(await tick()).toMatchObject({ claimed: 1, delivered: 1 });

    const [request] = sent;
    expect(request?.target).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(request?.target.url.href).toBe('https://hooks.example.com/gpuscope');
    const h = request?.headers ?? {};
    expect(h['webhook-id']).toBe(eventId);
    expect(h['webhook-timestamp']).toBe(String(T0 / 1000));
    const verified = verifyWebhook(
      [sub.secret],
      { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] },
      request?.body ?? '',
      T0 / 1000,
    );
    expect(verified).toEqual({ ok: true, value: { id: eventId, timestampSeconds: T0 / 1000 } });
    expect(JSON.parse(request?.body ?? '')).toEqual({
      type: 'recommendation.created',
      timestamp: '2026-12-01T12:00:00.000Z',
      subject: 'recommendation:42',
      version: 3,
      expiresAt: '2026-12-01T18:00:00.000Z',
      data: { id: 42, action: 'release_gpu', expectedMonthlySavingsUsd: '2152.8' },
    });
    const [delivery] = await listDeliveries(handle.db, sub.id, { limit: 10 });
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 204,
      attemptLog: [{ statusCode: 204, outcome: 'delivered' }],
    });
    expect(await counter('delivered')).toBe(1);
    expect(await tick()).toMatchObject({ claimed: 0 });
  });

  it('signs with both secrets while a rotation overlaps, and with the new one alone after', async () => {
    const sub = await subscribe();
    const next = createWebhookSecret();
    await rotateSubscriptionSecret(handle.db, sub.id, next, new Date(T0), new Date(T0 + 3_600_000));
    await enqueueWebhookEvent(handle.db, event());
    await tick();
    const signatures = sent[0]?.headers['webhook-signature']?.split(' ') ?? [];
    expect(signatures).toHaveLength(2);
    const check = (secret: string, signature: string | undefined) =>
      verifyWebhook(
        [secret],
        { id: sent[0]?.headers['webhook-id'], timestamp: String(T0 / 1000), signature },
        sent[0]?.body ?? '',
        T0 / 1000,
      ).ok;
    expect(check(next, signatures[0])).toBe(true);
    expect(check(sub.secret, signatures[1])).toBe(true);

    clock.set(T0 + 2 * 3_600_000);
    await enqueueWebhookEvent(handle.db, event({ version: 4, expiresAt: null }));
    await tick();
    expect(sent[1]?.headers['webhook-signature']?.split(' ')).toHaveLength(1);
  });

  it('retries a 500 after a jittered back-off with the same webhook-id until a 2xx', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event());
    answer = () => ok({ statusCode: 500 });
    expect(await tick()).toMatchObject({ failed: 1 });
    let [row] = await deliveryRows();
    // random 0.5 of base 5 s · 2^0
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500' });
    expect(new Date(row?.next_attempt_at ?? 0).getTime()).toBe(T0 + 2500);
    expect(await tick()).toMatchObject({ claimed: 0 });

    clock.advance(2500);
    expect(await tick()).toMatchObject({ failed: 1 });
    [row] = await deliveryRows();
    expect(new Date(row?.next_attempt_at ?? 0).getTime()).toBe(T0 + 2500 + 5000);

    answer = () => ok({ statusCode: 200 });
    clock.advance(5000);
    expect(await tick()).toMatchObject({ delivered: 1 });
    expect(new Set(sent.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    expect((await deliveryRows())[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(await counter('failed')).toBe(2);
  });

  it('waits as long as a 429 or 503 asks in Retry-After, seconds or HTTP date', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event());
    answer = () => ok({ statusCode: 429, retryAfter: '120' });
    await tick();
    expect(new Date((await deliveryRows())[0]?.next_attempt_at ?? 0).getTime()).toBe(T0 + 120_000);

    clock.advance(120_000);
    answer = () => ok({ statusCode: 503, retryAfter: new Date(T0 + 600_000).toUTCString() });
    await tick();
    expect(new Date((await deliveryRows())[0]?.next_attempt_at ?? 0).getTime()).toBe(T0 + 600_000);
  });

  it('counts a redirect as a failure and never follows it', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event());
    answer = () => ok({ statusCode: 302 });
    expect(await tick()).toMatchObject({ failed: 1, delivered: 0 });
    expect(sent).toHaveLength(1);
    expect((await deliveryRows())[0]).toMatchObject({ status: 'pending', last_error: 'HTTP 302' });
  });

  it('disables the endpoint on 410 Gone and fails its waiting deliveries', async () => {
    const sub = await subscribe();
    await enqueueWebhookEvent(handle.db, event());
    await enqueueWebhookEvent(handle.db, event({ subject: 'recommendation:43' }));
    answer = () => ok({ statusCode: 410 });
    expect(await tick()).toMatchObject({ gone: 2 });
    expect((await deliveryRows()).map((r) => r.status)).toEqual(['failed', 'failed']);
    expect((await listSubscriptions(handle.db))[0]).toMatchObject({ id: sub.id, status: 'disabled' });
    expect(await counter('gone')).toBe(2);
    // a disabled endpoint gets no new deliveries
    expect((await enqueueWebhookEvent(handle.db, event())).deliveries).toBe(0);
  });

  it('dead-letters a delivery still failing at the end of its window, and a resend puts it back', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event({ expiresAt: null }));
    answer = () => err('connect ECONNREFUSED 93.184.215.14:443');
    await tick();
    clock.set(T0 + 24 * 3_600_000);
    expect(await tick()).toMatchObject({ deadLettered: 1 });
    const [row] = await deliveryRows();
    expect(row).toMatchObject({
      status: 'dead_lettered',
      last_error: 'connect ECONNREFUSED 93.184.215.14:443',
    });
    expect(await tick()).toMatchObject({ claimed: 0 });

    expect(await resendDelivery(handle.db, row?.id ?? 0, new Date(clock.now()))).toEqual({
      ok: true,
      value: { id: row?.id, status: 'pending' },
    });
    answer = () => ok({ statusCode: 200 });
    expect(await tick()).toMatchObject({ delivered: 1 });
    expect(await resendDelivery(handle.db, row?.id ?? 0, new Date(clock.now()))).toEqual({
      ok: false,
      error: 'not_resendable',
    });
  });

  it('pulls the last retry in to the end of the window rather than past it', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event({ expiresAt: null }));
    answer = () => ok({ statusCode: 429, retryAfter: String(48 * 3600) });
    await tick();
    expect(new Date((await deliveryRows())[0]?.next_attempt_at ?? 0).getTime()).toBe(T0 + 24 * 3_600_000);
  });

  it('drops a delivery whose event expired before it got through, without sending', async () => {
    await subscribe();
    await enqueueWebhookEvent(handle.db, event({ expiresAt: new Date(T0 + 60_000) }));
    answer = () => ok({ statusCode: 500 });
    await tick();
    clock.advance(3_600_000);
    expect(await tick()).toMatchObject({ expired: 1 });
    expect(sent).toHaveLength(1);
    expect((await deliveryRows())[0]).toMatchObject({ status: 'expired', attempts: 1 });
  });

  it('never hands one delivery to two workers while its lease holds; a lost lease returns it', async () => {
    await subscribe();
    for (let i = 0; i < 10; i++)
      await enqueueWebhookEvent(handle.db, event({ subject: `recommendation:${i}` }));
    const now = new Date(T0);
    const [a, b] = await Promise.all([
      claimDueDeliveries(handle.db, { workerId: 'a', now, leaseSeconds: 60, limit: 6 }),
      claimDueDeliveries(handle.db, { workerId: 'b', now, leaseSeconds: 60, limit: 6 }),
    ]);
    const ids = [...(a ?? []), ...(b ?? [])].map((c) => c.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    // worker a "crashes": nothing is due until its lease ends, then its rows come back
    clock.advance(59_000);
    expect(await tick('c')).toMatchObject({ claimed: 0 });
    clock.advance(1_000);
    expect(await tick('c')).toMatchObject({ claimed: 10, delivered: 10 });
  });

  describe('security', () => {
    it('refuses, without sending, a URL whose host now resolves to the metadata address', async () => {
      await subscribe();
      await enqueueWebhookEvent(handle.db, event());
      lookup = async () => [{ address: '169.254.169.254', family: 4 }];
      expect(await tick()).toMatchObject({ failed: 1 });
      expect(sent).toHaveLength(0);
      expect((await deliveryRows())[0]?.last_error).toMatch(
        /^refused: url host hooks.example.com resolves to 169/,
      );
    });
  });
});
