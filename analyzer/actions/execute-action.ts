import { describeError } from '../../core/errors.js';
import { err, type Result } from '../../core/result.js';
import { type ActionEngineDeps, type TickState, workerIdOf } from './engine-types.js';
import { type ActionPatch, type ActionRow, appendActionAudit, updateActionIf } from './queries.js';
import { type TransitionInput, transitionAction } from './transition-action.js';
import type { ActionExecutor, ActionFailure, ActionState, ExecutionContext } from './types.js';

/** The engine's own entry in the checkpoint: which retry generation this is (a fresh idempotency key each). */
const ENGINE_KEY = '_engine';

export class LeaseLostError extends Error {
  constructor(id: number) {
    super(`action ${id}: the lease was lost (another worker took over); stopping`);
    this.name = 'LeaseLostError';
  }
}

/** Executor calls that throw are failures too: retryable, since a throw is usually an outage, not a verdict. */
export async function callExecutor<T>(
  fn: () => Promise<Result<T, ActionFailure>>,
): Promise<Result<T, ActionFailure>> {
  try {
    return await fn();
  } catch (error) {
    return err({
      message: describeError(error),
      retryable: !(error instanceof LeaseLostError),
      code: 'exception',
    });
  }
}

/** One transition, counted in the tick's summary. */
export async function move(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  input: Omit<TransitionInput, 'at'>,
): Promise<ActionRow | undefined> {
  const next = await transitionAction(deps.db, deps.metrics, row, { ...input, at: tick.now });
  if (next) tick.summary.entered[input.to] = (tick.summary.entered[input.to] ?? 0) + 1;
  else deps.log.info({ action: row.id, to: input.to }, 'action moved on meanwhile; not overwritten');
  return next;
}

function generationOf(checkpoint: Record<string, unknown>): number {
  const engine = checkpoint[ENGINE_KEY] as { generation?: unknown } | undefined;
  return typeof engine?.generation === 'number' ? engine.generation : 0;
}

const leaseUntil = (deps: ActionEngineDeps, now: Date) =>
  new Date(now.getTime() + deps.config.leaseMinutes * 60_000);

/** The executor's view: its own checkpoint steps, a key stable across crashes and fresh for each retry. */
function createContext(
  deps: ActionEngineDeps,
  row: ActionRow,
): ExecutionContext & { steps: Record<string, unknown> } {
  const owner = workerIdOf(deps);
  const { [ENGINE_KEY]: engine, ...steps } = row.checkpoint;
  const generation = generationOf(row.checkpoint);
  const ctx = {
    actionId: row.id,
    idempotencyKey: generation === 0 ? row.idempotencyKey : `${row.idempotencyKey}:r${generation}`,
    checkpoint: steps,
    steps,
    signal: deps.signal ?? new AbortController().signal,
    clock: deps.clock,
    saveCheckpoint: async (step: string, data: Record<string, unknown>) => {
      const at = new Date(deps.clock.now());
      ctx.steps = { ...ctx.steps, [step]: data };
      ctx.checkpoint = ctx.steps;
      const saved = await deps.db.transaction(async (tx) => {
        const updated = await updateActionIf(
          tx,
          row.id,
          { state: 'executing', leaseOwner: owner },
          {
            checkpoint: { ...ctx.steps, ...(engine === undefined ? {} : { [ENGINE_KEY]: engine }) },
            leaseExpiresAt: leaseUntil(deps, at),
            updatedAt: at,
          },
        );
        if (updated) {
          await appendActionAudit(tx, [
            { actionId: row.id, at, event: 'checkpoint', actor: owner, ok: true, detail: { step, data } },
          ]);
        }
        return updated;
      });
      if (!saved) throw new LeaseLostError(row.id);
    },
  };
  return ctx;
}

/** Claims the action for this worker (a new lease; attempts + 1) and runs the executor from its checkpoint. */
export async function claimAndExecute(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  executor: ActionExecutor,
  claim: { detail: Record<string, unknown>; audit?: TransitionInput['audit'] },
): Promise<void> {
  const claimed = await move(deps, tick, row, {
    to: 'executing',
    actor: workerIdOf(deps),
    detail: claim.detail,
    audit: claim.audit,
    patch: {
      leaseOwner: workerIdOf(deps),
      leaseExpiresAt: leaseUntil(deps, tick.now),
      attempts: row.attempts + 1,
      executedAt: row.executedAt ?? tick.now,
      blockedReason: null,
    },
  });
  if (!claimed) return;
  tick.recent.push(claimed);
  await runExecution(deps, tick, claimed, executor);
}

