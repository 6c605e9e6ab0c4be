import { findExecutionBlock, readSnapshotCreation } from './check-execution-gates.js';
import { type ActionEngineDeps, lookupExecutor, type TickState, workerIdOf } from './engine-types.js';
import { callExecutor, claimAndExecute, move, recoverExecution } from './execute-action.js';
import {
  type ActionAuditInsert,
  type ActionRow,
  appendActionAudit,
  getNodesFirstSeen,
  updateActionIf,
} from './queries.js';
import { type EffectivePolicy, resolvePolicy } from './resolve-policy.js';
import type { ActionExecutor, ActionFailure, PreconditionSnapshot } from './types.js';

type Audit = Omit<ActionAuditInsert, 'actionId'>;

/**
 * Moves one action as far as policy allows this tick: planned → (approved) → dry_run → executing → done, a due
 * retry back to approved, an abandoned execution resumed or rolled back. Each step is its own committed
 * transition, so a crash between any two leaves a state the next tick continues from.
 */
export async function advanceAction(
  deps: ActionEngineDeps,
  tick: TickState,
  start: ActionRow,
): Promise<void> {
  let row: ActionRow | undefined = start;
  // a bound, not a loop guard that should ever bite: the longest path is failed → approved → dry_run → executing
  for (let step = 0; row && step < 6; step++) row = await advanceOnce(deps, tick, row);
}

async function advanceOnce(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
): Promise<ActionRow | undefined> {
  const policy = resolvePolicy(deps.config, row.scope);
  const executor = lookupExecutor(deps.executors, row.kind);
  const actor = workerIdOf(deps);
  if (policy.mode === 'off' && ['planned', 'approved', 'dry_run'].includes(row.state)) {
    return move(deps, tick, row, {
      to: 'rejected',
      actor,
      detail: { reason: `policy ${policy.source} is off` },
      patch: { finishedAt: tick.now, blockedReason: `policy ${policy.source} is off` },
    });
  }
  switch (row.state) {
    case 'planned':
      if (policy.mode === 'dry-run') return runDryRun(deps, tick, row, executor);
      if (policy.mode === 'auto') return approveByPolicy(deps, tick, row, policy);
      return undefined; // approve: waits for an operator
    case 'approved':
      return runDryRun(deps, tick, row, executor);
    case 'dry_run':
      if (row.approvedBy === null) {
        return policy.mode === 'auto' ? approveByPolicy(deps, tick, row, policy) : undefined;
      }
      await tryExecute(deps, tick, row, policy, executor);
      return undefined;
    case 'failed':
      return move(deps, tick, row, {
        to: 'approved',
        actor,
        detail: { retry: row.attempts + 1, after: row.lastError },
        patch: { nextAttemptAt: null },
      });
    case 'executing':
      if (tick.paused) {
        await recordBlock(
          deps,
          tick,
          row,
          'paused: an abandoned execution waits to be resumed or rolled back',
        );
        return undefined;
      }
      if (!executor) {
        await recordBlock(deps, tick, row, `no executor for ${row.kind} to resume or roll back with`);
        return undefined;
      }
      await recoverExecution(deps, tick, row, executor);
      return undefined;
    default:
      return undefined;
  }
}

function approveByPolicy(deps: ActionEngineDeps, tick: TickState, row: ActionRow, policy: EffectivePolicy) {
  const by = `policy:${policy.source}`;
  return move(deps, tick, row, {
    to: 'approved',
    actor: by,
    patch: { approvedBy: by },
    detail: { mode: 'auto' },
  });
}

async function checkPreconditions(
  executor: ActionExecutor,
  row: ActionRow,
  at: Date,
  actor: string,
): Promise<{ audit: Audit; snapshot?: PreconditionSnapshot; failure?: ActionFailure }> {
  const pre = await callExecutor(() => executor.checkPreconditions(row.request));
  const detail = pre.ok ? pre.value.observed : { ...pre.error };
  const audit = { at, event: 'preconditions', actor, ok: pre.ok, detail };
  return pre.ok ? { audit, snapshot: pre.value } : { audit, failure: pre.error };
}

