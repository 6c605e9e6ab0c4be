import type { Db } from '../../../core/db.js';
import { err, ok } from '../../../core/result.js';
import type { ActionExecutor, ActionFailure, ActionKind, ActionRequest, ExecutionContext } from '../types.js';

/** The "cluster" a fake executor acts on: which steps of which target are applied. Outlives engine instances. */
export interface FakeWorld {
  applied: Map<string, Set<string>>;
  calls: string[];
}

export function createFakeWorld(): FakeWorld {
  return { applied: new Map(), calls: [] };
}

type Method = 'checkPreconditions' | 'dryRun' | 'execute' | 'rollback';

export interface FakeExecutorOptions {
  kinds?: readonly ActionKind[];
  /** Steps execute applies, one checkpoint each. */
  steps?: readonly string[];
  /** Answer a failure from these methods (each call takes the next entry; `undefined` entries succeed). */
  failures?: Partial<Record<Method, (ActionFailure | undefined)[]>>;
  /** Throw from these methods (each call takes the next entry). */
  throws?: Partial<Record<Method, boolean[]>>;
  /** What checkPreconditions reports as observed. */
  observed?: Record<string, unknown>;
  /** Awaited inside checkPreconditions (tests line up racing workers with it). */
  beforePreconditions?: () => Promise<void>;
}

export const keyOf = (req: ActionRequest) => JSON.stringify(req.target);

/**
 * An executor over a FakeWorld: idempotent steps (a resumed execute skips what its checkpoint says is done, and
 * re-applying is harmless), rollback that reads the world (like a real executor re-reading live state).
 */
export function createFakeExecutor(world: FakeWorld, options: FakeExecutorOptions = {}): ActionExecutor {
  const steps = options.steps ?? ['step1', 'step2'];
  const next = (m: Method): { failure?: ActionFailure; thrown?: boolean } => {
    const thrown = options.throws?.[m]?.shift();
    if (thrown) return { thrown };
    const failure = options.failures?.[m]?.shift();
    return failure ? { failure } : {};
  };
  const answer = async <T>(m: Method, req: ActionRequest, value: () => T | Promise<T>) => {
    world.calls.push(`${m}:${req.kind}`);
    const n = next(m);
    if (n.thrown) throw new Error(`fake ${m} blew up`);
    if (n.failure) return err(n.failure);
    return ok(await value());
  };
  return {
    kinds: options.kinds ?? ['drain_node', 'scale_asg', 'scale_workload', 'suspend_job', 'migrate_to_spot'],
    checkPreconditions: async (req) => {
      await options.beforePreconditions?.();
      return answer('checkPreconditions', req, () => ({ observed: options.observed ?? { live: true } }));
    },
    dryRun: (req) => answer('dryRun', req, () => ({ detail: { dryRun: 'ok' } })),
    execute: (req, ctx: ExecutionContext) =>
      answer('execute', req, async () => {
        const done = world.applied.get(keyOf(req)) ?? new Set<string>();
        world.applied.set(keyOf(req), done);
        for (const step of steps) {
          if (ctx.checkpoint[step]) continue;
          done.add(step);
          await ctx.saveCheckpoint(step, { at: ctx.clock.now(), key: ctx.idempotencyKey });
        }
        return { detail: { steps: [...done] } };
      }),
    rollback: (req) =>
      answer('rollback', req, () => {
        const undone = [...(world.applied.get(keyOf(req)) ?? [])];
        world.applied.delete(keyOf(req));
        return { detail: { undone } };
      }),
  };
}

/**
 * A database whose `crashAt`-th transaction never returns (nor commits): the process died right there. The engine
 * awaiting it is abandoned, as a killed process would be; `crashed` resolves when that happens.
 */
export function createCrashingDb(
  db: Db,
  crashAt: number,
): { db: Db; crashed: Promise<void>; transactions: () => number } {
  let count = 0;
  let signal: () => void = () => undefined;
  const crashed = new Promise<void>((resolve) => {
    signal = resolve;
  });
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
      return (fn: (tx: Db) => Promise<unknown>) => {
        count++;
        if (count >= crashAt) {
          signal();
          return new Promise(() => undefined);
        }
        return target.transaction(fn);
      };
    },
  });
  return { db: proxy, crashed, transactions: () => count };
}
