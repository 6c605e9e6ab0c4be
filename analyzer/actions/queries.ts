import { and, desc, eq, gte, inArray, isNotNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { actionAudit, actionControls, actions, apiAudit } from './schema.js';
import type { ActionKind, ActionState } from './types.js';

export type ActionRow = typeof actions.$inferSelect;
export type ActionInsert = typeof actions.$inferInsert;
export type ActionPatch = Partial<Omit<ActionInsert, 'id'>>;
export type ActionAuditRow = typeof actionAudit.$inferSelect;
export type ActionAuditInsert = typeof actionAudit.$inferInsert;

/** Inserts unless an action with the same idempotency key exists; returns the new row only. */
export async function insertAction(tx: Db, row: ActionInsert): Promise<ActionRow | undefined> {
  const [made] = await tx
    .insert(actions)
    .values(row)
    .onConflictDoNothing({ target: actions.idempotencyKey })
    .returning();
  return made;
}

/** Which of these idempotency keys already have an action. */
export async function listExistingIdempotencyKeys(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .select({ key: actions.idempotencyKey })
    .from(actions)
    .where(inArray(actions.idempotencyKey, [...keys]));
  return new Set(rows.map((r) => r.key));
}

export interface ActionGuard {
  state?: ActionState;
  version?: number;
  leaseOwner?: string;
}

/** Compare-and-set: the update happens only while the row still matches the guard (else undefined). */
export async function updateActionIf(
  tx: Db,
  id: number,
  guard: ActionGuard,
  patch: ActionPatch,
): Promise<ActionRow | undefined> {
  const conditions: SQL[] = [eq(actions.id, id)];
  if (guard.state !== undefined) conditions.push(eq(actions.state, guard.state));
  if (guard.version !== undefined) conditions.push(eq(actions.version, guard.version));
  if (guard.leaseOwner !== undefined) conditions.push(eq(actions.leaseOwner, guard.leaseOwner));
  const [row] = await tx
    .update(actions)
    .set(patch)
    .where(and(...conditions))
    .returning();
  return row;
}

export async function appendActionAudit(tx: Db, rows: readonly ActionAuditInsert[]): Promise<void> {
  if (rows.length > 0) await tx.insert(actionAudit).values([...rows]);
}

export async function getAction(db: Db, id: number): Promise<ActionRow | undefined> {
  const [row] = await db.select().from(actions).where(eq(actions.id, id));
  return row;
}

export async function listActionAudit(db: Db, actionId: number): Promise<ActionAuditRow[]> {
  return db.select().from(actionAudit).where(eq(actionAudit.actionId, actionId)).orderBy(actionAudit.id);
}

export async function listActions(
  db: Db,
  q: { state?: ActionState | undefined; kind?: ActionKind | undefined; limit: number },
): Promise<ActionRow[]> {
  const conditions: SQL[] = [];
  if (q.state) conditions.push(eq(actions.state, q.state));
  if (q.kind) conditions.push(eq(actions.kind, q.kind));
  return db
    .select()
    .from(actions)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(actions.id))
    .limit(q.limit);
}

/** Everything the tick may move on: not terminal, retries that are due, executions whose lease ran out. */
export async function listActionsToAdvance(db: Db, cluster: string, now: Date): Promise<ActionRow[]> {
  return db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.cluster, cluster),
        or(
          inArray(actions.state, ['planned', 'approved', 'dry_run']),
          and(eq(actions.state, 'failed'), isNotNull(actions.nextAttemptAt), lte(actions.nextAttemptAt, now)),
          and(eq(actions.state, 'executing'), lte(actions.leaseExpiresAt, now)),
        ),
      ),
    )
    .orderBy(actions.id);
}

/** Actions first claimed for executing at or after `since` (blast-radius budgets and cooldowns). */
export async function listExecutedSince(db: Db, cluster: string, since: Date): Promise<ActionRow[]> {
  return db
    .select()
    .from(actions)
    .where(and(eq(actions.cluster, cluster), gte(actions.executedAt, since)));
}

export async function getNodesFirstSeen(
  db: Db,
  cluster: string,
  nodes: readonly string[],
): Promise<Map<string, Date>> {
  if (nodes.length === 0) return new Map();
  const rows = await queryRows<{ name: string; first_seen_at: Date | string }>(
    db,
    sql`select name, first_seen_at from nodes where cluster = ${cluster} and name = any(${sql.param([...nodes])}::text[])`,
  );
  return new Map(rows.map((r) => [r.name, new Date(r.first_seen_at)]));
}

export interface PauseState {
  paused: boolean;
  changedBy: string | null;
  changedAt: Date | null;
  note: string | null;
}

export async function getPauseState(db: Db): Promise<PauseState> {
  const [row] = await db.select().from(actionControls).where(eq(actionControls.name, 'global'));
  return row
    ? { paused: row.paused, changedBy: row.changedBy, changedAt: row.changedAt, note: row.note }
    : { paused: false, changedBy: null, changedAt: null, note: null };
}

export async function setPauseState(
  db: Db,
  state: { paused: boolean; changedBy: string; changedAt: Date; note?: string | undefined },
): Promise<void> {
  const values = { name: 'global', ...state, note: state.note ?? null };
  await db
    .insert(actionControls)
    .values(values)
    .onConflictDoUpdate({ target: actionControls.name, set: { ...state, note: values.note } });
}

export type ApiAuditInsert = typeof apiAudit.$inferInsert;

export async function insertApiAudit(db: Db, row: ApiAuditInsert): Promise<void> {
  await db.insert(apiAudit).values(row);
}

/** Done actions whose after-window has closed and that were not evaluated yet. */
export async function listActionsDueForSavings(
  db: Db,
  cluster: string,
  finishedBefore: Date,
): Promise<ActionRow[]> {
  return db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.cluster, cluster),
        eq(actions.state, 'done'),
        lt(actions.finishedAt, finishedBefore),
        sql`${actions.savingsAfterTo} is null`,
      ),
    );
}

/**
 * Retention for the API audit: rows older than `before` go, in a transaction that the append-only trigger lets
 * delete (migration 0009); nothing else may. Returns how many went.
 */
export async function deleteExpiredApiAudit(db: Db, before: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await t.execute(sql`select set_config('gpuscope.audit_retention', 'on', true)`);
    const rows = await queryRows<{ n: number }>(
      t,
      sql`with d as (delete from api_audit where at < ${before} returning 1) select count(*)::int as n from d`,
    );
    return rows[0]?.n ?? 0;
  });
}
