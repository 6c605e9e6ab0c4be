import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DbHandle, queryRows } from '../../core/db.js';
import { createActionEngine } from './create-action-engine.js';
import { getAction, listActionAudit } from './queries.js';
import { runActionTick } from './run-action-tick.js';
import {
  createFakeExecutor,
  createFakeWorld,
  type FakeExecutorOptions,
  keyOf,
} from './testing/fake-executor.js';
import {
  actionsConfig,
  createTestDeps,
  insertPoolScaleDown,
  insertRecommendation,
  openSeededDb,
  POOL,
  readEvents,
  resetActionTables,
  T0,
} from './testing/seed.js';

let handle: DbHandle;
beforeAll(async () => {
  handle = await openSeededDb();
}, 120_000);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await resetActionTables(handle.db);
});

const operator = { name: 'alice', role: 'operator' };
const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);
const loose = { cooldownMinutes: 0, minNodeAgeMinutes: 0 };

function setup(policy: Record<string, unknown> | undefined, options: FakeExecutorOptions = {}, extra = {}) {
  const world = createFakeWorld();
  const executor = createFakeExecutor(world, options);
  const config = actionsConfig({ ...(policy ? { policies: [policy] } : {}), ...extra });
  const t = createTestDeps(handle.db, new Map([['drain_node', executor]]), config);
  return { world, ...t, engine: createActionEngine(t.deps) };
}

/** The database's own message (drizzle wraps it as the cause of "Failed query: …"). */
async function failureOf(query: ReturnType<typeof sql>): Promise<string> {
  try {
    await handle.db.execute(query);
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return e.cause?.message ?? e.message;
  }
  return 'no error';
}

async function metric(registry: { getSingleMetricAsString(n: string): Promise<string> }, name: string) {
  return registry.getSingleMetricAsString(name);
}

