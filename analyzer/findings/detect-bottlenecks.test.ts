import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { detectBottlenecks } from './detect-bottlenecks.js';

/**
 * One 8-GPU node, 30 minutes before AT: job 100 (a 4-GPU Slurm job) waits on its InfiniBand ports (the HCAs serving
 * its GPUs run at 92 % of line rate while its SMs idle at 0.3), with GPU 3 at half its peers' pace; job 200 (one
 * GPU) is throttled by heat; job 300 (two GPUs, a Deployment's replicas) serves at different loads, which is not a
 * straggler.
 */
const AT = new Date('2026-12-01T12:00:00Z');
const t = Config.parse({}).analyzer.bottleneck;
let handle: DbHandle;

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const db = handle.db;
  await db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'node-1')`);
  await db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, model)
    select i + 1, 1, 'GPU-' || i, i, 'NVIDIA H100 80GB HBM3' from generate_series(0, 7) i`);
  await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, state, raw_state, gpus_allocated, nodes,
      pods, owners, labels) values
    (100, 'c1', 'slurm', '100', 'allreduce', 'running', 'RUNNING', 4, '{node-1}', '{}', '[]', '{}'),
    (200, 'c1', 'slurm', '200', 'hot', 'running', 'RUNNING', 1, '{node-1}', '{}', '[]', '{}'),
    (300, 'c1', 'kubernetes', 'serve/ReplicaSet/api-7d9', 'api', 'running', 'Running', 2, '{node-1}', '{}', '[]', '{}')`);
  // gpu id, job, activity, sm, clock-event reasons
  const plan = [
    [1, 100, 0.7, 0.3, 0],
    [2, 100, 0.7, 0.3, 0],
    [3, 100, 0.7, 0.3, 0],
    [4, 100, 0.35, 0.15, 0],
    [5, 200, 0.8, 0.72, 0x40],
    [6, 300, 0.9, 0.8, 0],
    [7, 300, 0.35, 0.3, 0],
  ] as const;
  for (const [gpu, job, activity, sm, reasons] of plan) {
    await db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
        activity_max, sm_active_mean, tensor_active_mean, dram_active_mean, clock_event_reasons, pcie_rx_bytes_per_second,
        job_ref)
      select ${gpu}, ${AT}::timestamptz - m * interval '1 minute', 4, 'gr_engine_active', ${activity}, ${activity},
        ${sm}, 0.1, 0.2, ${reasons}, 5e7, ${job}
      from generate_series(1, 30) m`);
  }
  // mlx5_0..3 serve GPUs 0..3; the ports of job 100's GPUs are busy, the others quiet
  await db.execute(sql`insert into links (id, node_id, link_type, device, port, gpu_indices)
    select i + 1, 1, 'infiniband', 'mlx5_' || i, 1, array[i] from generate_series(0, 7) i`);
  await db.execute(sql`insert into link_rollups (link_id, bucket, sample_count, utilization_max, xmit_wait_per_second)
    select l, ${AT}::timestamptz - m * interval '1 minute', 4, case when l <= 4 then 0.92 else 0.05 end, 0
    from generate_series(1, 8) l, generate_series(1, 30) m`);
});
afterAll(() => handle.close());

describe('detectBottlenecks', () => {
  it('classes each job by what most of its GPUs wait on, and finds the slow GPU of the gang job only', async () => {
    const { detections } = await detectBottlenecks(handle.db, 'c1', AT, t);
    expect(detections.map((d) => `${d.kind} ${d.subject.type}:${d.subject.id}`).sort()).toEqual([
      'bottleneck_communication job:100',
      'bottleneck_throttled job:200',
      'straggler gpu:GPU-3',
    ]);
    const comm = detections.find((d) => d.kind === 'bottleneck_communication');
    expect(comm?.evidence.values).toMatchObject({ gpus: 4, gpusInClass: 4, linkUtilizationMax: 0.92 });
    const straggler = detections.find((d) => d.kind === 'straggler');
    expect(straggler?.evidence.values).toMatchObject({
      activityMean: 0.35,
      peerActivityMean: 0.7,
      job: '100',
    });
  });
});
