import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActionEngine } from '../../analyzer/actions/create-action-engine.js';
import { runActionTick } from '../../analyzer/actions/run-action-tick.js';
import { createFakeExecutor, createFakeWorld } from '../../analyzer/actions/testing/fake-executor.js';
import {
  actionsConfig,
  createTestDeps,
  insertPoolScaleDown,
  openSeededDb,
  POOL,
  resetActionTables,
  T0,
} from '../../analyzer/actions/testing/seed.js';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, queryRows } from '../../core/db.js';
import { getTracer } from '../../core/telemetry.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createApp } from '../app.js';

const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const viewer = { authorization: `Bearer ${VIEWER}` };
const operator = { authorization: `Bearer ${OPERATOR}` };
const json = { 'content-type': 'application/json' };
let handle: DbHandle;
let app: ReturnType<typeof createApp>;
let test: ReturnType<typeof createTestDeps>;

beforeAll(async () => {
  handle = await openSeededDb();
}, 120_000);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await resetActionTables(handle.db);
  await insertPoolScaleDown(handle.db, ['node-a', 'node-b']);
  // node-a's pool may execute after approval; everything else stays dry-run
  const config = actionsConfig({
    policies: [
      {
        scope: { nodePool: POOL },
        mode: 'approve',
        cooldownMinutes: 0,
        minNodeAgeMinutes: 0,
        allowNodes: ['node-a'],
      },
    ],
  });
  const world = createFakeWorld();
  test = createTestDeps(handle.db, new Map([['drain_node', createFakeExecutor(world)]]), config);
  await runActionTick(test.deps, T0);
  app = createApp({
    db: handle.db,
    clock: test.clock,
    registry: test.registry,
    log: test.deps.log,
    tracer: getTracer(),
    tokens: [
      { name: 'dash', role: 'viewer', token: VIEWER },
      { name: 'alice', role: 'operator', token: OPERATOR },
    ],
    isReady: () => checkReadiness(handle.db),
    costs: createCostDeps(handle.db, Config.parse({ cluster: 'c1' }), test.registry),
    actions: { engine: createActionEngine(test.deps) },
  });
});

async function auditRows() {
  return queryRows<Record<string, unknown>>(
    handle.db,
    sql`select principal, role, method, path, status, request_id from api_audit order by id`,
  );
}

describe('GET /api/v1/actions', () => {
  it('lists actions newest first, filtered by state and kind', async () => {
    const res = await app.request('/api/v1/actions?state=planned&kind=drain_node', { headers: viewer });
    expect(res.status).toBe(200);
    const body = (await readJson(res)) as {
      data: { id: number; state: string; request: unknown; blastRadius: unknown }[];
    };
    // node-b is off the allow-list: rejected at planning; node-a waits for approval
    expect(body.data.map((a) => [a.id, a.state])).toEqual([[1, 'planned']]);
    expect(body.data[0]).toMatchObject({
      request: { kind: 'drain_node', target: { type: 'node', node: 'node-a' } },
      blastRadius: { nodes: 1, gpus: 8 },
    });
    const rejected = (await readJson(
      await app.request('/api/v1/actions?state=rejected', { headers: viewer }),
    )) as { data: { blockedReason: string }[] };
    expect(rejected.data.map((a) => a.blockedReason)).toEqual([
      'node node-b is not in allowNodes of policies[0]',
    ]);
  });

  it('shows one action with its audit', async () => {
    const res = await app.request('/api/v1/actions/1', { headers: viewer });
    expect(res.status).toBe(200);
    const body = (await readJson(res)) as {
      data: { state: string };
      audit: { event: string; toState: string | null }[];
    };
    expect(body.data.state).toBe('planned');
    expect(body.audit.map((a) => [a.event, a.toState])).toEqual([['transition', 'planned']]);
  });

  it('answers the effective policy for a scope, with the pause switch', async () => {
    const res = await app.request(`/api/v1/actions/policy?nodePool=${encodeURIComponent(POOL)}`, {
      headers: viewer,
    });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({
      paused: { paused: false },
      defaultMode: 'dry-run',
      effective: { mode: 'approve', source: 'policies[0]' },
    });
    const other = (await readJson(await app.request('/api/v1/actions/policy', { headers: viewer }))) as {
      effective: { mode: string };
    };
    expect(other.effective.mode).toBe('dry-run');
  });
});

describe('GET /openapi.json', () => {
  it('documents the action routes', async () => {
    const doc = (await readJson(await app.request('/openapi.json'))) as { paths: Record<string, unknown> };
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/api/v1/actions'))
        .sort(),
    ).toEqual([
      '/api/v1/actions',
      '/api/v1/actions/pause',
      '/api/v1/actions/policy',
      '/api/v1/actions/resume',
      '/api/v1/actions/{id}',
      '/api/v1/actions/{id}/approve',
      '/api/v1/actions/{id}/reject',
    ]);
  });
});

