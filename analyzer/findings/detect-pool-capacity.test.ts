import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { detectPoolCapacity, judgePool, type PoolWindow } from './detect-pool-capacity.js';

const t = Config.parse({}).analyzer.capacity;

describe('judgePool', () => {
  const pool = (p: Partial<PoolWindow>): PoolWindow => ({
    pool: 'NVIDIA H100 80GB HBM3 x8',
    nodes: 10,
    idleNodes: [],
    gpusPerNode: 8,
    freeGpus: 4,
    pendingGpus: 0,
    pendingJobs: 0,
    ...p,
  });
  it('scales down by the idle whole nodes beyond the headroom, never while work is pending', () => {
    expect(judgePool(pool({ idleNodes: ['a', 'b', 'c'], freeGpus: 24 }), t)).toEqual({
      kind: 'pool_scale_down',
      by: 2,
    });
    expect(judgePool(pool({ idleNodes: ['a'], freeGpus: 8 }), t)).toBeUndefined();
    expect(
      judgePool(pool({ idleNodes: ['a', 'b'], freeGpus: 16, pendingGpus: 8, pendingJobs: 1 }), t),
    ).toBeUndefined();
  });
  it('scales up by whole nodes when pending GPUs exceed the free ones', () => {
    expect(judgePool(pool({ pendingGpus: 20, pendingJobs: 3, freeGpus: 2 }), t)).toEqual({
      kind: 'pool_scale_up',
      by: 3,
    });
  });
});

describe('detectPoolCapacity on stored rows', () => {
  let handle: DbHandle;
  const AT = new Date('2026-12-01T12:00:00Z');
  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const db = handle.db;
    // three 2-GPU A100 nodes: n1 and n2 idle and unallocated for the hour, n3 busy under a job
    await db.execute(
      sql`insert into nodes (id, cluster, name) values (1, 'c1', 'n1'), (2, 'c1', 'n2'), (3, 'c1', 'n3')`,
    );
    await db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, model)
      select i, (i + 1) / 2, 'GPU-' || i, (i + 1) % 2, 'NVIDIA A100-SXM4-80GB' from generate_series(1, 6) i`);
    await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, state, raw_state, gpus_allocated, nodes,
        pods, owners, labels) values (1, 'c1', 'slurm', '9', 'train', 'running', 'RUNNING', 2, '{n3}', '{}', '[]', '{}')`);
    await db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_max, job_ref)
      select g, ${AT}::timestamptz - m * interval '1 minute', 4, case when g > 4 then 0.8 else 0 end,
        case when g > 4 then 1 end
      from generate_series(1, 6) g, generate_series(1, 60) m`);
    await db.execute(sql`insert into cost_node_hours (cluster, node, hour, gpu_capacity, present_minutes, cost, billed,
        currency, price_tier, price_source)
      values ('c1', 'n1', '2026-12-01T11:00:00Z', 2, 60, 4, false, 'USD', 'price_book', 'config'),
        ('c1', 'n2', '2026-12-01T11:00:00Z', 2, 60, 4, false, 'USD', 'price_book', 'config')`);
  });
  afterAll(() => handle.close());

  it('recommends removing one of the two idle nodes, priced at the node rate for a month', async () => {
    const { detections } = await detectPoolCapacity(handle.db, 'c1', AT, t);
    expect(detections).toHaveLength(1);
    expect(detections[0]).toMatchObject({
      kind: 'pool_scale_down',
      subject: { type: 'pool', id: 'NVIDIA A100-SXM4-80GB x2' },
      // $4 per node-hour ($2 per GPU-hour x 2) x 730 hours
      impactMonthlyUsd: '2920.0000000000',
      recommend: { action: 'scale_down', details: { by: 1, nodes: ['n1'] } },
    });
  });

  it('recommends adding nodes instead when a job has waited for 8 GPUs over the window', async () => {
    await handle.db.execute(sql`insert into jobs (id, cluster, source, job_id, name, state, raw_state, gpus_requested,
        gpus_allocated, submitted_at, nodes, pods, owners, labels)
      values (2, 'c1', 'slurm', '10', 'big', 'pending', 'PENDING', 8, 0, '2026-12-01T10:00:00Z', '{}', '{}', '[]', '{}')`);
    const { detections } = await detectPoolCapacity(handle.db, 'c1', AT, t);
    expect(detections.map((d) => [d.kind, d.recommend?.details])).toEqual([
      ['pool_scale_up', { pool: 'NVIDIA A100-SXM4-80GB x2', by: 2, nodes: [] }],
    ]);
  });
});
