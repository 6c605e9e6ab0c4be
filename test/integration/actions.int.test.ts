import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAction, listActionAudit } from '../../analyzer/actions/queries.js';
import { runActionTick } from '../../analyzer/actions/run-action-tick.js';
import { canTransition } from '../../analyzer/actions/state-machine.js';
import {
  createCrashingDb,
  createFakeExecutor,
  createFakeWorld,
  keyOf,
} from '../../analyzer/actions/testing/fake-executor.js';
import {
  actionsConfig,
  createTestDeps,
  insertPoolScaleDown,
  openSeededDb,
  readEvents,
  resetActionTables,
  T0,
} from '../../analyzer/actions/testing/seed.js';
import type { ActionState } from '../../analyzer/actions/types.js';
import type { DbHandle } from '../../core/db.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const auto = (maxAttempts = 3) =>
  actionsConfig({
    maxAttempts,
    leaseMinutes: 10,
    policies: [{ mode: 'auto', cooldownMinutes: 0, minNodeAgeMinutes: 0 }],
  });
/** plan, approve, dry run, claim, checkpoint step1, checkpoint step2, done: one transaction each. */
const WRITES = 7;

describe.skipIf(!postgresAvailable())('action engine on PostgreSQL', () => {
  let server: TestPostgres;
  let handle: DbHandle;

  beforeAll(async () => {
    server = await startTestPostgres();
    handle = await openSeededDb(await server.createDatabase('actions'));
  });
  afterAll(async () => {
    await handle?.close();
    server?.destroy();
  });
  beforeEach(async () => {
    await resetActionTables(handle.db);
  });

  for (let crashAt = 1; crashAt <= WRITES; crashAt++) {
    it(`a process dying before write ${crashAt} of ${WRITES} leaves a state the next process finishes exactly once`, async () => {
      await insertPoolScaleDown(handle.db);
      const world = createFakeWorld();
      const executors = new Map([['drain_node' as const, createFakeExecutor(world)]]);
      const crashing = createCrashingDb(handle.db, crashAt);
      void runActionTick(createTestDeps(crashing.db, executors, auto(), { workerId: 'dead' }).deps, T0);
      await crashing.crashed;
      let now = new Date(T0.getTime() + 11 * 60_000);
      const next = createTestDeps(handle.db, executors, auto(), { workerId: 'next', now });
      for (let i = 0; i < 3; i++, now = new Date(now.getTime() + 11 * 60_000))
        await runActionTick(next.deps, now);
      expect(next.errors).toEqual([]);
      const action = await getAction(handle.db, 1);
      expect(action?.state).toBe('done');
      expect([...(world.applied.get(keyOf(action!.request)) ?? [])].sort()).toEqual(['step1', 'step2']);
      expect((await readEvents(handle.db, 'action:1')).map((e) => e.type)).toEqual([
        'action.planned',
        'action.dry_run',
        'action.executed',
      ]);
      const moves = (await listActionAudit(handle.db, 1)).filter((a) => a.event === 'transition').slice(1);
      for (const m of moves)
        expect(canTransition(m.fromState as ActionState, m.toState as ActionState)).toBe(true);
    });
  }

  it('lets only one of two workers racing on the same action execute it', async () => {
    await insertPoolScaleDown(handle.db);
    const world = createFakeWorld();
    // both workers wait inside the precondition check until the other is there too
    let arrived = 0;
    let release: () => void = () => undefined;
    const together = new Promise<void>((resolve) => {
      release = resolve;
    });
    const barrier = async () => {
      if (++arrived >= 2) release();
      await together;
    };
    const executors = new Map([
      ['drain_node' as const, createFakeExecutor(world, { beforePreconditions: barrier })],
    ]);
    // both find the action approved and dry-run, and race to claim it
    const config = actionsConfig({
      policies: [{ mode: 'approve', cooldownMinutes: 0, minNodeAgeMinutes: 0 }],
    });
    const a = createTestDeps(handle.db, executors, config, { workerId: 'a' });
    await runActionTick(a.deps, T0);
    await handle.db.execute(
      sql`update actions set approved_by = 'alice', state = 'dry_run', version = version + 1`,
    );
    const b = createTestDeps(handle.db, executors, config, { workerId: 'b' });
    await Promise.all([runActionTick(a.deps, T0), runActionTick(b.deps, T0)]);
    expect((await getAction(handle.db, 1))?.state).toBe('done');
    // both re-checked the preconditions (both tried); the compare-and-set on the claim let one through
    expect(world.calls.filter((c) => c === 'checkPreconditions:drain_node')).toHaveLength(2);
    expect(world.calls.filter((c) => c === 'execute:drain_node')).toHaveLength(1);
    expect(
      (await readEvents(handle.db, 'action:1')).filter((e) => e.type === 'action.executed'),
    ).toHaveLength(1);
  });

  it('refuses UPDATE and DELETE on both audit tables', async () => {
    await insertPoolScaleDown(handle.db);
    await runActionTick(createTestDeps(handle.db, new Map(), auto()).deps, T0);
    await handle.db.execute(sql`insert into api_audit (at, method, path, status, request_id)
      values (now(), 'GET', '/api/v1/actions', 200, 'r1')`);
    for (const statement of [
      sql`update action_audit set actor = 'x'`,
      sql`delete from action_audit`,
      sql`update api_audit set status = 500`,
      sql`delete from api_audit`,
    ]) {
      const message = await handle.db.execute(statement).then(
        () => 'no error',
        (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
      );
      expect(message).toMatch(/is append-only: (UPDATE|DELETE) is not allowed/);
    }
  });
});
