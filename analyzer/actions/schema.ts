import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import type { ActionKind, ActionRequest, ActionState } from './types.js';

const tz = { withTimezone: true, mode: 'date' } as const;
const money = () => numeric({ precision: 24, scale: 10 });

/** Where an action applies; policies match on it (analyzer/actions/resolve-policy.ts). */
export interface ActionScope {
  cluster: string;
  nodePool?: string | undefined;
  namespace?: string | undefined;
  partition?: string | undefined;
  /** The nodes the action touches (allow-lists and minimum node age check these). */
  nodes?: readonly string[] | undefined;
}

/** What the realized savings compare: the nodes' cost or the jobs' cost. */
export interface CostSubject {
  nodes?: readonly string[] | undefined;
  jobs?: readonly string[] | undefined;
}

/**
 * One action per recommendation version (`idempotency_key`), moved through its states only by
 * `transitionAction` (compare-and-set on `version`, with its audit row and outbox event in the same transaction).
 */
export const actions = pgTable(
  'actions',
  {
    id: serial().primaryKey(),
    cluster: text().notNull(),
    kind: text().$type<ActionKind>().notNull(),
    reason: text().notNull(),
    state: text().$type<ActionState>().notNull(),
    /** +1 on every state change: the webhook event's version for subject `action:<id>`. */
    version: integer().notNull().default(1),
    request: jsonb().$type<ActionRequest>().notNull(),
    scope: jsonb().$type<ActionScope>().notNull(),
    /** `node:<name>`, `asg:<name>`, `workload:<ns>/<kind>/<name>`, …: cooldowns count per target. */
    targetKey: text().notNull(),
    blastNodes: integer().notNull().default(0),
    blastGpus: integer().notNull().default(0),
    costSubject: jsonb().$type<CostSubject>().notNull().default({}),
    recommendationId: integer(),
    recommendationVersion: integer(),
    /** `rec:<id>:v<version>:<kind>`; also the executors' EC2 ClientToken / field manager suffix. */
    idempotencyKey: text().notNull(),
    checkpoint: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    leaseOwner: text(),
    leaseExpiresAt: timestamp(tz),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp(tz),
    /** Why the action is waiting (paused, budget, cooldown, window, node age) or why it ended badly. */
    blockedReason: text(),
    lastError: jsonb().$type<{ message: string; retryable: boolean; code?: string | undefined }>(),
    approvedBy: text(),
    expiresAt: timestamp(tz),
    createdAt: timestamp(tz).notNull(),
    updatedAt: timestamp(tz).notNull(),
    /** First time a worker claimed it for executing (blast-radius budgets and cooldowns count from here). */
    executedAt: timestamp(tz),
    finishedAt: timestamp(tz),
    realizedSavingsUsd: money(),
    savingsBeforeUsd: money(),
    savingsAfterUsd: money(),
    savingsBeforeFrom: timestamp(tz),
    savingsAfterTo: timestamp(tz),
  },
  (t) => [
    unique('actions_idempotency_key').on(t.idempotencyKey),
    // serves the tick's scans (actions to move on) and GET /api/v1/actions?state
    index('actions_state_idx').on(t.state, t.nextAttemptAt),
    // serves cooldowns and blast-radius budgets (actions executed in the last hour / per target)
    index('actions_executed_at_idx').on(t.executedAt),
  ],
);

/** Every transition and every executor call with its outcome. Append-only: a trigger rejects UPDATE and DELETE. */
export const actionAudit = pgTable(
  'action_audit',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    actionId: integer()
      .notNull()
      .references(() => actions.id),
    at: timestamp(tz).notNull(),
    /** `transition`, `preconditions`, `dry_run`, `execute`, `rollback`, `checkpoint`, `deferred`. */
    event: text().notNull(),
    fromState: text(),
    toState: text(),
    actor: text().notNull(),
    ok: boolean(),
    detail: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('action_audit_action_idx').on(t.actionId, t.id)],
);

/** Every `/api/v1/*` call and its answer: who (name and role, never the token), what, and the status. */
export const apiAudit = pgTable(
  'api_audit',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: timestamp(tz).notNull(),
    principal: text(),
    role: text(),
    method: text().notNull(),
    path: text().notNull(),
    status: integer().notNull(),
    requestId: text().notNull(),
  },
  (t) => [index('api_audit_at_idx').on(t.at)],
);

/** Switches that must survive restarts; one row `global` holds the pause switch. */
export const actionControls = pgTable('action_controls', {
  name: text().primaryKey(),
  paused: boolean().notNull().default(false),
  changedBy: text(),
  changedAt: timestamp(tz).notNull().default(sql`now()`),
  note: text(),
});
