import { describe, expect, it } from 'vitest';
import { lookupField } from '../dcgm/fields.js';
import { readGpuLabels } from '../dcgm/normalize.js';
import { RollupAccumulator } from '../rollup/accumulate.js';
import { createLabelInterner, hostOfInstance, ingestSeries, resolveNodeName } from './ingest-series.js';
import type { PromSeries } from './query-range.js';

const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const uuid = 'GPU-be839661-c0f5-7452-284b-b875666df60c';

function series(name: string, labels: Record<string, string>, values: [number, number][]): PromSeries {
  return { labels: { __name__: name, ...labels }, points: values.map(([s, v]) => [t0 + s * 1000, v]) };
}

const gpuLabels = {
  gpu: '0',
  UUID: uuid,
  modelName: 'NVIDIA H100 80GB HBM3',
  Hostname: 'node-a',
  job: 'dcgm',
};

describe('resolveNodeName', () => {
  const nodeOf = (labels: Record<string, string>) => {
    const frozen = Object.freeze({ UUID: uuid, ...labels });
    return resolveNodeName(frozen, readGpuLabels(frozen)!);
  };

  it('prefers the node label from service discovery over the exporter Hostname, which may be its pod name', () => {
    expect(nodeOf({ Hostname: 'dcgm-exporter-x7k2p', node: 'gpu-node-7', instance: '10.0.0.9:9400' })).toBe(
      'gpu-node-7',
    );
    expect(nodeOf({ hostname: 'node-b', kubernetes_node: 'gpu-node-8' })).toBe('gpu-node-8');
  });

  it('falls back to the Hostname (or hostname) label, then the host of instance', () => {
    expect(nodeOf({ Hostname: 'node-a', instance: '10.0.0.9:9400' })).toBe('node-a');
    expect(nodeOf({ hostname: 'node-b' })).toBe('node-b');
    expect(nodeOf({ instance: '10.0.0.9:9400' })).toBe('10.0.0.9');
  });

  it('reads the host part of IPv6, host-only and named instances', () => {
    expect(hostOfInstance('[fd00::1]:9400')).toBe('fd00::1');
    expect(hostOfInstance('gpu-node-0001.example:9400')).toBe('gpu-node-0001.example');
    expect(hostOfInstance('gpu-node-0001')).toBe('gpu-node-0001');
    expect(hostOfInstance('')).toBeUndefined();
  });
});

