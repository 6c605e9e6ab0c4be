import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { createAnalyzerMetrics } from '../../analyzer/findings/analyzer-metrics.js';
import { runAnalyzerPass } from '../../analyzer/findings/run-analyzer-pass.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createApp } from '../app.js';

/** Two GPUs: one a job holds and leaves idle, one that goes back to work; passes as of two times. */
const T = new Date('2026-12-01T12:00:00Z');
const config = Config.parse({ cluster: 'c1' });
const registry = createRegistry({ defaultMetrics: false });
const metrics = createAnalyzerMetrics(registry);
const viewer = { authorization: 'Bearer viewer-token-0123456789' };
let handle: DbHandle;
let app: ReturnType<typeof createApp>;

async function minutes(gpuId: number, from: number, to: number, activity: number) {
  await handle.db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
      activity_max, sm_active_mean, power_mean_watts, job_ref)
    select ${gpuId}, ${T}::timestamptz + m * interval '1 minute', 4, 'gr_engine_active', ${activity}, ${activity},
      ${activity * 0.9}, 70 + m % 5, 1
    from generate_series(${from}::int, ${to - 1}::int) m`);
}
const pass = (minute: number) =>
  runAnalyzerPass(
    { db: handle.db, cluster: 'c1', config: config.analyzer, metrics },
    new Date(T.getTime() + minute * 60_000),
  );

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  await handle.db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'node-1')`);
  await handle.db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, model) values
    (1, 1, 'GPU-A', 0, 'NVIDIA H100 80GB HBM3'), (2, 1, 'GPU-B', 1, 'NVIDIA H100 80GB HBM3')`);
  await handle.db.execute(sql`insert into jobs (id, cluster, source, job_id, name, team, state, raw_state,
      gpus_allocated, nodes, pods, owners, labels)
    values (1, 'c1', 'slurm', '77', 'nb', 'research', 'running', 'RUNNING', 2, '{node-1}', '{}', '[]', '{}')`);
  await minutes(1, 0, 90, 0.01);
  await minutes(2, 0, 40, 0.01);
  await minutes(2, 40, 90, 0.7);
  app = createApp({
    db: handle.db,
    clock: createManualClock(T.getTime()),
    registry,
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [{ name: 'dash', role: 'viewer', token: 'viewer-token-0123456789' }],
    isReady: () => checkReadiness(handle.db),
    costs: createCostDeps(handle.db, config, registry),
  });
});
afterAll(async () => {
  await handle.close();
});

describe('runAnalyzerPass', () => {
  it('opens idle findings, resolves one that went back to work, and serves them', async () => {
    expect(await pass(35)).toMatchObject({ judgedGpus: 2, opened: 2 });
    expect(await pass(90)).toMatchObject({ resolved: 1, updated: 1 });

    const all = await readJson(await app.request('/api/v1/findings', { headers: viewer }));
    expect(
      all.data.map((f: { subject: { id: string }; status: string }) => [f.subject.id, f.status]),
    ).toEqual([
      ['GPU-A', 'updated'],
      ['GPU-B', 'resolved'],
    ]);
    const a = await readJson(
      await app.request('/api/v1/findings?subject=gpu:GPU-A&status=updated', { headers: viewer }),
    );
    expect(a.data).toHaveLength(1);
    expect(a.data[0]).toMatchObject({
      kind: 'idle_gpu_allocated',
      severity: 'warning',
      evidence: { values: { idleMinutes: 90, job: '77' }, threshold: { activityMax: 0.05 }, samples: 30 },
    });
    const recs = await readJson(
      await app.request('/api/v1/recommendations?status=open', { headers: viewer }),
    );
    expect(recs.data).toMatchObject([{ action: 'release_gpu', subject: { type: 'gpu', id: 'GPU-A' } }]);
    expect((await app.request('/api/v1/findings?severity=loud', { headers: viewer })).status).toBe(400);

    const text = await registry.metrics();
    expect(text).toMatch(/gpuscope_idle_gpus\{cluster="c1",kind="allocated"\} 1/);
    expect(text).toMatch(/gpuscope_findings\{cluster="c1",kind="idle_gpu_allocated",severity="warning"\} 1/);
    // the last 30 minutes of team research: GPU-A at 0.01 and GPU-B at 0.7, one GPU-hour held
    expect(text).toMatch(/gpuscope_team_gpu_efficiency_ratio\{cluster="c1",team="research"\} 0\.355/);
    expect(text).toMatch(/gpuscope_team_held_gpu_hours\{cluster="c1",team="research"\} 1\n/);
  });
});
