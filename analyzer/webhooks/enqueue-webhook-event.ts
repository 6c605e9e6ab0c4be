import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { WebhookEventInput, WebhookEventType } from './types.js';

/**
 * Writes one event to the outbox and one pending delivery for every active subscription that asked for its type,
 * in a single statement. Call it with the transaction that makes the change, so the event exists exactly when the
 * change does (a rollback takes both away). A delivery is due, and its retry window starts, when its event
 * occurred (or now, if that is in the future): the window bounds how old an event gets before it is dead-lettered.
 */
export async function enqueueWebhookEvent(
  tx: Db,
  event: WebhookEventInput,
): Promise<{ eventId: string; deliveries: number }> {
  const rows = await queryRows<{ event_id: string; deliveries: number }>(
    tx,
    sql`with event as (
        insert into webhook_events (type, subject, version, occurred_at, expires_at, data)
        values (${event.type}, ${event.subject}, ${event.version}, ${event.occurredAt},
          ${event.expiresAt}, ${JSON.stringify(event.data)}::jsonb)
        returning id, type, occurred_at
      ), made as (
        insert into webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
        select event.id, s.id, least(now(), event.occurred_at), least(now(), event.occurred_at)
        from event join webhook_subscriptions s
          on s.status = 'active' and event.type = any(s.event_types)
        returning 1
      )
      select (select id from event) as event_id, (select count(*) from made)::int as deliveries`,
  );
  const row = rows[0];
  if (!row) throw new Error('webhook event insert returned no row');
  return { eventId: row.event_id, deliveries: Number(row.deliveries) };
}

/**
 * The set-based form for writers that change thousands of rows in one pass: `source` is a SELECT returning the
 * columns `type, subject, version, occurred_at, expires_at, data` (jsonb); every row becomes an event with its
 * deliveries, in two statements whatever the number of rows. Returns the number of events written.
 */
export async function enqueueWebhookEventsFrom(
  tx: Db,
  source: ReturnType<typeof sql>,
): Promise<{ events: number; deliveries: number }> {
  const rows = await queryRows<{ events: number; deliveries: number }>(
    tx,
    sql`with src as (${source}), event as (
        insert into webhook_events (type, subject, version, occurred_at, expires_at, data)
        select type, subject, version, occurred_at, expires_at, data from src
        returning id, type, occurred_at
      ), made as (
        insert into webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
        select event.id, s.id, least(now(), event.occurred_at), least(now(), event.occurred_at)
        from event join webhook_subscriptions s
          on s.status = 'active' and event.type = any(s.event_types)
        returning 1
      )
      select (select count(*) from event)::int as events, (select count(*) from made)::int as deliveries`,
  );
  return { events: Number(rows[0]?.events ?? 0), deliveries: Number(rows[0]?.deliveries ?? 0) };
}

/** Whether any active subscription wants one of these types: lets a writer skip building rows nobody receives. */
export async function hasWebhookSubscribers(
  db: Db,
  types: WebhookEventType | readonly WebhookEventType[],
): Promise<boolean> {
  const list = typeof types === 'string' ? [types] : [...types];
  const rows = await queryRows<{ found: boolean }>(
    db,
    sql`select exists(select 1 from webhook_subscriptions where status = 'active'
      and event_types && ${sql.param(list)}::text[]) as found`,
  );
  return rows[0]?.found === true;
}
