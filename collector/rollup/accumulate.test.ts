import { describe, expect, it } from 'vitest';
import { lookupField } from '../dcgm/fields.js';
import type { GpuLabels } from '../dcgm/normalize.js';
import { BUCKET_MS, RollupAccumulator } from './accumulate.js';

const gpu: GpuLabels = {
  uuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
  gpuInstanceId: null,
  gpuIndex: 0,
  device: 'nvidia0',
  model: 'NVIDIA H100 80GB HBM3',
  pciBusId: '00000000:1B:00.0',
  migProfile: null,
  hostname: 'node-a',
  driverVersion: '575.51.03',
  owner: {},
};
const mig: GpuLabels = { ...gpu, gpuInstanceId: 11, migProfile: '1g.10gb' };
const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);

function observe(acc: RollupAccumulator, g: GpuLabels, name: string, value: number, ts: number) {
  acc.observe('node-a', g, lookupField(name)!, value, ts);
}

describe('RollupAccumulator', () => {
  it('gives a minute the owner of its own labels when a GPU goes back to labels it had before', () => {
    const acc = new RollupAccumulator();
    const withPod: GpuLabels = { ...gpu, owner: { pod: 'p1', namespace: 'ns' } };
    // the same label objects come back from the parser's cache, as in a real scrape loop
    for (const [minute, labels] of [gpu, withPod, gpu].entries()) {
      observe(acc, labels, 'DCGM_FI_DEV_GPU_UTIL', 0, t0 + minute * BUCKET_MS);
    }
    const rows = acc.takeDirty(t0 + 4 * BUCKET_MS, { includeOpen: false });
    expect(rows.map((r) => [r.bucketMs - t0, r.ownerKind, r.ownerRef])).toEqual([
      [0, null, null],
      [BUCKET_MS, 'pod', 'ns/p1'],
      [2 * BUCKET_MS, null, null],
    ]);
  });

  it('folds samples of one minute into mean and max in base units', () => {
    const acc = new RollupAccumulator();
    for (const [i, util] of [10, 50, 90, 30].entries()) {
      observe(acc, gpu, 'DCGM_FI_DEV_GPU_UTIL', util, t0 + i * 15_000);
      observe(acc, gpu, 'DCGM_FI_DEV_FB_USED', 1000 * (i + 1), t0 + i * 15_000);
      observe(acc, gpu, 'DCGM_FI_DEV_FB_FREE', 81559 - 1000 * (i + 1), t0 + i * 15_000);
      observe(acc, gpu, 'DCGM_FI_DEV_SM_CLOCK', 1980, t0 + i * 15_000);
    }
    const [row] = acc.takeDirty(t0 + 2 * BUCKET_MS, { includeOpen: false });
    expect(row).toMatchObject({
      bucketMs: t0,
      sampleCount: 4,
      activitySource: 'gpu_util',
      activityMean: 0.45,
      activityMax: 0.9,
      memoryUsedMaxBytes: 4000 * 1024 * 1024,
      memoryTotalBytes: 81559 * 1024 * 1024,
      smClockMeanHertz: 1.98e9,
    });
  });

  it('prefers GR_ENGINE_ACTIVE over GPU_UTIL for activity and says which it used', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_GPU_UTIL', 100, t0);
    observe(acc, gpu, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.25, t0);
    const [row] = acc.takeDirty(t0, { includeOpen: true });
    expect(row?.activitySource).toBe('gr_engine_active');
    expect(row?.activityMean).toBe(0.25);
  });

  it('computes energy from counter deltas and survives a counter reset', () => {
    const acc = new RollupAccumulator();
    // mJ counter: +600 J, +600 J, then the driver reloads and the counter restarts at 300 J
    const readings = [1_000_000, 1_600_000, 2_200_000, 300_000];
    for (const [i, mj] of readings.entries())
      observe(acc, gpu, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', mj, t0 + i * 15_000);
    const [row] = acc.takeDirty(t0 + 2 * BUCKET_MS, { includeOpen: false });
    expect(row?.energyJoules).toBe(600 + 600 + 300);
  });

  it('never counts a replayed sample twice', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0);
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 300, t0 + 15_000);
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0);
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 300, t0 + 15_000);
    const [row] = acc.takeDirty(t0 + 2 * BUCKET_MS, { includeOpen: false });
    expect(row).toMatchObject({ powerMeanWatts: 200, sampleCount: 2 });
  });

  it('keeps MIG instances apart from their physical GPU', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 400, t0);
    observe(acc, mig, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.5, t0);
    const rows = acc.takeDirty(t0, { includeOpen: true });
    expect(rows.map((r) => r.key).sort()).toEqual([`node-a/${gpu.uuid}`, `node-a/${gpu.uuid}/11`]);
  });

  it('skips DCGM blank sentinels and non-finite values', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_GPU_TEMP', Number('9223372036854775794'), t0);
    observe(acc, gpu, 'DCGM_FI_DEV_GPU_TEMP', Number.NaN, t0 + 1000);
    observe(acc, gpu, 'DCGM_FI_DEV_GPU_TEMP', 61, t0 + 2000);
    const [row] = acc.takeDirty(t0, { includeOpen: true });
    expect(row?.temperatureMaxCelsius).toBe(61);
    expect(acc.blankValues).toBe(2);
  });

  it('collects distinct XID codes and ORs clock-event reasons', () => {
    const acc = new RollupAccumulator();
    const reasons = [0x1, 0x40, 0x20 | 0x40];
    for (const [i, xid] of [0, 79, 79].entries()) {
      observe(acc, gpu, 'DCGM_FI_DEV_XID_ERRORS', xid, t0 + i * 1000);
      observe(acc, gpu, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', reasons[i]!, t0 + i * 1000);
    }
    observe(acc, gpu, 'DCGM_FI_DEV_XID_ERRORS', 48, t0 + 5000);
    const [row] = acc.takeDirty(t0, { includeOpen: true });
    expect(row?.xidCodes).toEqual([48, 79]);
    expect(row?.clockEventReasons).toBe(0x61);
  });

  it('forgets a closed bucket once written, keeps an open one, and re-offers a bucket changed after writing', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0);
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0 + BUCKET_MS);
    const now = t0 + BUCKET_MS + 10_000;
    const first = acc.takeDirty(now, { includeOpen: true });
    expect(first).toHaveLength(2);
    acc.confirmWritten(first, now);
    expect(acc.bufferedBuckets()).toBe(1);
    expect(acc.takeDirty(now, { includeOpen: true })).toHaveLength(0);
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 300, t0 + BUCKET_MS + 15_000);
    expect(acc.takeDirty(now, { includeOpen: true })[0]?.powerMeanWatts).toBe(200);
  });

  it('forgets a minute written while still open once it has closed', () => {
    const acc = new RollupAccumulator();
    observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0);
    const open = acc.takeDirty(t0 + 1000, { includeOpen: true });
    acc.confirmWritten(open, t0 + 1000);
    expect(acc.bufferedBuckets()).toBe(1);
    const later = t0 + 2 * BUCKET_MS;
    acc.confirmWritten(acc.takeDirty(later, { includeOpen: true }), later);
    expect(acc.bufferedBuckets()).toBe(0);
  });

  it('keeps unwritten buckets until the buffer limit, then drops and counts them', () => {
    const acc = new RollupAccumulator({ maxBufferedMinutes: 5 });
    for (let m = 0; m < 10; m++) observe(acc, gpu, 'DCGM_FI_DEV_POWER_USAGE', 100, t0 + m * BUCKET_MS);
    expect(acc.evictStale(t0 + 10 * BUCKET_MS)).toBe(5);
    expect(acc.droppedBuckets).toBe(5);
    expect(acc.bufferedBuckets()).toBe(5);
  });
});