/** Preconditions then the server-side dry run; nothing is changed, so a failure needs no rollback. */
async function runDryRun(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  executor: ActionExecutor | undefined,
): Promise<ActionRow | undefined> {
  const actor = workerIdOf(deps);
  if (!executor) {
    const failure = {
      message: `no executor is configured for ${row.kind}`,
      retryable: false,
      code: 'no_executor',
    };
    return failBeforeExecution(deps, tick, row, failure, []);
  }
  const pre = await checkPreconditions(executor, row, tick.now, actor);
  if (!pre.snapshot) return failBeforeExecution(deps, tick, row, pre.failure as ActionFailure, [pre.audit]);
  const snapshot = pre.snapshot;
  const dry = await callExecutor(() => executor.dryRun(row.request, snapshot));
  const audit = [
    pre.audit,
    {
      at: tick.now,
      event: 'dry_run',
      actor,
      ok: dry.ok,
      detail: dry.ok ? dry.value.detail : { ...dry.error },
    },
  ];
  if (!dry.ok) return failBeforeExecution(deps, tick, row, dry.error, audit);
  return move(deps, tick, row, {
    to: 'dry_run',
    actor,
    audit,
    patch: { lastError: null, blockedReason: null },
  });
}

/** Failed before anything changed: retry later when retryable and attempts are left, else failed for good. */
function failBeforeExecution(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  failure: ActionFailure,
  audit: readonly Audit[],
): Promise<ActionRow | undefined> {
  const attempts = row.attempts + 1;
  const retry = failure.retryable && attempts < deps.config.maxAttempts;
  const backoffMs = deps.config.retryBaseMinutes * 60_000 * 2 ** (attempts - 1);
  return move(deps, tick, row, {
    to: 'failed',
    actor: workerIdOf(deps),
    audit,
    detail: { failure },
    patch: {
      attempts,
      lastError: failure,
      nextAttemptAt: retry ? new Date(tick.now.getTime() + backoffMs) : null,
      finishedAt: retry ? null : tick.now,
      blockedReason: retry ? `retry ${attempts + 1} of ${deps.config.maxAttempts} scheduled` : null,
    },
  }).then(() => undefined);
}

/** Gates (pause, window, cooldown, budget, node age) with preconditions re-read right before claiming. */
async function tryExecute(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  policy: EffectivePolicy,
  executor: ActionExecutor | undefined,
): Promise<void> {
  if (!executor) {
    const failure = {
      message: `no executor is configured for ${row.kind}`,
      retryable: false,
      code: 'no_executor',
    };
    await failBeforeExecution(deps, tick, row, failure, []);
    return;
  }
  const early = findExecutionBlock({
    action: row,
    policy,
    paused: tick.paused,
    now: tick.now,
    recent: tick.recent,
    nodeFirstSeen: new Map(),
    skipNodeAge: true,
  });
  if (early) {
    await recordBlock(deps, tick, row, early);
    return;
  }
  const pre = await checkPreconditions(executor, row, tick.now, workerIdOf(deps));
  if (!pre.snapshot) {
    await failBeforeExecution(deps, tick, row, pre.failure as ActionFailure, [pre.audit]);
    return;
  }
  const nodes = row.scope.nodes ?? [];
  const firstSeen = await getNodesFirstSeen(deps.db, row.cluster, nodes);
  const created = readSnapshotCreation(pre.snapshot.observed);
  if (created && nodes.length === 1) firstSeen.set(nodes[0] as string, created);
  const block = findExecutionBlock({
    action: row,
    policy,
    paused: tick.paused,
    now: tick.now,
    recent: tick.recent,
    nodeFirstSeen: firstSeen,
  });
  if (block) {
    await recordBlock(deps, tick, row, block);
    return;
  }
  await claimAndExecute(deps, tick, row, executor, { detail: { policy: policy.source }, audit: [pre.audit] });
}

/** Waiting is recorded once per reason (not every tick) on the action and in its audit. */
async function recordBlock(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  reason: string,
): Promise<void> {
  tick.summary.deferred++;
  if (row.blockedReason === reason) return;
  await deps.db.transaction(async (tx) => {
    const updated = await updateActionIf(
      tx,
      row.id,
      { state: row.state, version: row.version },
      { blockedReason: reason, updatedAt: tick.now },
    );
    if (!updated) return;
    await appendActionAudit(tx, [
      {
        actionId: row.id,
        at: tick.now,
        event: 'deferred',
        actor: workerIdOf(deps),
        ok: false,
        detail: { reason },
      },
    ]);
  });
}
