import type { Db } from '../../core/db.js';
import { enqueueWebhookEvent } from '../webhooks/enqueue-webhook-event.js';
import type { ActionMetrics } from './action-metrics.js';
import {
  type ActionAuditInsert,
  type ActionPatch,
  type ActionRow,
  appendActionAudit,
  updateActionIf,
} from './queries.js';
import { canTransition, eventTypeFor } from './state-machine.js';
import type { ActionState } from './types.js';

export interface TransitionInput {
  to: ActionState;
  actor: string;
  at: Date;
  patch?: ActionPatch | undefined;
  detail?: Record<string, unknown> | undefined;
  /** Extra audit rows written in the same transaction (executor calls and their outcomes). */
  audit?: readonly Omit<ActionAuditInsert, 'actionId'>[] | undefined;
  /** Required for leaving `executing`: only the lease holder may finish what it started. */
  leaseOwner?: string | undefined;
}

export class IllegalTransitionError extends Error {
  constructor(id: number, from: ActionState, to: ActionState) {
    super(`action ${id}: ${from} → ${to} is not a legal transition`);
    this.name = 'IllegalTransitionError';
  }
}

/** The outbox payload: enough for a receiver to act on without calling back. */
export function describeActionEvent(row: ActionRow): Record<string, unknown> {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    reason: row.reason,
    cluster: row.cluster,
    target: row.request.target,
    recommendationId: row.recommendationId,
    recommendationVersion: row.recommendationVersion,
    attempts: row.attempts,
    lastError: row.lastError,
    blockedReason: row.blockedReason,
    realizedSavingsUsd: row.realizedSavingsUsd,
  };
}

/**
 * Moves an action from the state it was read in to `to`, in one transaction: compare-and-set on (state, version),
 * version + 1, the audit rows, and the outbox event. Returns undefined when the row moved on meanwhile (another
 * worker, an operator): the caller re-reads instead of overwriting.
 */
export async function transitionAction(
  db: Db,
  metrics: ActionMetrics,
  current: ActionRow,
  input: TransitionInput,
): Promise<ActionRow | undefined> {
  if (!canTransition(current.state, input.to)) {
    throw new IllegalTransitionError(current.id, current.state, input.to);
  }
  const updated = await db.transaction(async (tx) => {
    const row = await updateActionIf(
      tx,
      current.id,
      {
        state: current.state,
        version: current.version,
        ...(input.leaseOwner !== undefined ? { leaseOwner: input.leaseOwner } : {}),
      },
      { ...input.patch, state: input.to, version: current.version + 1, updatedAt: input.at },
    );
    if (!row) return undefined;
    await appendActionAudit(tx, [
      ...(input.audit ?? []).map((a) => ({ ...a, actionId: row.id })),
      {
        actionId: row.id,
        at: input.at,
        event: 'transition',
        fromState: current.state,
        toState: input.to,
        actor: input.actor,
        ok: true,
        detail: input.detail ?? {},
      },
    ]);
    const type = eventTypeFor(input.to);
    if (type) {
      await enqueueWebhookEvent(tx, {
        type,
        subject: `action:${row.id}`,
        version: row.version,
        expiresAt: row.expiresAt,
        occurredAt: input.at,
        data: describeActionEvent(row),
      });
    }
    return row;
  });
  if (updated) {
    metrics.transitions.inc({ kind: updated.kind, state: input.to });
    if (input.to === 'failed') metrics.failed.inc({ kind: updated.kind });
  }
  return updated;
}
