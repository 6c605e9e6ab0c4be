import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Db, type DbHandle, openDb, queryRows } from '../../core/db.js';
import { enqueueWebhookEvent, enqueueWebhookEventsFrom } from './enqueue-webhook-event.js';
import { deleteExpiredWebhookEvents } from './queries.js';
import { webhookSubscriptions } from './schema.js';
import type { WebhookEventInput } from './types.js';

let handle: DbHandle;
const at = new Date('2026-12-01T12:00:00Z');
const event = (overrides: Partial<WebhookEventInput> = {}): WebhookEventInput => ({
  type: 'recommendation.created',
  subject: 'recommendation:7',
  version: 1,
  expiresAt: new Date('2026-12-01T13:00:00Z'),
  occurredAt: at,
  data: { id: 7, action: 'release_gpu' },
  ...overrides,
});

async function subscribe(eventTypes: WebhookEventInput['type'][], status: 'active' | 'disabled' = 'active') {
  await handle.db.insert(webhookSubscriptions).values({
    url: 'https://hooks.example.com/x',
    eventTypes,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    status,
    createdAt: at,
    updatedAt: at,
  });
}
const count = async (table: string) =>
  Number(
    (await queryRows<{ n: number }>(handle.db, sql.raw(`select count(*)::int as n from ${table}`)))[0]?.n,
  );

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
});

describe('enqueueWebhookEvent', () => {
  it('writes the event and one delivery per active subscription that wants its type', async () => {
    await subscribe(['recommendation.created', 'recommendation.updated']);
    await subscribe(['recommendation.created']);
    await subscribe(['action.executed']);
    await subscribe(['recommendation.created'], 'disabled');

    const result = await enqueueWebhookEvent(handle.db, event());

    expect(result.eventId).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(result.deliveries).toBe(2);
    const stored = await queryRows<{ subject: string; version: number; data: unknown; expires_at: Date }>(
      handle.db,
      sql`select subject, version, data, expires_at from webhook_events where id = ${result.eventId}`,
    );
    expect(stored[0]).toMatchObject({ subject: 'recommendation:7', version: 1, data: { id: 7 } });
    expect(new Date(stored[0]?.expires_at ?? 0).toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(await count('webhook_deliveries')).toBe(2);
  });

  it('keeps the event without deliveries when nobody subscribes', async () => {
    expect((await enqueueWebhookEvent(handle.db, event({ expiresAt: null }))).deliveries).toBe(0);
    expect(await count('webhook_events')).toBe(1);
  });

  it('disappears with the transaction that wrote it when that rolls back', async () => {
    await subscribe(['recommendation.created']);
    await expect(
      handle.db.transaction(async (tx) => {
        await enqueueWebhookEvent(tx as unknown as Db, event());
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await count('webhook_events')).toBe(0);
    expect(await count('webhook_deliveries')).toBe(0);
  });
});

describe('enqueueWebhookEventsFrom', () => {
  it('turns every row of a SELECT into an event with its deliveries in one statement', async () => {
    await subscribe(['recommendation.updated']);
    const result = await enqueueWebhookEventsFrom(
      handle.db,
      sql`select 'recommendation.updated' as type, 'recommendation:' || g as subject, g as version,
        ${at}::timestamptz as occurred_at, null::timestamptz as expires_at, jsonb_build_object('id', g) as data
        from generate_series(1, 50) g`,
    );
    expect(result).toEqual({ events: 50, deliveries: 50 });
  });
});

describe('deleteExpiredWebhookEvents', () => {
  it('drops settled events past retention with their deliveries, keeps pending ones and recent ones', async () => {
    await subscribe(['recommendation.created']);
    const old = await enqueueWebhookEvent(handle.db, event());
    const pending = await enqueueWebhookEvent(handle.db, event({ subject: 'recommendation:8' }));
    const recent = await enqueueWebhookEvent(handle.db, event({ subject: 'recommendation:9' }));
    await handle.db.execute(sql`update webhook_events set created_at = ${new Date('2026-10-01T00:00:00Z')}
      where id in (${old.eventId}, ${pending.eventId})`);
    await handle.db.execute(
      sql`update webhook_deliveries set status = 'delivered' where event_id <> ${pending.eventId}`,
    );
    expect(await deleteExpiredWebhookEvents(handle.db, new Date('2026-11-01T00:00:00Z'))).toBe(1);
    const left = await queryRows<{ id: string }>(handle.db, sql`select id from webhook_events order by id`);
    expect(left.map((r) => r.id).sort()).toEqual([pending.eventId, recent.eventId].sort());
    expect(await count('webhook_deliveries')).toBe(2);
  });
});