describe('runActionTick: planning and modes', () => {
  it('plans a drain for the idle node of a scale-down and stops at its dry run under the default mode', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps, world, registry } = setup(undefined);
    const summary = await runActionTick(deps, T0);
    expect(summary.planned).toBe(1);
    const action = await getAction(handle.db, 1);
    expect(action).toMatchObject({
      state: 'dry_run',
      kind: 'drain_node',
      reason: 'scale_down',
      request: { target: { type: 'node', node: 'node-a' } },
      scope: { cluster: 'c1', nodePool: POOL, nodes: ['node-a'] },
      version: 2,
    });
    expect(world.calls).toEqual(['checkPreconditions:drain_node', 'dryRun:drain_node']);
    expect(await readEvents(handle.db, 'action:1')).toEqual([
      { type: 'action.planned', version: 1 },
      { type: 'action.dry_run', version: 2 },
    ]);
    expect(await metric(registry, 'gpuscope_actions_total')).toContain(
      'gpuscope_actions_total{kind="drain_node",state="dry_run"} 1',
    );
    // a second pass over the same recommendation version plans nothing and runs nothing again
    const again = await runActionTick(deps, minutes(5));
    expect(again.planned).toBe(0);
    expect(world.calls).toHaveLength(2);
  });

  it('plans nothing for a scope whose policy is off', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps } = setup({ scope: { nodePool: POOL }, mode: 'off' });
    const summary = await runActionTick(deps, T0);
    expect(summary).toMatchObject({ planned: 0, skippedOff: 1 });
    expect(await getAction(handle.db, 1)).toBeUndefined();
  });

  it('rejects a pending action once its scope is switched off', async () => {
    await insertPoolScaleDown(handle.db);
    await runActionTick(setup({ mode: 'approve', ...loose }).deps, T0);
    await runActionTick(setup({ mode: 'off' }).deps, minutes(5));
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'rejected',
      blockedReason: 'policy policies[0] is off',
      finishedAt: minutes(5),
    });
  });

  it('rejects at planning an action whose kind is off the allow-list, naming the policy', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps } = setup({ mode: 'auto', allowKinds: ['scale_asg'], ...loose });
    await runActionTick(deps, T0);
    const action = await getAction(handle.db, 1);
    expect(action?.state).toBe('rejected');
    expect(action?.blockedReason).toBe('kind drain_node is not in allowKinds of policies[0]');
    expect(await readEvents(handle.db, 'action:1')).toEqual([]);
  });

  it('waits for an operator under approve, then executes once approved', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps, engine, world } = setup({ mode: 'approve', ...loose });
    await runActionTick(deps, T0);
    expect((await getAction(handle.db, 1))?.state).toBe('planned');
    const approved = await engine.approve(1, operator, 'looks right');
    expect(approved).toMatchObject({ state: 'approved', approvedBy: 'alice (operator)' });
    await runActionTick(deps, minutes(1));
    expect((await getAction(handle.db, 1))?.state).toBe('done');
    expect([...(world.applied.get(keyOf(approved.request)) ?? [])]).toEqual(['step1', 'step2']);
    const audit = await listActionAudit(handle.db, 1);
    expect(audit.find((a) => a.toState === 'approved')).toMatchObject({
      actor: 'alice (operator)',
      detail: { note: 'looks right' },
    });
  });

  it('refuses approval under a dry-run policy and of an unknown action', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps, engine } = setup(undefined);
    await runActionTick(deps, T0);
    await expect(engine.approve(1, operator)).rejects.toThrow(/defaultMode for this action is dry-run/);
    await expect(engine.approve(99, operator)).rejects.toThrow(/no action 99/);
  });

  it('keeps a pending action while its recommendation is seen again, and rejects it once that lapses', async () => {
    const rec = await insertPoolScaleDown(handle.db);
    const { deps } = setup({ mode: 'approve', ...loose });
    await runActionTick(deps, T0);
    // seen again: same version, expiry moved on (as apply-detections does)
    // (planned with the recommendation's first expiry, T0 + 7 days; moved to T0 + 14 days)
    await handle.db.execute(
      sql`update recommendations set expires_at = ${minutes(14 * 24 * 60)} where id = ${rec}`,
    );
    await runActionTick(deps, minutes(8 * 24 * 60));
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'planned',
      expiresAt: minutes(14 * 24 * 60),
    });
    await handle.db.execute(sql`update recommendations set status = 'expired' where id = ${rec}`);
    await runActionTick(deps, minutes(8 * 24 * 60 + 1));
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'rejected',
      blockedReason: 'its recommendation is expired',
    });
  });

  it('supersedes a pending action when its recommendation gets a new version', async () => {
    const rec = await insertPoolScaleDown(handle.db);
    const { deps } = setup({ mode: 'approve', ...loose });
    await runActionTick(deps, T0);
    await handle.db.execute(sql`update recommendations set version = 2 where id = ${rec}`);
    await runActionTick(deps, minutes(5));
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'rejected',
      blockedReason: 'superseded by recommendation version 2',
    });
    expect(await getAction(handle.db, 2)).toMatchObject({ state: 'planned', recommendationVersion: 2 });
  });
});

