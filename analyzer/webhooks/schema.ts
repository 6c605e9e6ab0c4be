import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import type { WebhookEventType } from './types.js';

const tz = { withTimezone: true, mode: 'date' } as const;

export type WebhookSubscriptionStatus = 'active' | 'disabled';
/** `webhook.test` only ever goes to the one subscription whose test endpoint was called. */
export type StoredWebhookEventType = WebhookEventType | 'webhook.test';
/**
 * pending: waiting for its next attempt (first or retry); delivered: a 2xx came back; failed: given up without
 * retrying (the endpoint answered 410 and was disabled); dead_lettered: still failing after the maximum age;
 * expired: the event's expiresAt passed before it got through, so it means nothing any more.
 */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead_lettered' | 'expired';

/**
 * One receiver. `secret` signs every delivery; after a rotation `previousSecret` signs too (a second signature in
 * the header) until `previousSecretExpiresAt`, so receivers can switch keys without dropping a message.
 */
export const webhookSubscriptions = pgTable('webhook_subscriptions', {
  id: uuid().primaryKey().defaultRandom(),
  url: text().notNull(),
  eventTypes: text().array().$type<WebhookEventType[]>().notNull(),
  description: text(),
  secret: text().notNull(),
  previousSecret: text(),
  previousSecretExpiresAt: timestamp(tz),
  status: text().$type<WebhookSubscriptionStatus>().notNull().default('active'),
  disabledReason: text(),
  createdAt: timestamp(tz).notNull(),
  updatedAt: timestamp(tz).notNull(),
});

/**
 * The outbox: written in the same transaction as the change it reports. The id is the Standard Webhooks
 * `webhook-id`, generated in SQL so set-based writers (INSERT … SELECT) need no round trip per event.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: text().primaryKey().default(sql`'msg_' || replace(gen_random_uuid()::text, '-', '')`),
    type: text().$type<StoredWebhookEventType>().notNull(),
    subject: text().notNull(),
    version: integer().notNull(),
    occurredAt: timestamp(tz).notNull(),
    expiresAt: timestamp(tz),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [
    index('webhook_events_subject_idx').on(t.subject, t.version),
    // serves retention (deleteExpiredWebhookEvents)
    index('webhook_events_created_at_idx').on(t.createdAt),
  ],
);

/** One per (event, subscription), made in the event's transaction; the worker claims due ones under a lease. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    eventId: text()
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    subscriptionId: uuid()
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: 'cascade' }),
    status: text().$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp(tz).notNull().defaultNow(),
    /** Who holds it and until when: a claim by another worker waits for the lease to run out. */
    leaseOwner: text(),
    leaseUntil: timestamp(tz),
    lastAttemptAt: timestamp(tz),
    lastStatusCode: integer(),
    lastError: text(),
    deliveredAt: timestamp(tz),
    createdAt: timestamp(tz).notNull().defaultNow(),
    updatedAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [
    unique('webhook_deliveries_event_subscription_key').on(t.eventId, t.subscriptionId),
    // the worker's claim: due pending deliveries in order
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    // the deliveries listing of one subscription, newest first, and the dead-letter gauge
    index('webhook_deliveries_subscription_idx').on(t.subscriptionId, t.id),
    index('webhook_deliveries_status_idx').on(t.status),
  ],
);

/** Every HTTP attempt, kept for the deliveries listing: what was answered and how long it took. */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    deliveryId: bigint({ mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestamp(tz).notNull(),
    durationMs: integer().notNull(),
    statusCode: integer(),
    /** delivered | retry | gone | dead_lettered | refused (SSRF guard) */
    outcome: text().notNull(),
    error: text(),
    workerId: text().notNull(),
  },
  (t) => [index('webhook_delivery_attempts_delivery_idx').on(t.deliveryId, t.id)],
);
