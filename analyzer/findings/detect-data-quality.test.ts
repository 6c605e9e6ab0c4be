import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import {
  detectDataQuality,
  type GpuDataWindow,
  judgeGpuData,
  judgeTarget,
  type TargetRow,
} from './detect-data-quality.js';

const t = Config.parse({}).analyzer.dataQuality;

const gpu = (w: Partial<GpuDataWindow>): GpuDataWindow => ({
  uuid: 'GPU-1',
  gpuInstanceId: null,
  node: 'n1',
  minutes: 30,
  grMinutes: 30,
  grMax: 0.7,
  gpuUtilMean: 0.9,
  profiledMinutes: 30,
  migParent: false,
  energyMinutes: 30,
  energyJoules: 30 * 60 * 500,
  powerMeanWatts: 500,
  distinctReadings: 30,
  ...w,
});

describe('judgeGpuData', () => {
  it('finds nothing wrong with a healthy busy GPU or an idle one', () => {
    expect(judgeGpuData(gpu({}), t)).toEqual([]);
    expect(
      judgeGpuData(gpu({ grMax: 0, gpuUtilMean: 0, powerMeanWatts: 70, energyJoules: 30 * 60 * 70 }), t),
    ).toEqual([]);
  });

  it('calls GR_ENGINE_ACTIVE at 0 under a 95 % GPU_UTIL the DCGM fault', () => {
    expect(judgeGpuData(gpu({ grMax: 0, gpuUtilMean: 0.95 }), t).map((v) => v.kind)).toEqual([
      'data_gr_engine_zero',
    ]);
    // light GPU_UTIL with GR at 0 is a nearly idle GPU, not the fault
    expect(judgeGpuData(gpu({ grMax: 0, gpuUtilMean: 0.03 }), t)).toEqual([]);
  });

  it('calls a stalled energy counter under power frozen, and identical readings without a counter too', () => {
    expect(judgeGpuData(gpu({ energyJoules: 0 }), t).map((v) => v.kind)).toEqual(['data_frozen_series']);
    expect(
      judgeGpuData(gpu({ energyMinutes: 0, energyJoules: null, distinctReadings: 1 }), t).map((v) => v.kind),
    ).toEqual(['data_frozen_series']);
    expect(
      judgeGpuData(gpu({ energyMinutes: 0, energyJoules: null, distinctReadings: 1, minutes: 5 }), t),
    ).toEqual([]);
  });

  it('notes missing profiling fields on a whole GPU, not on a MIG parent or instance', () => {
    expect(judgeGpuData(gpu({ profiledMinutes: 0, grMinutes: 0 }), t).map((v) => v.kind)).toEqual([
      'data_missing_profiling',
    ]);
    expect(judgeGpuData(gpu({ profiledMinutes: 0, migParent: true }), t)).toEqual([]);
    expect(judgeGpuData(gpu({ profiledMinutes: 0, gpuInstanceId: 3 }), t)).toEqual([]);
  });

  it('gives no verdict from two minutes', () => {
    expect(judgeGpuData(gpu({ minutes: 2, grMax: 0, gpuUtilMean: 0.95, energyJoules: 0 }), t)).toEqual([]);
  });
});

describe('judgeTarget', () => {
  const target = (r: Partial<TargetRow>): TargetRow => ({
    kind: 'dcgm',
    url: 'http://n1:9400/metrics',
    node: 'n1',
    up: true,
    lastSuccessAt: new Date(),
    lastError: null,
    lastDurationSeconds: 0.4,
    consecutiveFailures: 0,
    ...r,
  });
  it('calls a target down after three failures and one answering in 9 s of a 10 s timeout slow', () => {
    expect(
      judgeTarget(target({ up: false, consecutiveFailures: 3, lastError: 'timeout after 10 s' }), 10, t),
    ).toMatchObject({
      kind: 'data_target_down',
      severity: 'critical',
    });
    expect(judgeTarget(target({ up: false, consecutiveFailures: 1 }), 10, t)).toBeUndefined();
    expect(judgeTarget(target({ lastDurationSeconds: 9 }), 10, t)?.kind).toBe('data_scrape_slow');
    expect(judgeTarget(target({ lastDurationSeconds: 2 }), 10, t)).toBeUndefined();
  });
});

describe('detectDataQuality on stored rows', () => {
  let handle: DbHandle;
  const AT = new Date('2026-12-01T12:00:00Z');
  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const db = handle.db;
    await db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'node-1')`);
    await db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, model) values
      (1, 1, 'GPU-A', 0, 'NVIDIA H100 80GB HBM3'), (2, 1, 'GPU-B', 1, 'NVIDIA H100 80GB HBM3')`);
    for (let m = 30; m >= 1; m--) {
      const bucket = new Date(AT.getTime() - m * 60_000);
      // A: the GR-engine fault under load; B: owned by a pod no job matched, for a third of the minutes
      await db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
          activity_max, sm_active_mean, gpu_util_mean, gpu_util_max, power_mean_watts, energy_joules, owner_kind,
          owner_ref, attribution)
        values (1, ${bucket}, 4, 'gr_engine_active', 0, 0, 0, 0.96, 0.99, 520, 31200, null, null, null),
          (2, ${bucket}, 4, 'gr_engine_active', 0.6, 0.7, 0.5, 0.6, 0.7, 400, 24000, 'pod', 'ml/train-0',
            ${m % 3 === 0 ? 'unattributed' : 'exporter_label'})`);
    }
    await db.execute(sql`insert into collector_targets (kind, url, node, up, consecutive_failures, last_error)
      values ('dcgm', 'http://node-2:9400/metrics', 'node-2', false, 5, 'connect ECONNREFUSED')`);
    await db.execute(sql`insert into collector_targets (kind, url, node, up, consecutive_failures, last_duration_seconds)
      values ('dcgm', 'http://node-1:9400/metrics', 'node-1', true, 0, 9.1)`);
  });
  afterAll(() => handle.close());

  it('finds the GR fault, the unattributed minutes, the down target and the slow one', async () => {
    const { detections } = await detectDataQuality(handle.db, 'c1', AT, t, { dcgm: 10 });
    expect(detections.map((d) => `${d.kind} ${d.subject.id}`).sort()).toEqual([
      'data_gr_engine_zero GPU-A',
      'data_scrape_slow node-1',
      'data_target_down node-2',
      'data_unattributed node-1',
    ]);
  });
});