describe('runActionTick: safety policy', () => {
  it('keeps to maxNodesPerHour per reason: the second node waits for the next hour', async () => {
    await insertPoolScaleDown(handle.db, ['node-a', 'node-b']);
    const { deps } = setup({ mode: 'auto', maxNodesPerHour: 1, ...loose });
    const summary = await runActionTick(deps, T0);
    expect(summary.deferred).toBe(1);
    expect((await getAction(handle.db, 1))?.state).toBe('done');
    const waiting = await getAction(handle.db, 2);
    expect(waiting?.state).toBe('dry_run');
    expect(waiting?.blockedReason).toMatch(
      /blast radius: 1 node\(s\) acted on for scale_down in the last hour/,
    );
    await runActionTick(deps, minutes(61));
    expect((await getAction(handle.db, 2))?.state).toBe('done');
  });

  it('executes auto actions only inside a maintenance window when windows are set', async () => {
    await insertPoolScaleDown(handle.db);
    // T0 is Tuesday 12:00 UTC
    const window = { days: ['tue'], start: '22:00', end: '02:00' };
    const { deps } = setup({ mode: 'auto', maintenanceWindows: [window], ...loose });
    await runActionTick(deps, T0);
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'dry_run',
      blockedReason: 'outside the maintenance windows of policies[0]',
    });
    await runActionTick(deps, minutes(11 * 60 + 30));
    expect((await getAction(handle.db, 1))?.state).toBe('done');
  });

  it('holds every execution while paused, across a restart, and records the switch in the gauge', async () => {
    await insertPoolScaleDown(handle.db);
    const first = setup({ mode: 'auto', ...loose });
    const paused = await first.engine.pause(operator, 'incident 42');
    expect(paused).toMatchObject({ paused: true, changedBy: 'alice (operator)', note: 'incident 42' });
    const restarted = setup({ mode: 'auto', ...loose });
    await runActionTick(restarted.deps, T0);
    expect(await getAction(handle.db, 1)).toMatchObject({ state: 'dry_run', blockedReason: /paused/ });
    expect(await metric(restarted.registry, 'gpuscope_actions_paused')).toContain(
      'gpuscope_actions_paused 1',
    );
    await restarted.engine.resume(operator);
    await runActionTick(restarted.deps, minutes(1));
    expect((await getAction(handle.db, 1))?.state).toBe('done');
  });

  it('defers a node younger than minNodeAgeMinutes, by the executor snapshot creationTimestamp when given', async () => {
    await insertPoolScaleDown(handle.db);
    const young = new Date(T0.getTime() - 10 * 60_000).toISOString();
    const { deps } = setup(
      { mode: 'auto', cooldownMinutes: 0, minNodeAgeMinutes: 30 },
      { observed: { creationTimestamp: young } },
    );
    await runActionTick(deps, T0);
    expect((await getAction(handle.db, 1))?.blockedReason).toBe(
      'node age: node-a is 10 min old, under minNodeAgeMinutes 30',
    );
    await runActionTick(deps, minutes(21));
    expect((await getAction(handle.db, 1))?.state).toBe('done');
  });

  it('re-checks preconditions right before executing and never executes when they fail', async () => {
    await insertPoolScaleDown(handle.db);
    const changed = { message: 'node-a resourceVersion changed', retryable: false, code: 'conflict' };
    const { deps, world } = setup(
      { mode: 'auto', ...loose },
      { failures: { checkPreconditions: [undefined, changed] } },
    );
    await runActionTick(deps, T0);
    expect(await getAction(handle.db, 1)).toMatchObject({
      state: 'failed',
      lastError: changed,
      nextAttemptAt: null,
    });
    expect(world.calls).not.toContain('execute:drain_node');
  });
});

describe('runActionTick: failures', () => {
  it('rolls back a retryable failure, retries after the back-off with a fresh idempotency key, then succeeds', async () => {
    await insertPoolScaleDown(handle.db);
    const throttled = { message: 'Rate exceeded', retryable: true, code: 'Throttling' };
    const { deps, world } = setup(
      { mode: 'auto', ...loose },
      { failures: { execute: [throttled] } },
      { retryBaseMinutes: 5 },
    );
    await runActionTick(deps, T0);
    const failed = await getAction(handle.db, 1);
    expect(failed).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastError: throttled,
      nextAttemptAt: minutes(5),
    });
    expect(world.calls).toContain('rollback:drain_node');
    await runActionTick(deps, minutes(4));
    expect((await getAction(handle.db, 1))?.state).toBe('failed');
    await runActionTick(deps, minutes(5));
    const done = await getAction(handle.db, 1);
    expect(done).toMatchObject({ state: 'done', attempts: 2 });
    const keys = (await listActionAudit(handle.db, 1))
      .filter((a) => a.event === 'checkpoint')
      .map((a) => (a.detail.data as { key: string }).key);
    expect(new Set(keys)).toEqual(new Set(['rec:1:v1:drain_node:node:node-a:r1']));
  });

  it('ends rolled_back after a non-retryable failure, and failed for an operator when the rollback fails', async () => {
    await insertPoolScaleDown(handle.db, ['node-a', 'node-b']);
    const denied = { message: 'forbidden', retryable: false, code: '403' };
    const { deps, registry } = setup(
      { mode: 'auto', ...loose },
      {
        failures: {
          execute: [denied, denied],
          rollback: [undefined, { message: 'uncordon refused', retryable: false }],
        },
      },
    );
    await runActionTick(deps, T0);
    expect(await getAction(handle.db, 1)).toMatchObject({ state: 'rolled_back', lastError: denied });
    expect(await getAction(handle.db, 2)).toMatchObject({
      state: 'failed',
      nextAttemptAt: null,
      blockedReason: 'rollback failed (uncordon refused); an operator must finish or undo it',
    });
    expect(await metric(registry, 'gpuscope_actions_failed_total')).toContain(
      'gpuscope_actions_failed_total{kind="drain_node"} 1',
    );
    expect((await readEvents(handle.db, 'action:2')).map((e) => e.type)).toEqual([
      'action.planned',
      'action.dry_run',
      'action.failed',
    ]);
  });

  it('fails an action no executor is configured for, saying so', async () => {
    await insertRecommendation(handle.db, {
      action: 'release_gpu',
      subjectType: 'gpu',
      subjectId: 'GPU-1-0',
      details: { node: 'node-a', job: 'ml/Job/eval' },
    });
    await handle.db.execute(sql`insert into jobs (cluster, source, job_id, name, namespace, state, raw_state,
        gpus_allocated, nodes, pods, owners, labels)
      values ('c1', 'kubernetes', 'ml/Job/eval', 'eval', 'ml', 'running', 'Running', 1, '{node-a}', '{ml/eval-x}',
        '[]', '{}')`);
    const { deps } = setup(undefined);
    await runActionTick(deps, T0);
    expect(await getAction(handle.db, 1)).toMatchObject({
      kind: 'suspend_job',
      state: 'failed',
      lastError: { message: 'no executor is configured for suspend_job', code: 'no_executor' },
    });
  });
});

