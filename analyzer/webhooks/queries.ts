import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { err, ok, type Result } from '../../core/result.js';
import {
  type WebhookDeliveryStatus,
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookEvents,
  webhookSubscriptions,
} from './schema.js';
import type { WebhookEventType } from './types.js';

type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;

/** A subscription as shown after creation: never its secret. */
function toSubscription(r: SubscriptionRow) {
  return {
    id: r.id,
    url: r.url,
    eventTypes: r.eventTypes,
    description: r.description,
    status: r.status,
    disabledReason: r.disabledReason,
    /** Until when the previous secret also signs, after a rotation. */
    previousSecretExpiresAt: r.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
export type WebhookSubscription = ReturnType<typeof toSubscription>;

export async function createSubscription(
  db: Db,
  input: { url: string; eventTypes: WebhookEventType[]; description?: string | undefined; secret: string },
  now: Date,
): Promise<WebhookSubscription> {
  const [row] = await db
    .insert(webhookSubscriptions)
    .values({
      url: input.url,
      eventTypes: [...new Set(input.eventTypes)],
      description: input.description ?? null,
      secret: input.secret,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error('webhook subscription insert returned no row');
  return toSubscription(row);
}

export async function listSubscriptions(db: Db): Promise<WebhookSubscription[]> {
  const rows = await db.select().from(webhookSubscriptions).orderBy(webhookSubscriptions.createdAt);
  return rows.map(toSubscription);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getSubscription(db: Db, id: string): Promise<WebhookSubscription | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  return row ? toSubscription(row) : undefined;
}

/** Deleting takes its deliveries and their attempts with it; events stay for other subscribers. */
export async function deleteSubscription(db: Db, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await db
    .delete(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

/** The new secret signs from now on; the current one becomes the previous and keeps signing until `previousUntil`. */
export async function rotateSubscriptionSecret(
  db: Db,
  id: string,
  secret: string,
  now: Date,
  previousUntil: Date,
): Promise<WebhookSubscription | undefined> {
  if (!UUID.test(id)) return undefined;
  const [row] = await db
    .update(webhookSubscriptions)
    .set({
      previousSecret: sql`${webhookSubscriptions.secret}`,
      previousSecretExpiresAt: previousUntil,
      secret,
      updatedAt: now,
    })
    .where(eq(webhookSubscriptions.id, id))
    .returning();
  return row ? toSubscription(row) : undefined;
}

/** A `webhook.test` event delivered to this one subscription only, whatever its event types. */
export async function enqueueTestDelivery(
  db: Db,
  subscriptionId: string,
  now: Date,
): Promise<Result<{ eventId: string; deliveryId: number }, 'not_found' | 'disabled'>> {
  const subscription = await getSubscription(db, subscriptionId);
  if (!subscription) return err('not_found');
  if (subscription.status !== 'active') return err('disabled');
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const [event] = await t
      .insert(webhookEvents)
      .values({
        type: 'webhook.test',
        subject: `webhook:${subscriptionId}`,
        version: 1,
        occurredAt: now,
        expiresAt: null,
        data: { subscriptionId, message: 'test delivery from gpuscope' },
        createdAt: now,
      })
      .returning({ id: webhookEvents.id });
    if (!event) throw new Error('webhook test event insert returned no row');
    const [delivery] = await t
      .insert(webhookDeliveries)
      .values({ eventId: event.id, subscriptionId, nextAttemptAt: now, createdAt: now, updatedAt: now })
      .returning({ id: webhookDeliveries.id });
    if (!delivery) throw new Error('webhook test delivery insert returned no row');
    return ok({ eventId: event.id, deliveryId: delivery.id });
  });
}

/** The most recent attempts shown per delivery; the log keeps them all. */
const ATTEMPTS_SHOWN = 20;

export async function listDeliveries(
  db: Db,
  subscriptionId: string,
  filter: { status?: WebhookDeliveryStatus | undefined; limit: number },
) {
  if (!UUID.test(subscriptionId)) return [];
  const where = [eq(webhookDeliveries.subscriptionId, subscriptionId)];
  if (filter.status) where.push(eq(webhookDeliveries.status, filter.status));
  const rows = await db
    .select({
      d: webhookDeliveries,
      type: webhookEvents.type,
      subject: webhookEvents.subject,
      version: webhookEvents.version,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.id))
    .limit(filter.limit);
  const ids = rows.map((r) => r.d.id);
  const attempts =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(webhookDeliveryAttempts)
          .where(inArray(webhookDeliveryAttempts.deliveryId, ids))
          .orderBy(desc(webhookDeliveryAttempts.id));
  const byDelivery = new Map<number, (typeof attempts)[number][]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    if (list.length < ATTEMPTS_SHOWN) list.push(a);
    byDelivery.set(a.deliveryId, list);
  }
  return rows.map(({ d, type, subject, version }) => ({
    id: d.id,
    eventId: d.eventId,
    eventType: type,
    subject,
    version,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    attemptLog: (byDelivery.get(d.id) ?? []).map((a) => ({
      attemptedAt: a.attemptedAt.toISOString(),
      durationSeconds: a.durationMs / 1000,
      statusCode: a.statusCode,
      outcome: a.outcome,
      error: a.error,
    })),
  }));
}

export type ResendRefusal = 'not_found' | 'not_resendable' | 'subscription_disabled';

/**
 * A dead-lettered or failed delivery goes back to pending, due now, with a fresh age so it gets the full retry
 * schedule again. A delivery of a disabled subscription (410 Gone) stays put until the endpoint is made anew.
 */
export async function resendDelivery(
  db: Db,
  deliveryId: number,
  now: Date,
): Promise<Result<{ id: number; status: 'pending' }, ResendRefusal>> {
  const rows = await queryRows<{ status: string; subscription_status: string }>(
    db,
    sql`select d.status, s.status as subscription_status from webhook_deliveries d
      join webhook_subscriptions s on s.id = d.subscription_id where d.id = ${deliveryId}`,
  );
  const row = rows[0];
  if (!row) return err('not_found');
  if (row.subscription_status !== 'active') return err('subscription_disabled');
  const updated = await db
    .update(webhookDeliveries)
    .set({
      status: 'pending',
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      leaseOwner: null,
      leaseUntil: null,
    })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        inArray(webhookDeliveries.status, ['dead_lettered', 'failed']),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return updated.length > 0 ? ok({ id: deliveryId, status: 'pending' }) : err('not_resendable');
}

/**
 * Retention: events created before `before` whose deliveries are all settled (none pending) go, with their
 * deliveries and attempt log (cascade). Returns how many events went.
 */
export async function deleteExpiredWebhookEvents(db: Db, before: Date): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with d as (
        delete from webhook_events e where e.created_at < ${before}
          and not exists (select 1 from webhook_deliveries w where w.event_id = e.id and w.status = 'pending')
        returning 1)
      select count(*)::int as n from d`,
  );
  return rows[0]?.n ?? 0;
}
