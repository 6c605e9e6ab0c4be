import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { describeError } from '../../core/errors.js';
import { enqueueWebhookEvent } from '../webhooks/enqueue-webhook-event.js';
import { advanceAction } from './advance-action.js';
import type { ActionEngineDeps, ActionTickSummary, TickState } from './engine-types.js';
import { move } from './execute-action.js';
import { listPlannableRecommendations, loadPlanningContext } from './load-planning-inputs.js';
import { type PlannedAction, planActions } from './plan-actions.js';
import {
  type ActionRow,
  appendActionAudit,
  getPauseState,
  insertAction,
  listActionsToAdvance,
  listExecutedSince,
  listExistingIdempotencyKeys,
} from './queries.js';
import { recordRealizedSavings } from './realize-savings.js';
import { findAllowListViolation, resolvePolicy } from './resolve-policy.js';
import { describeActionEvent } from './transition-action.js';

/**
 * One pass of the action engine as of `now`: plan from open recommendations, reject actions whose recommendation
 * moved on, advance every live action (dry runs, approvals by policy, executions, retries, crash recovery), and
 * record realized savings of finished ones. Idempotent: a second pass at the same time changes nothing new.
 */
export async function runActionTick(deps: ActionEngineDeps, now: Date): Promise<ActionTickSummary> {
  const summary: ActionTickSummary = {
    planned: 0,
    skippedOff: 0,
    entered: {},
    deferred: 0,
    resumed: 0,
    savingsRecorded: 0,
  };
  const pause = await getPauseState(deps.db);
  deps.metrics.paused.set(pause.paused ? 1 : 0);
  const lookbackMinutes = Math.max(60, ...deps.config.policies.map((p) => p.cooldownMinutes));
  const tick: TickState = {
    now,
    paused: pause.paused,
    recent: await listExecutedSince(
      deps.db,
      deps.cluster,
      new Date(now.getTime() - lookbackMinutes * 60_000),
    ),
    summary,
  };
  await planFromRecommendations(deps, tick);
  await rejectStalePending(deps, tick);
  for (const row of await listActionsToAdvance(deps.db, deps.cluster, now)) {
    try {
      await advanceAction(deps, tick, row);
    } catch (error) {
      // one action's database or executor fault must not stop the others; it is retried next tick
      deps.log.error({ action: row.id, err: describeError(error) }, 'action tick failed for one action');
    }
  }
  summary.savingsRecorded = await recordRealizedSavings(deps, now);
  return summary;
}

async function planFromRecommendations(deps: ActionEngineDeps, tick: TickState): Promise<void> {
  const recs = await listPlannableRecommendations(deps.db, deps.cluster, tick.now);
  if (recs.length === 0) return;
  const ctx = await loadPlanningContext(deps.db, deps.cluster, recs, deps.config);
  const drafts = planActions(recs, ctx);
  const existing = await listExistingIdempotencyKeys(
    deps.db,
    drafts.map((d) => d.idempotencyKey),
  );
  for (const planned of drafts) {
    if (existing.has(planned.idempotencyKey)) continue;
    const policy = resolvePolicy(deps.config, planned.scope);
    if (policy.mode === 'off') {
      tick.summary.skippedOff++;
      continue;
    }
    const violation = findAllowListViolation(policy, planned.request, planned.scope);
    const made = await insertPlanned(deps.db, planned, tick.now, violation);
    if (!made) continue;
    tick.summary.planned++;
    tick.summary.entered[made.state] = (tick.summary.entered[made.state] ?? 0) + 1;
    deps.metrics.transitions.inc({ kind: made.kind, state: made.state });
  }
}

/** Planned (or, off an allow-list, rejected at once) with its audit and `action.planned` event in one transaction. */
async function insertPlanned(
  db: Db,
  p: PlannedAction,
  now: Date,
  violation: string | undefined,
): Promise<ActionRow | undefined> {
  return db.transaction(async (tx) => {
    const row = await insertAction(tx, {
      cluster: p.scope.cluster,
      kind: p.request.kind,
      reason: p.request.reason,
      state: violation ? 'rejected' : 'planned',
      request: p.request,
      scope: p.scope,
      targetKey: p.targetKey,
      blastNodes: p.blastNodes,
      blastGpus: p.blastGpus,
      costSubject: p.costSubject,
      recommendationId: p.recommendationId,
      recommendationVersion: p.recommendationVersion,
      idempotencyKey: p.idempotencyKey,
      blockedReason: violation ?? null,
      expiresAt: p.expiresAt,
      createdAt: now,
      updatedAt: now,
      finishedAt: violation ? now : null,
    });
    if (!row) return undefined;
    await appendActionAudit(tx, [
      {
        actionId: row.id,
        at: now,
        event: 'transition',
        fromState: null,
        toState: row.state,
        actor: 'planner',
        ok: violation === undefined,
        detail: {
          recommendationId: p.recommendationId,
          version: p.recommendationVersion,
          ...(violation ? { rejected: violation } : {}),
        },
      },
    ]);
    if (!violation) {
      await enqueueWebhookEvent(tx, {
        type: 'action.planned',
        subject: `action:${row.id}`,
        version: row.version,
        expiresAt: row.expiresAt,
        occurredAt: now,
        data: describeActionEvent(row),
      });
    }
    return row;
  });
}

/**
 * Not yet executing, and its recommendation resolved, expired or changed since: it no longer says what to do.
 * A recommendation seen again keeps its version but moves its expiry on; its pending actions follow (the expiry
 * their events carry), so only a recommendation that really lapsed takes its actions with it.
 */
async function rejectStalePending(deps: ActionEngineDeps, tick: TickState): Promise<void> {
  await deps.db.execute(sql`update actions a set expires_at = r.expires_at
    from recommendations r
    where r.id = a.recommendation_id and r.version = a.recommendation_version and r.status = 'open'
      and a.cluster = ${deps.cluster} and a.state in ('planned', 'approved', 'dry_run')
      and a.expires_at is distinct from r.expires_at`);
  const stale = await queryRows<{ id: number; why: string }>(
    deps.db,
    sql`select a.id, case
          when r.id is null then 'its recommendation is gone'
          when r.status <> 'open' then 'its recommendation is ' || r.status
          when r.version <> a.recommendation_version then 'superseded by recommendation version ' || r.version
          else 'expired' end as why
        from actions a left join recommendations r on r.id = a.recommendation_id
        where a.cluster = ${deps.cluster} and a.state in ('planned', 'approved', 'dry_run')
          and a.recommendation_id is not null
          and (r.id is null or r.status <> 'open' or r.version <> a.recommendation_version
            or r.expires_at <= ${tick.now})`,
  );
  if (stale.length === 0) return;
  const rows = await listActionsToAdvance(deps.db, deps.cluster, tick.now);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const s of stale) {
    const row = byId.get(s.id);
    if (!row) continue;
    await move(deps, tick, row, {
      to: 'rejected',
      actor: 'planner',
      detail: { reason: s.why },
      patch: { finishedAt: tick.now, blockedReason: s.why },
    });
  }
}
