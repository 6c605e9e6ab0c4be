import { index, jsonb, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';

const tz = { withTimezone: true, mode: 'date' } as const;

/**
 * One row per alert per notification state: Alertmanager re-sends a group on every `repeat_interval` and retries on
 * failure, so (group key, fingerprint, status, startsAt) is stored once; a concurrent duplicate loses the insert.
 */
export const inboundAlerts = pgTable(
  'inbound_alerts',
  {
    id: serial().primaryKey(),
    groupKey: text().notNull(),
    fingerprint: text().notNull(),
    /** 'alertmanager' when the payload carried it, 'computed' from the labels for older payloads. */
    fingerprintSource: text().$type<'alertmanager' | 'computed'>().notNull(),
    status: text().$type<'firing' | 'resolved'>().notNull(),
    startsAt: timestamp(tz).notNull(),
    endsAt: timestamp(tz),
    alertname: text(),
    receiver: text().notNull(),
    labels: jsonb().$type<Record<string, string>>().notNull(),
    annotations: jsonb().$type<Record<string, string>>().notNull(),
    generatorUrl: text(),
    /** A known node named by the alert's node, instance or Hostname label. */
    node: text(),
    receivedAt: timestamp(tz).notNull(),
  },
  (t) => [
    unique('inbound_alerts_dedupe_key').on(t.groupKey, t.fingerprint, t.status, t.startsAt),
    // serves GET /api/v1/inbound/alerts (newest first, optionally by status)
    index('inbound_alerts_received_at_idx').on(t.receivedAt),
  ],
);

/** EventBridge events, keyed by the event id EventBridge gives each event (its retries keep the id). */
export const inboundAwsEvents = pgTable(
  'inbound_aws_events',
  {
    id: text().primaryKey(),
    source: text().notNull(),
    detailType: text().notNull(),
    kind: text().$type<'interruption' | 'rebalance'>().notNull(),
    account: text().notNull(),
    region: text().notNull(),
    instanceId: text().notNull(),
    /** The interruption's `instance-action` (terminate, stop, hibernate); null for a rebalance recommendation. */
    instanceAction: text(),
    eventTime: timestamp(tz).notNull(),
    /** The node the instance is, from the EC2 inventory, when known. */
    node: text(),
    detail: jsonb().$type<Record<string, unknown>>().notNull(),
    /** handled | stale | hook_failed | no_hook; pending while the hook runs. */
    outcome: text().notNull().default('pending'),
    receivedAt: timestamp(tz).notNull(),
  },
  // serves looking up what AWS said about one instance
  (t) => [index('inbound_aws_events_instance_idx').on(t.instanceId, t.eventTime)],
);