describe('createLabelInterner', () => {
  it('returns one frozen object per label set whatever the metric name or key order', () => {
    const interner = createLabelInterner();
    const a = interner.intern({ __name__: 'DCGM_FI_DEV_GPU_UTIL', UUID: uuid, gpu: '0' });
    const b = interner.intern({ gpu: '0', UUID: uuid, __name__: 'DCGM_FI_DEV_GPU_TEMP' });
    expect(a).toBe(b);
    expect(a).toEqual({ UUID: uuid, gpu: '0' });
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('ingestSeries', () => {
  it('puts the step at t into the minute of t - 1 ms: the 10:01:00 step closes the 10:00 minute', () => {
    const acc = new RollupAccumulator();
    const util = series('DCGM_FI_DEV_GPU_UTIL', gpuLabels, [
      [15, 10],
      [30, 20],
      [45, 30],
      [60, 40],
      [75, 90],
    ]);
    const summary = ingestSeries(acc, [util], { fallbackField: undefined, labels: createLabelInterner() });
    expect(summary).toMatchObject({ series: 1, points: 5, skippedSeries: 0 });
    expect([...summary.gpuKeys]).toEqual([`node-a/${uuid}`]);
    const rows = acc
      .takeDirty(t0 + 10 * 60_000, { includeOpen: true })
      .sort((a, b) => a.bucketMs - b.bucketMs);
    expect(rows.map((r) => r.bucketMs)).toEqual([t0, t0 + 60_000]);
    expect(rows[0]).toMatchObject({ sampleCount: 4, activityMax: 0.4, activitySource: 'gpu_util' });
    expect(rows[0]!.activityMean).toBeCloseTo(0.25, 12);
    expect(rows[1]).toMatchObject({ sampleCount: 1, activityMax: 0.9 });
  });

  it('merges series of one GPU whose owner labels changed, in time order, keeping the newest owner', () => {
    const acc = new RollupAccumulator();
    // the response lists the newer series first; the older one must not be dropped as "not newer"
    const after = series('DCGM_FI_DEV_FB_USED', { ...gpuLabels, pod: 'job-b' }, [
      [45, 300],
      [60, 400],
    ]);
    const before = series('DCGM_FI_DEV_FB_USED', { ...gpuLabels, pod: 'job-a' }, [
      [15, 100],
      [30, 200],
    ]);
    const summary = ingestSeries(acc, [after, before], {
      fallbackField: undefined,
      labels: createLabelInterner(),
    });
    expect(summary.points).toBe(4);
    const [row] = acc.takeDirty(t0 + 10 * 60_000, { includeOpen: true });
    expect(row).toMatchObject({ sampleCount: 4, memoryUsedMaxBytes: 400 * 1024 * 1024 });
    expect(row!.gpu.owner).toEqual({ pod: 'job-b' });
  });

  it('uses the field of each series name, so one regex query can carry both clock-event names', () => {
    const acc = new RollupAccumulator();
    const oldName = series('DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', gpuLabels, [[15, 1]]);
    const newName = series('DCGM_FI_DEV_CLOCKS_EVENT_REASONS', { ...gpuLabels, UUID: 'GPU-2', gpu: '1' }, [
      [15, 96],
    ]);
    ingestSeries(acc, [oldName, newName], { fallbackField: undefined, labels: createLabelInterner() });
    const reasons = acc
      .takeDirty(t0 + 10 * 60_000, { includeOpen: true })
      .map((r) => r.clockEventReasons)
      .sort((a, b) => a - b);
    expect(reasons).toEqual([1, 96]);
  });

  it('skips series without a GPU UUID or with a metric name that is not a rolled-up field', () => {
    const acc = new RollupAccumulator();
    const noUuid = series('DCGM_FI_DEV_GPU_UTIL', { gpu: '0', Hostname: 'node-a' }, [[15, 10]]);
    const other = series('DCGM_FI_DEV_MEM_CLOCK', gpuLabels, [[15, 2619]]);
    const summary = ingestSeries(acc, [noUuid, other], {
      fallbackField: undefined,
      labels: createLabelInterner(),
    });
    expect(summary).toMatchObject({ series: 2, points: 0, skippedSeries: 2 });
    expect(acc.gpuCount).toBe(0);
  });

  it('uses the query field for series without __name__ (TSDBs that drop it)', () => {
    const acc = new RollupAccumulator();
    const bare: PromSeries = { labels: { ...gpuLabels }, points: [[t0 + 15_000, 75]] };
    ingestSeries(acc, [bare], {
      fallbackField: lookupField('DCGM_FI_DEV_GPU_TEMP'),
      labels: createLabelInterner(),
    });
    expect(acc.takeDirty(t0 + 10 * 60_000, { includeOpen: true })[0]?.temperatureMaxCelsius).toBe(75);
  });

  it('counts NaN and +Inf values as blanks, not readings', () => {
    const acc = new RollupAccumulator();
    const power = series('DCGM_FI_DEV_POWER_USAGE', gpuLabels, [
      [15, Number.NaN],
      [30, Number.POSITIVE_INFINITY],
      [45, 300],
    ]);
    ingestSeries(acc, [power], { fallbackField: undefined, labels: createLabelInterner() });
    expect(acc.blankValues).toBe(2);
    expect(acc.takeDirty(t0 + 10 * 60_000, { includeOpen: true })[0]?.powerMeanWatts).toBe(300);
  });
});
