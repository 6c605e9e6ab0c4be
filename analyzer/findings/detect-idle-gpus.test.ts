import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { detectIdleGpus } from './detect-idle-gpus.js';

/**
 * Planted GPUs, one per case, on one node priced at $3 per GPU-hour. The window is the 30 minutes before AT;
 * the idle run is traced back up to 4 hours.
 */
const AT = new Date('2026-12-01T12:00:00Z');
const t = Config.parse({}).analyzer.idle;
let handle: DbHandle;

interface Minute {
  activity?: number | null;
  encoder?: number;
  nvlink?: number;
  memory?: number;
  power?: number;
  /** Joules the energy counter rose in the minute; default power × 60. */
  energy?: number;
  gpuUtil?: number;
  job?: number | null;
}

/** `minutes` rollups ending at AT for one GPU, each from `at(minutesBeforeAt)`. */
async function plant(gpuId: number, minutes: number, at: (m: number) => Minute) {
  for (let m = minutes; m >= 1; m--) {
    const x = at(m);
    const bucket = new Date(AT.getTime() - m * 60_000);
    const activity = x.activity === undefined ? 0.01 : x.activity;
    const power = x.power ?? 70 + (m % 7);
    await handle.db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
        activity_max, encoder_mean, decoder_mean, nvlink_tx_bytes_per_second, memory_used_max_bytes, power_mean_watts,
        energy_joules, gpu_util_max, job_ref)
      values (${gpuId}, ${bucket}, 4, ${activity === null ? null : 'gr_engine_active'}, ${activity}, ${activity},
        ${x.encoder ?? 0}, 0, ${x.nvlink ?? 0}, ${x.memory ?? 500e6}, ${power}, ${x.energy ?? power * 60}, ${x.gpuUtil ?? null},
        ${x.job === undefined ? 1 : x.job})`);
  }
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const db = handle.db;
  await db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'node-1')`);
  const gpus = 'ABCDEFGHIJKL'.split('');
  for (const [i, g] of gpus.entries()) {
    await db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, gpu_instance_id, model, mig_profile)
      values (${i + 1}, 1, ${`GPU-${g}`}, ${i}, ${g === 'F' ? 1 : null}, 'NVIDIA H100 80GB HBM3', ${g === 'F' ? '1g.10gb' : null})`);
  }
  await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, team, state, raw_state, gpus_allocated,
      nodes, pods, owners, labels) values
    (1, 'c1', 'slurm', '501', 'notebook', 'research', 'running', 'RUNNING', 1, '{node-1}', '{}', '[]', '{}'),
    (2, 'c1', 'slurm', '502', 'train', 'research', 'running', 'RUNNING', 1, '{node-1}', '{}', '[]', '{}')`);
  await db.execute(sql`insert into cost_node_hours (cluster, node, hour, gpu_capacity, present_minutes, cost, billed,
      currency, price_tier, price_source)
    values ('c1', 'node-1', '2026-12-01T11:00:00Z', 8, 60, 24, false, 'USD', 'price_book', 'config')`);
  // A: a job's GPU, busy until 90 minutes ago, idle since
  await plant(1, 120, (m) => ({ activity: m > 90 ? 0.8 : 0.01 }));
  // B: idle for 150 minutes with 40 GB of memory held
  await plant(2, 150, () => ({ memory: 40e9 }));
  // C: nobody's, idle
  await plant(3, 30, () => ({ job: null }));
  // D: encoder-only load (hard negative)
  await plant(4, 30, () => ({ encoder: 0.6 }));
  // E: between two jobs for two minutes (hard negative)
  await plant(5, 30, (m) => ({ job: m > 16 ? 1 : m > 14 ? null : 2 }));
  // F: a MIG instance whose activity reads N/A (hard negative: no verdict without data)
  await plant(6, 30, () => ({ activity: null }));
  // G: two minutes of data only
  await plant(7, 2, () => ({}));
  // H: busy
  await plant(8, 30, () => ({ activity: 0.9 }));
  // I: a frozen series, every minute the same and the energy counter stalled (suspect, never idle)
  await plant(9, 30, () => ({ activity: 0, power: 61, energy: 0 }));
  // K: idle read in whole watts (the same (0, 69 W) every minute) while the energy counter moves: idle, not frozen
  await plant(11, 30, () => ({ activity: 0, power: 69 }));
  // L: GR_ENGINE_ACTIVE reads 0 under load while GPU_UTIL reads 97 % (the DCGM fault): suspect, never idle
  await plant(12, 30, () => ({ activity: 0, gpuUtil: 0.97 }));
  // J: low activity but NVLink traffic (communication, not idle)
  await plant(10, 30, () => ({ nvlink: 50e6 }));
});
afterAll(async () => {
  await handle.close();
});

describe('detectIdleGpus', () => {
  it('flags the idle GPUs by variant with escalation and cost, and none of the hard negatives', async () => {
    const { detections, judged, suspect } = await detectIdleGpus(handle.db, 'c1', AT, t);
    expect(judged).toBe(12);
    expect(suspect).toBe(3);
    const by = Object.fromEntries(detections.map((d) => [d.subject.id, d]));
    expect(Object.keys(by).sort()).toEqual(['GPU-A', 'GPU-B', 'GPU-C', 'GPU-K']);
    expect(by['GPU-A']).toMatchObject({
      kind: 'idle_gpu_allocated',
      severity: 'warning',
      // $24 for 8 GPUs is $3 per GPU-hour: 30 minutes of window, and 30 days
      impactCostUsd: '1.5000000000',
      impactMonthlyUsd: '2160.0000000000',
      recommend: { action: 'release_gpu', risk: 'low' },
    });
    expect(by['GPU-A']?.evidence.values).toMatchObject({ idleMinutes: 90, job: '501', team: 'research' });
    expect(by['GPU-B']).toMatchObject({ kind: 'idle_gpu_memory_held', severity: 'critical' });
    expect(by['GPU-B']?.evidence.values.idleMinutes).toBe(150);
    expect(by['GPU-C']).toMatchObject({
      kind: 'idle_gpu_unallocated',
      severity: 'info',
      recommend: { action: 'reclaim_gpu' },
    });
    expect(by['GPU-A']?.evidence.samples).toBe(30);
    // G read idle, but from two minutes only: no verdict
  });
});
