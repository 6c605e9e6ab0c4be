import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../core/db.js';
import { getAction, listActionAudit } from './queries.js';
import { runActionTick } from './run-action-tick.js';
import { canTransition } from './state-machine.js';
import { createCrashingDb, createFakeExecutor, createFakeWorld, keyOf } from './testing/fake-executor.js';
import {
  actionsConfig,
  createTestDeps,
  insertPoolScaleDown,
  openSeededDb,
  readEvents,
  resetActionTables,
  T0,
} from './testing/seed.js';
import type { ActionState } from './types.js';

const auto = (maxAttempts: number) =>
  actionsConfig({
    maxAttempts,
    leaseMinutes: 10,
    policies: [{ mode: 'auto', cooldownMinutes: 0, minNodeAgeMinutes: 0 }],
  });

/** Every write of one action's life is one transaction: plan, approve, dry run, claim, 2 checkpoints, done. */
const STEPS = ['plan', 'approve', 'dry_run', 'claim', 'checkpoint step1', 'checkpoint step2', 'done'];

let handle: DbHandle;
beforeAll(async () => {
  handle = await openSeededDb();
}, 120_000);
afterAll(async () => {
  await handle.close();
});

async function crashThenRecover(crashAt: number, maxAttempts: number) {
  await resetActionTables(handle.db);
  await insertPoolScaleDown(handle.db);
  const world = createFakeWorld();
  const executors = new Map([['drain_node' as const, createFakeExecutor(world)]]);
  const crashing = createCrashingDb(handle.db, crashAt);
  const first = createTestDeps(crashing.db, executors, auto(maxAttempts), { workerId: 'worker-dead' });
  void runActionTick(first.deps, T0);
  await crashing.crashed;
  // a new process over the same database, after the dead worker's lease ran out
  let now = new Date(T0.getTime() + 11 * 60_000);
  const second = createTestDeps(handle.db, executors, auto(maxAttempts), { workerId: 'worker-new', now });
  for (let i = 0; i < 4; i++) {
    await runActionTick(second.deps, now);
    now = new Date(now.getTime() + 11 * 60_000);
  }
  expect(second.errors).toEqual([]);
  const action = await getAction(handle.db, 1);
  const audit = await listActionAudit(handle.db, 1);
  const events = await readEvents(handle.db, 'action:1');
  return { action, audit, events, world };
}

describe('a crash between any two steps of an action', () => {
  it('covers every write: an uncrashed action commits exactly one transaction per listed step', async () => {
    await resetActionTables(handle.db);
    await insertPoolScaleDown(handle.db);
    const counting = createCrashingDb(handle.db, Number.POSITIVE_INFINITY);
    const world = createFakeWorld();
    const { deps } = createTestDeps(
      counting.db,
      new Map([['drain_node', createFakeExecutor(world)]]),
      auto(3),
    );
    await runActionTick(deps, T0);
    expect((await getAction(handle.db, 1))?.state).toBe('done');
    expect(counting.transactions()).toBe(STEPS.length);
  });

  for (const [index, step] of STEPS.entries()) {
    it(`at "${step}" resumes to done (attempts left) with the node drained exactly once`, async () => {
      const { action, audit, events, world } = await crashThenRecover(index + 1, 3);
      expect(action?.state).toBe('done');
      expect([...(world.applied.get(keyOf(action!.request)) ?? [])].sort()).toEqual(['step1', 'step2']);
      expect(events.filter((e) => e.type === 'action.executed')).toHaveLength(1);
      expectLegalHistory(audit);
      // one event per state entered, each with its own version
      expect(events.map((e) => e.type)).toEqual(['action.planned', 'action.dry_run', 'action.executed']);
      expect(new Set(events.map((e) => e.version)).size).toBe(events.length);
      const recovered = audit.filter((a) => a.fromState === 'executing' && a.toState === 'executing');
      expect(recovered).toHaveLength(index >= 4 ? 1 : 0);
    });
  }

  for (const [index, step] of STEPS.entries()) {
    it(`at "${step}" with no attempts left rolls back or finishes, never leaves it half-done`, async () => {
      const { action, audit, world } = await crashThenRecover(index + 1, 1);
      const applied = world.applied.get(keyOf(action!.request));
      if (action?.state === 'done') {
        expect([...(applied ?? [])].sort()).toEqual(['step1', 'step2']);
      } else {
        expect(action?.state).toBe('rolled_back');
        expect(applied).toBeUndefined();
      }
      // a crash after the claim committed (the execution began) must end in rollback when no attempt is left
      if (index >= 4) expect(action?.state).toBe('rolled_back');
      expectLegalHistory(audit);
    });
  }
});

describe('a crash between planning two actions of one recommendation', () => {
  it('plans the second in the next process, not just the first', async () => {
    await resetActionTables(handle.db);
    await insertPoolScaleDown(handle.db, ['node-a', 'node-b']);
    const executors = new Map([['drain_node' as const, createFakeExecutor(createFakeWorld())]]);
    const crashing = createCrashingDb(handle.db, 2);
    void runActionTick(createTestDeps(crashing.db, executors, auto(3)).deps, T0);
    await crashing.crashed;
    const now = new Date(T0.getTime() + 60_000);
    await runActionTick(createTestDeps(handle.db, executors, auto(3), { now }).deps, now);
    expect((await getAction(handle.db, 1))?.request.target).toEqual({ type: 'node', node: 'node-a' });
    expect((await getAction(handle.db, 2))?.request.target).toEqual({ type: 'node', node: 'node-b' });
  });
});

describe('a crash while rolling back a failed execution', () => {
  it('rolls back again in the next process and ends rolled_back with the world clean', async () => {
    await resetActionTables(handle.db);
    await insertPoolScaleDown(handle.db);
    const world = createFakeWorld();
    const failure = { message: 'PodDisruptionBudget forbids eviction', retryable: false, code: '429' };
    const executor = createFakeExecutor(world, { failures: { execute: [failure] } });
    // plan, approve, dry run, claim, 0 checkpoints (execute fails first), then the settle after rollback: #5
    const crashing = createCrashingDb(handle.db, 5);
    void runActionTick(createTestDeps(crashing.db, new Map([['drain_node', executor]]), auto(1)).deps, T0);
    await crashing.crashed;
    expect((await getAction(handle.db, 1))?.state).toBe('executing');
    const now = new Date(T0.getTime() + 11 * 60_000);
    const second = createTestDeps(handle.db, new Map([['drain_node', executor]]), auto(1), { now });
    await runActionTick(second.deps, now);
    const action = await getAction(handle.db, 1);
    expect(action?.state).toBe('rolled_back');
    expect(world.calls.filter((c) => c.startsWith('rollback'))).toHaveLength(2);
    expect(world.applied.size).toBe(0);
    expectLegalHistory(await listActionAudit(handle.db, 1));
  });
});

function expectLegalHistory(audit: { event: string; fromState: string | null; toState: string | null }[]) {
  const moves = audit.filter((a) => a.event === 'transition');
  expect(moves[0]?.fromState).toBeNull();
  for (const m of moves.slice(1)) {
    expect(
      canTransition(m.fromState as ActionState, m.toState as ActionState),
      `${m.fromState} → ${m.toState}`,
    ).toBe(true);
  }
  for (let i = 1; i < moves.length; i++) expect(moves[i]?.fromState).toBe(moves[i - 1]?.toState);
}
