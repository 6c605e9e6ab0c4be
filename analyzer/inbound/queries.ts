import { and, count, desc, eq, gte, inArray, type SQL } from 'drizzle-orm';
import { cloudInstances } from '../../collector/aws/schema.js';
import { nodes } from '../../collector/schema.js';
import type { Db } from '../../core/db.js';
import type { ReceivedAlert } from './parse-alertmanager.js';
import type { SpotEvent } from './parse-aws-event.js';
import { inboundAlerts, inboundAwsEvents } from './schema.js';

export type StoredAlert = ReceivedAlert & { node: string | null };

/**
 * Inserts the alerts not stored yet; the unique (group key, fingerprint, status, startsAt) makes a replay or a
 * concurrent duplicate insert nothing. Returns how many rows were new.
 */
export async function insertInboundAlerts(
  db: Db,
  alerts: readonly StoredAlert[],
  receivedAt: Date,
): Promise<number> {
  if (alerts.length === 0) return 0;
  const rows = await db
    .insert(inboundAlerts)
    .values(alerts.map((a) => ({ ...a, receivedAt })))
    .onConflictDoNothing()
    .returning({ id: inboundAlerts.id });
  return rows.length;
}

/** Of the given names, those that are nodes of the cluster. */
export async function listKnownNodes(
  db: Db,
  cluster: string,
  names: readonly string[],
): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db
    .select({ name: nodes.name })
    .from(nodes)
    .where(and(eq(nodes.cluster, cluster), inArray(nodes.name, [...names])));
  return new Set(rows.map((r) => r.name));
}

export interface InboundAlertFilter {
  status?: 'firing' | 'resolved' | undefined;
  node?: string | undefined;
  limit: number;
  offset: number;
}

export interface InboundAlertRow {
  id: number;
  groupKey: string;
  fingerprint: string;
  fingerprintSource: string;
  status: string;
  startsAt: Date;
  endsAt: Date | null;
  alertname: string | null;
  receiver: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
  node: string | null;
  receivedAt: Date;
}

/** Received alerts, newest first. */
export async function listInboundAlerts(
  db: Db,
  filter: InboundAlertFilter,
): Promise<{ rows: InboundAlertRow[]; total: number }> {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(inboundAlerts.status, filter.status));
  if (filter.node) where.push(eq(inboundAlerts.node, filter.node));
  const condition = where.length > 0 ? and(...where) : undefined;
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(inboundAlerts)
      .where(condition)
      .orderBy(desc(inboundAlerts.receivedAt), desc(inboundAlerts.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: count() }).from(inboundAlerts).where(condition),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

/**
 * Stores the event unless its id is already stored (EventBridge retries keep the id); true only for the one caller
 * whose insert won, so a hook runs once however many copies arrive together.
 */
export async function insertSpotEvent(
  db: Db,
  event: SpotEvent,
  node: string | null,
  receivedAt: Date,
): Promise<boolean> {
  const { actionTime: _unused, ...columns } = event;
  const rows = await db
    .insert(inboundAwsEvents)
    .values({ ...columns, node, receivedAt })
    .onConflictDoNothing()
    .returning({ id: inboundAwsEvents.id });
  return rows.length > 0;
}

export async function setSpotEventOutcome(db: Db, id: string, outcome: string): Promise<void> {
  await db.update(inboundAwsEvents).set({ outcome }).where(eq(inboundAwsEvents.id, id));
}

export async function getSpotEventOutcome(db: Db, id: string): Promise<string | undefined> {
  const rows = await db
    .select({ outcome: inboundAwsEvents.outcome })
    .from(inboundAwsEvents)
    .where(eq(inboundAwsEvents.id, id));
  return rows[0]?.outcome;
}

/** The node an EC2 instance is, from the inventory the AWS collector keeps. */
export async function findInstanceNode(db: Db, instanceId: string): Promise<string | null> {
  const rows = await db
    .select({ node: cloudInstances.node })
    .from(cloudInstances)
    .where(eq(cloudInstances.instanceId, instanceId));
  return rows[0]?.node ?? null;
}

/**
 * Spot events stored by a receiver that had no way to act (an API-only replica): the analyzer leader takes each
 * fresh one once, marking it `pending` in the same statement, so two passes never handle one event.
 */
export async function claimUnhandledSpotEvents(
  db: Db,
  since: Date,
): Promise<
  { id: string; kind: 'interruption' | 'rebalance'; instanceId: string; region: string; eventTime: Date }[]
> {
  return db
    .update(inboundAwsEvents)
    .set({ outcome: 'pending' })
    .where(and(eq(inboundAwsEvents.outcome, 'no_hook'), gte(inboundAwsEvents.eventTime, since)))
    .returning({
      id: inboundAwsEvents.id,
      kind: inboundAwsEvents.kind,
      instanceId: inboundAwsEvents.instanceId,
      region: inboundAwsEvents.region,
      eventTime: inboundAwsEvents.eventTime,
    });
}
