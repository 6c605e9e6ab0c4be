import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { WebhookDeliveryStatus } from './schema.js';

/** A delivery claimed for sending, with what it takes to send it. */
export interface ClaimedDelivery {
  id: number;
  eventId: string;
  subscriptionId: string;
  /** Attempts made before this one. */
  attempts: number;
  /** Start of its retry window: made, or last resent. */
  createdAt: Date;
  url: string;
  subscriptionStatus: string;
  /** Current secret first, then the previous one while a rotation overlaps. */
  secrets: string[];
  event: {
    type: string;
    subject: string;
    version: number;
    occurredAt: Date;
    expiresAt: Date | null;
    data: Record<string, unknown>;
  };
}

interface ClaimRow {
  id: string | number;
  event_id: string;
  subscription_id: string;
  attempts: number;
  created_at: string | Date;
  url: string;
  subscription_status: string;
  secret: string;
  previous_secret: string | null;
  type: string;
  subject: string;
  version: number;
  occurred_at: string | Date;
  expires_at: string | Date | null;
  data: Record<string, unknown> | string;
}

/**
 * Claims up to `limit` due pending deliveries for `workerId` until `now + leaseSeconds`. `FOR UPDATE SKIP LOCKED`
 * keeps concurrent claimers (a second replica) off each other's rows; moving `next_attempt_at` to the lease's end
 * keeps claimed rows out of the due set, and makes a worker that dies mid-send hand them back when its lease ends.
 */
export async function claimDueDeliveries(
  db: Db,
  claim: { workerId: string; now: Date; leaseSeconds: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const leaseUntil = new Date(claim.now.getTime() + claim.leaseSeconds * 1000);
  const rows = await queryRows<ClaimRow>(
    db,
    sql`with due as (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= ${claim.now}
        order by next_attempt_at
        limit ${claim.limit}
        for update skip locked
      )
      update webhook_deliveries d set lease_owner = ${claim.workerId}, lease_until = ${leaseUntil},
        next_attempt_at = ${leaseUntil}
      from due, webhook_events e, webhook_subscriptions s
      where d.id = due.id and e.id = d.event_id and s.id = d.subscription_id
      returning d.id, d.event_id, d.subscription_id, d.attempts, d.created_at, s.url,
        s.status as subscription_status, s.secret,
        case when s.previous_secret_expires_at > ${claim.now} then s.previous_secret end as previous_secret,
        e.type, e.subject, e.version, e.occurred_at, e.expires_at, e.data`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    attempts: r.attempts,
    createdAt: new Date(r.created_at),
    url: r.url,
    subscriptionStatus: r.subscription_status,
    secrets: r.previous_secret ? [r.secret, r.previous_secret] : [r.secret],
    event: {
      type: r.type,
      subject: r.subject,
      version: r.version,
      occurredAt: new Date(r.occurred_at),
      expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
      data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    },
  }));
}

/** What became of one claimed delivery. `attempt` is absent when nothing was sent (expired, disabled). */
export interface DeliveryOutcome {
  id: number;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date;
  at: Date;
  statusCode: number | null;
  error: string | null;
  attempt?: { durationMs: number; outcome: string } | undefined;
}

/**
 * Writes a batch of outcomes in two statements: the deliveries (only those this worker still holds: one whose
 * lease ran out belongs to whoever claimed it next) and the attempts log (every attempt made, held or not).
 */
export async function recordDeliveryOutcomes(
  db: Db,
  workerId: string,
  outcomes: readonly DeliveryOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map((o) => ({
    id: o.id,
    status: o.status,
    next: o.nextAttemptAt.toISOString(),
    at: o.at.toISOString(),
    code: o.statusCode,
    error: o.error?.slice(0, 1000) ?? null,
    attempted: o.attempt !== undefined,
    ms: o.attempt?.durationMs ?? 0,
    outcome: o.attempt?.outcome ?? null,
  }));
  const json = JSON.stringify(rows);
  await db.execute(sql`with v as (
      select * from jsonb_to_recordset(${json}::jsonb) as v(id bigint, status text, next timestamptz,
        at timestamptz, code int, error text, attempted boolean, ms int, outcome text)
    )
    update webhook_deliveries d set status = v.status, next_attempt_at = v.next,
      attempts = d.attempts + v.attempted::int, lease_owner = null, lease_until = null,
      last_attempt_at = case when v.attempted then v.at else d.last_attempt_at end,
      last_status_code = coalesce(v.code, case when v.attempted then null else d.last_status_code end),
      last_error = v.error, delivered_at = case when v.status = 'delivered' then v.at end, updated_at = v.at
    from v where d.id = v.id and d.lease_owner = ${workerId}`);
  await db.execute(sql`insert into webhook_delivery_attempts (delivery_id, attempted_at, duration_ms, status_code,
      outcome, error, worker_id)
    select v.id, v.at, v.ms, v.code, v.outcome, v.error, ${workerId}
    from jsonb_to_recordset(${json}::jsonb) as v(id bigint, at timestamptz, ms int, code int, outcome text,
      error text, attempted boolean)
    join webhook_deliveries d on d.id = v.id
    where v.attempted`);
}

/** An endpoint that answered 410 Gone: disabled, and its waiting deliveries failed rather than retried. */
export async function disableSubscriptions(db: Db, ids: readonly string[], reason: string, now: Date) {
  if (ids.length === 0) return;
  await db.execute(sql`update webhook_subscriptions set status = 'disabled', disabled_reason = ${reason},
    updated_at = ${now} where id = any(${sql.param([...ids])}::uuid[]) and status = 'active'`);
  await db.execute(sql`update webhook_deliveries set status = 'failed', last_error = ${reason},
      lease_owner = null, lease_until = null, updated_at = ${now}
    where subscription_id = any(${sql.param([...ids])}::uuid[]) and status = 'pending'`);
}

/** On a clean stop: what this worker claimed but never sent is due again now, for the next worker. */
export async function releaseDeliveryLeases(db: Db, workerId: string, ids: readonly number[], now: Date) {
  if (ids.length === 0) return;
  await db.execute(sql`update webhook_deliveries set lease_owner = null, lease_until = null,
      next_attempt_at = ${now}
    where id = any(${sql.param([...ids])}::bigint[]) and lease_owner = ${workerId} and status = 'pending'`);
}

export async function countDeliveryStates(db: Db): Promise<{ pending: number; deadLettered: number }> {
  const rows = await queryRows<{ pending: number; dead: number }>(
    db,
    sql`select count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'dead_lettered')::int as dead
      from webhook_deliveries where status in ('pending', 'dead_lettered')`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), deadLettered: Number(rows[0]?.dead ?? 0) };
}