describe('realized savings and the audit', () => {
  it('compares the node cost over equal windows before and after and records it on the action and metric', async () => {
    await insertPoolScaleDown(handle.db);
    const { deps, registry } = setup({ mode: 'auto', ...loose }, {}, { savingsWindowHours: 2 });
    await runActionTick(deps, T0);
    // two priced hours before at $25, one after at $10 (the node was drained, then left)
    await handle.db.execute(sql`insert into cost_node_hours (cluster, node, hour, gpu_capacity, present_minutes, cost,
        billed, currency, price_tier, price_source) values
      ('c1', 'node-a', ${minutes(-120)}, 8, 60, 25, false, 'USD', 'on_demand', 't'),
      ('c1', 'node-a', ${minutes(-60)}, 8, 60, 25, false, 'USD', 'on_demand', 't'),
      ('c1', 'node-a', ${T0}, 8, 60, 10, false, 'USD', 'on_demand', 't')`);
    await runActionTick(deps, minutes(60));
    expect((await getAction(handle.db, 1))?.realizedSavingsUsd).toBeNull();
    await runActionTick(deps, minutes(121));
    expect(await getAction(handle.db, 1)).toMatchObject({
      savingsBeforeUsd: '50.0000000000',
      savingsAfterUsd: '10.0000000000',
      realizedSavingsUsd: '40.0000000000',
      savingsBeforeFrom: minutes(-120),
      savingsAfterTo: minutes(120),
    });
    expect(await metric(registry, 'gpuscope_action_realized_savings_usd_total')).toContain(
      'gpuscope_action_realized_savings_usd_total 40',
    );
  });

  it('keeps the audit append-only: the database refuses UPDATE and DELETE', async () => {
    await insertPoolScaleDown(handle.db);
    await runActionTick(setup(undefined).deps, T0);
    expect(await failureOf(sql`update action_audit set actor = 'mallory'`)).toMatch(
      /action_audit is append-only: UPDATE is not allowed/,
    );
    expect(await failureOf(sql`delete from action_audit`)).toMatch(/action_audit is append-only: DELETE/);
    await handle.db.execute(sql`insert into api_audit (at, method, path, status, request_id)
      values (${T0}, 'GET', '/api/v1/actions', 200, 'r1')`);
    expect(await failureOf(sql`update api_audit set status = 500`)).toMatch(
      /api_audit is append-only: UPDATE/,
    );
    const [count] = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from action_audit`,
    );
    expect(count?.n).toBeGreaterThan(0);
  });
});