describe('POST /api/v1/actions decisions', () => {
  it('approves as an operator, and the next tick executes it', async () => {
    const res = await app.request('/api/v1/actions/1/approve', {
      method: 'POST',
      headers: { ...operator, ...json },
      body: JSON.stringify({ note: 'change 981' }),
    });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({
      data: { state: 'approved', approvedBy: 'alice (operator)' },
    });
    await runActionTick(test.deps, new Date(T0.getTime() + 60_000));
    const after = (await readJson(await app.request('/api/v1/actions/1', { headers: viewer }))) as {
      data: { state: string };
    };
    expect(after.data.state).toBe('done');
  });

  it('rejects with no body at all', async () => {
    const res = await app.request('/api/v1/actions/1/reject', { method: 'POST', headers: operator });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({
      data: { state: 'rejected', blockedReason: 'rejected by alice (operator)' },
    });
  });

  it('pauses and resumes every execution, visible in the policy and the gauge', async () => {
    const paused = await app.request('/api/v1/actions/pause', {
      method: 'POST',
      headers: { ...operator, ...json },
      body: JSON.stringify({ note: 'incident' }),
    });
    expect(paused.status).toBe(200);
    expect(await readJson(paused)).toMatchObject({
      paused: true,
      changedBy: 'alice (operator)',
      note: 'incident',
    });
    expect(await test.registry.getSingleMetricAsString('gpuscope_actions_paused')).toContain(
      'gpuscope_actions_paused 1',
    );
    const resumed = await app.request('/api/v1/actions/resume', { method: 'POST', headers: operator });
    expect(await readJson(resumed)).toMatchObject({ paused: false });
  });
});

describe('errors', () => {
  it('answers 404 for an unknown action and 409 for a decision its state does not allow', async () => {
    const missing = await app.request('/api/v1/actions/99/approve', { method: 'POST', headers: operator });
    expect(missing.status).toBe(404);
    expect(await readJson(missing)).toMatchObject({ error: { code: 'NOT_FOUND', message: 'no action 99' } });
    const rejected = await app.request('/api/v1/actions/2/approve', { method: 'POST', headers: operator });
    expect(rejected.status).toBe(409);
    expect(await readJson(rejected)).toMatchObject({
      error: {
        code: 'CONFLICT',
        message: 'action 2 is rejected; only planned or dry_run actions can be approved',
      },
    });
  });

  it('answers 400 naming the field for a bad id, state or note', async () => {
    const badId = await app.request('/api/v1/actions/abc', { headers: viewer });
    expect(badId.status).toBe(400);
    const badState = await app.request('/api/v1/actions?state=exploded', { headers: viewer });
    expect(badState.status).toBe(400);
    expect(((await readJson(badState)) as { error: { message: string } }).error.message).toMatch(/^state: /);
    const badNote = await app.request('/api/v1/actions/1/reject', {
      method: 'POST',
      headers: { ...operator, ...json },
      body: JSON.stringify({ note: 'x'.repeat(501) }),
    });
    expect(badNote.status).toBe(400);
    const malformed = await app.request('/api/v1/actions/1/reject', {
      method: 'POST',
      headers: { ...operator, ...json },
      body: '{"note":',
    });
    expect(malformed.status).toBe(400);
  });
});

describe('security', () => {
  it('refuses decisions to a viewer and everything to a caller without a token', async () => {
    for (const path of ['/api/v1/actions/1/approve', '/api/v1/actions/1/reject', '/api/v1/actions/pause']) {
      const res = await app.request(path, { method: 'POST', headers: viewer });
      expect(res.status, path).toBe(403);
    }
    expect((await app.request('/api/v1/actions')).status).toBe(401);
    expect((await app.request('/api/v1/actions/1/approve', { method: 'POST' })).status).toBe(401);
    expect(
      (
        (await readJson(await app.request('/api/v1/actions/1', { headers: viewer }))) as {
          data: { state: string };
        }
      ).data.state,
    ).toBe('planned');
  });

  it('audits every call with its final status, principal name and role, and never the token or the query', async () => {
    await app.request('/api/v1/actions?state=planned', { headers: viewer });
    await app.request('/api/v1/actions/1/approve', { method: 'POST', headers: viewer });
    await app.request('/api/v1/actions/1/approve', { method: 'POST', headers: operator });
    await app.request('/api/v1/actions', { headers: { authorization: 'Bearer not-a-real-token-000' } });
    const rows = await auditRows();
    expect(rows.map((r) => [r.principal, r.role, r.method, r.path, r.status])).toEqual([
      ['dash', 'viewer', 'GET', '/api/v1/actions', 200],
      ['dash', 'viewer', 'POST', '/api/v1/actions/1/approve', 403],
      ['alice', 'operator', 'POST', '/api/v1/actions/1/approve', 200],
      [null, null, 'GET', '/api/v1/actions', 401],
    ]);
    expect(rows.every((r) => typeof r.request_id === 'string' && (r.request_id as string).length > 0)).toBe(
      true,
    );
    const dump = JSON.stringify(rows);
    for (const secret of [VIEWER, OPERATOR, 'not-a-real-token-000']) expect(dump).not.toContain(secret);
  });
});