/** Runs the executor from the claimed action's checkpoint; done on success, else roll back and settle. */
async function runExecution(
  deps: ActionEngineDeps,
  tick: TickState,
  claimed: ActionRow,
  executor: ActionExecutor,
): Promise<void> {
  const actor = workerIdOf(deps);
  const ctx = createContext(deps, claimed);
  const outcome = await callExecutor(() => executor.execute(claimed.request, ctx));
  const at = new Date(deps.clock.now());
  const detail = outcome.ok ? outcome.value.detail : { ...outcome.error };
  const audit = [{ at, event: 'execute', actor, ok: outcome.ok, detail }];
  if (outcome.ok) {
    await move(deps, tick, claimed, {
      to: 'done',
      actor,
      leaseOwner: actor,
      audit,
      patch: { finishedAt: at, leaseOwner: null, leaseExpiresAt: null, lastError: null },
    });
    return;
  }
  await rollBackAndSettle(deps, tick, claimed, executor, ctx, outcome.error, { retry: true, audit });
}

/**
 * After a failed or abandoned execution: undo what the checkpoint says was done. Rolled back and retryable with
 * attempts left: `failed` with the next attempt scheduled (a fresh start, new idempotency key); rolled back
 * otherwise: `rolled_back`; the rollback itself failing: `failed` for an operator, never silently half-done.
 */
export async function rollBackAndSettle(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  executor: ActionExecutor,
  ctx: ExecutionContext & { steps: Record<string, unknown> },
  failure: ActionFailure,
  options: { retry: boolean; audit?: TransitionInput['audit'] },
): Promise<void> {
  const undone = await callExecutor(() => executor.rollback(row.request, ctx));
  const at = new Date(deps.clock.now());
  const actor = workerIdOf(deps);
  const audit = [
    ...(options.audit ?? []),
    {
      at,
      event: 'rollback',
      actor,
      ok: undone.ok,
      detail: undone.ok ? undone.value.detail : { ...undone.error },
    },
  ];
  const released: ActionPatch = { leaseOwner: null, leaseExpiresAt: null, lastError: failure };
  let to: ActionState;
  let patch: ActionPatch;
  if (!undone.ok) {
    to = 'failed';
    patch = {
      ...released,
      nextAttemptAt: null,
      finishedAt: at,
      blockedReason: `rollback failed (${undone.error.message}); an operator must finish or undo it`,
    };
  } else if (options.retry && failure.retryable && row.attempts < deps.config.maxAttempts) {
    to = 'failed';
    const backoffMs = deps.config.retryBaseMinutes * 60_000 * 2 ** Math.max(0, row.attempts - 1);
    patch = {
      ...released,
      nextAttemptAt: new Date(at.getTime() + backoffMs),
      checkpoint: { [ENGINE_KEY]: { generation: generationOf(row.checkpoint) + 1 } },
      blockedReason: `rolled back; retry ${row.attempts + 1} of ${deps.config.maxAttempts} scheduled`,
    };
  } else {
    to = 'rolled_back';
    patch = { ...released, finishedAt: at, blockedReason: null };
  }
  await move(deps, tick, row, { to, actor, leaseOwner: actor, audit, patch, detail: { failure } });
}

/**
 * An action found `executing` with its lease run out: its worker died mid-action. With attempts left it resumes
 * from its checkpoint under a new lease (executors are idempotent on the same key); otherwise it is rolled back.
 */
export async function recoverExecution(
  deps: ActionEngineDeps,
  tick: TickState,
  row: ActionRow,
  executor: ActionExecutor,
): Promise<void> {
  const actor = workerIdOf(deps);
  const resume = row.attempts < deps.config.maxAttempts;
  const claimed = await move(deps, tick, row, {
    to: 'executing',
    actor,
    detail: {
      recovered: 'lease expired: the previous worker stopped mid-action',
      previousOwner: row.leaseOwner,
      next: resume ? 'resume' : 'roll back',
    },
    patch: {
      leaseOwner: actor,
      leaseExpiresAt: leaseUntil(deps, tick.now),
      attempts: resume ? row.attempts + 1 : row.attempts,
    },
  });
  if (!claimed) return;
  tick.summary.resumed++;
  if (resume) {
    await runExecution(deps, tick, claimed, executor);
    return;
  }
  const failure = {
    message: `abandoned mid-action ${row.attempts} time(s); rolling back`,
    retryable: false,
    code: 'crashed',
  };
  await rollBackAndSettle(deps, tick, claimed, executor, createContext(deps, claimed), failure, {
    retry: false,
  });
}
