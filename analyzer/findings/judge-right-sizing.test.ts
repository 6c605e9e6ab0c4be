import { describe, expect, it } from 'vitest';
import {
  type GpuUsage,
  type JobUsage,
  judgeGpuCount,
  judgeMig,
  judgeModel,
  judgeSpot,
  type ModelOffer,
  type NodeMarket,
  riskOf,
  spotPerformanceRisk,
  DEFAULT_RIGHT_SIZING_THRESHOLDS as t,
} from './judge-right-sizing.js';

const GB = 1e9;
const H100_TOTAL = 81559 * 2 ** 20;

function gpu(over: Partial<GpuUsage> = {}): GpuUsage {
  return {
    gpuId: 1,
    uuid: 'GPU-1',
    node: 'node-1',
    model: 'NVIDIA H100 80GB HBM3',
    migProfile: null,
    minutes: 300,
    activityMinutes: 300,
    p95Activity: 0.08,
    p95MemoryBytes: 6 * GB,
    maxMemoryBytes: 6 * GB,
    memoryTotalBytes: H100_TOTAL,
    codecMax: 0,
    suspect: false,
    ...over,
  };
}

function job(gpus: GpuUsage[], over: Partial<JobUsage> = {}): JobUsage {
  return {
    jobRef: 1,
    jobId: '42',
    team: 'research',
    gpusAllocated: gpus.length,
    labels: {},
    p95Activity: 0.1,
    p95MemoryBytes: 6 * GB,
    gpus,
    ...over,
  };
}

const L4: ModelOffer = {
  gpuModel: 'NVIDIA L4 24GB',
  memoryBytes: 22888 * 2 ** 20,
  usdPerGpuHour: 0.9776,
  instanceType: 'g6.2xlarge',
  region: 'us-east-1',
};
const L40S: ModelOffer = {
  gpuModel: 'NVIDIA L40S',
  memoryBytes: 48 * GB,
  usdPerGpuHour: 1.2,
  instanceType: null,
  region: '',
};

describe('judgeGpuCount', () => {
  it('recommends the busy GPUs only and prices the idle ones for a month', () => {
    const gpus = [0, 1, 2, 3].map((i) => gpu({ uuid: `GPU-${i}`, p95Activity: i < 3 ? 0.7 : 0.01 }));
    const v = judgeGpuCount(job(gpus), 3, t);
    expect(v.finding).toBe('Overprovisioned');
    if (v.finding !== 'Overprovisioned') return;
    expect(v.option).toMatchObject({
      kind: 'right_size_gpus',
      reasonCodes: ['GPUOverprovisioned'],
      recommended: { shape: '3 × NVIDIA H100 80GB HBM3', p95Activity: 0.7 },
      performanceRisk: 1,
      monthlySavingsUsd: 3 * 730,
      extra: { idleGpus: 1, idleGpuIds: 'GPU-3' },
    });
  });

  it('rates an idle GPU that holds memory (a model shard) as medium risk', () => {
    const gpus = [
      gpu({ p95Activity: 0.7 }),
      gpu({ uuid: 'GPU-2', p95Activity: 0.01, maxMemoryBytes: 30 * GB }),
    ];
    const v = judgeGpuCount(job(gpus), 3, t);
    expect(v.finding === 'Overprovisioned' && riskOf(v.option.performanceRisk)).toBe('medium');
  });

  it('leaves a busy job, an all-idle job and a job with under minHours of data alone', () => {
    expect(judgeGpuCount(job([gpu({ p95Activity: 0.9 }), gpu({ p95Activity: 0.8 })]), 3, t).finding).toBe(
      'Optimized',
    );
    expect(judgeGpuCount(job([gpu({ p95Activity: 0 }), gpu({ p95Activity: 0 })]), 3, t)).toMatchObject({
      finding: 'Unavailable',
      reason: 'every GPU idle: an idle-GPU finding',
    });
    const short = [gpu({ p95Activity: 0.9 }), gpu({ p95Activity: 0, minutes: 200, activityMinutes: 200 })];
    expect(judgeGpuCount(job(short), 3, t).finding).toBe('Unavailable');
  });

  it('gives no verdict when some allocated GPUs were never seen', () => {
    expect(judgeGpuCount(job([gpu()], { gpusAllocated: 2 }), 3, t)).toMatchObject({ finding: 'Unavailable' });
  });
});

describe('judgeMig', () => {
  it('picks the smallest profile whose memory (p95 × 1.2, and the peak) and compute share fit', () => {
    const v = judgeMig(job([gpu()]), 3, t);
    expect(v.finding === 'Overprovisioned' && v.option).toMatchObject({
      kind: 'right_size_mig',
      recommended: { shape: 'MIG 1g.10gb', p95Activity: 0.56, p95MemoryRatio: 0.6 },
      extra: { migProfile: '1g.10gb', computeSlices: 1 },
      migrationEffort: 'Medium',
    });
    expect(v.finding === 'Overprovisioned' && v.option.monthlySavingsUsd).toBeCloseTo((6 / 7) * 3 * 730, 6);
  });

  it('moves up to 2g.20gb when 1/7 of the SMs is too little, and 1g.20gb when only memory is', () => {
    const compute = judgeMig(job([gpu({ p95Activity: 0.18 })]), 3, t);
    expect(compute.finding === 'Overprovisioned' && compute.option.extra.migProfile).toBe('2g.20gb');
    const memory = judgeMig(job([gpu({ p95MemoryBytes: 12 * GB, maxMemoryBytes: 14 * GB })]), 3, t);
    expect(memory.finding === 'Overprovisioned' && memory.option.extra.migProfile).toBe('1g.20gb');
  });

  it('never proposes a profile smaller than the memory peak, even when p95 fits', () => {
    const v = judgeMig(job([gpu({ p95MemoryBytes: 6 * GB, maxMemoryBytes: 39 * GB })]), 3, t);
    expect(v.finding === 'Overprovisioned' && v.option.extra.migProfile).toBe('3g.40gb');
  });

  it('leaves a memory-bound job, a multi-GPU job, a MIG instance and an L40S alone', () => {
    expect(judgeMig(job([gpu({ p95MemoryBytes: 70 * GB, maxMemoryBytes: 72 * GB })]), 3, t).finding).toBe(
      'Optimized',
    );
    expect(judgeMig(job([gpu(), gpu()]), 3, t).finding).toBe('Unavailable');
    expect(judgeMig(job([gpu({ migProfile: '3g.40gb' })]), 3, t).finding).toBe('Unavailable');
    expect(judgeMig(job([gpu({ model: 'NVIDIA L40S' })]), 3, t).finding).toBe('Unavailable');
  });

  it('leaves a video-encoding job (MIG slices lack NVENC) and an idle one (release, not resize) alone', () => {
    const encoder = judgeMig(job([gpu({ p95Activity: 0.02, codecMax: 0.62 })]), 3, t);
    expect(encoder).toMatchObject({ finding: 'Unavailable', reason: 'uses the video encoder or decoder' });
    const idle = judgeMig(job([gpu({ p95Activity: 0 })]), 3, t);
    expect(idle).toMatchObject({ finding: 'Unavailable', reason: 'idle: release, not resize' });
  });
});

describe('judgeModel', () => {
  it('proposes the cheapest other model with enough memory, savings per GPU kept', () => {
    const v = judgeModel(job([gpu({ p95MemoryBytes: 10 * GB })]), 12.29, [L4, L40S], 1, t);
    expect(v.finding === 'Overprovisioned' && v.option).toMatchObject({
      kind: 'right_size_model',
      recommended: { shape: '1 × NVIDIA L4 24GB', p95Activity: null },
      extra: { gpuModel: 'NVIDIA L4 24GB', instanceType: 'g6.2xlarge' },
    });
    expect(v.finding === 'Overprovisioned' && v.option.monthlySavingsUsd).toBeCloseTo(
      (12.29 - 0.9776) * 730,
      6,
    );
    expect(v.finding === 'Overprovisioned' && v.option.performanceRisk).toBeGreaterThanOrEqual(2);
  });

  it('skips a model too small for p95 × headroom (30 GB needs the L40S, not the L4)', () => {
    const v = judgeModel(
      job([gpu({ p95MemoryBytes: 30 * GB, maxMemoryBytes: 30 * GB })]),
      12.29,
      [L4, L40S],
      1,
      t,
    );
    expect(v.finding === 'Overprovisioned' && v.option.extra.gpuModel).toBe('NVIDIA L40S');
  });

  it('proposes nothing for a busy or memory-bound job, or when no model is cheaper', () => {
    expect(judgeModel(job([gpu({ p95Activity: 0.5 })]), 12.29, [L4], 1, t).finding).toBe('Optimized');
    const big = gpu({ p95MemoryBytes: 70 * GB, maxMemoryBytes: 75 * GB });
    expect(judgeModel(job([big]), 12.29, [L4, L40S], 1, t).finding).toBe('Optimized');
    expect(judgeModel(job([gpu()]), 0.5, [L4, L40S], 1, t).finding).toBe('Optimized');
    expect(judgeModel(job([gpu()]), null, [L4], 1, t).finding).toBe('Unavailable');
  });
});

describe('judgeSpot', () => {
  const node: NodeMarket = {
    node: 'node-1',
    instanceType: 'p4d.24xlarge',
    region: 'us-east-1',
    market: 'on-demand',
    gpuCount: 8,
    onDemandUsd: 32.7726,
    spotUsd: 5.0933,
    jobGpus: 4,
  };
  const interruptible = { labels: { 'gpuscope.io/interruptible': 'true' } };

  it('moves the job share of each on-demand instance to spot, risk from the advisor bucket', () => {
    const v = judgeSpot(job([gpu()], interruptible), [node], () => ({ label: '<5%', maxPercent: 5 }), t);
    expect(v.finding === 'Overprovisioned' && v.option).toMatchObject({
      kind: 'right_size_spot',
      performanceRisk: 1,
      migrationEffort: 'Low',
      extra: { interruptionBucket: '<5%' },
    });
    expect(v.finding === 'Overprovisioned' && v.option.monthlySavingsUsd).toBeCloseTo(
      (32.7726 - 5.0933) * 0.5 * 730,
      6,
    );
  });

  it('rates an unknown interruption bucket at least medium and says so', () => {
    const v = judgeSpot(job([gpu()], { labels: { requeue: '1' } }), [node], () => undefined, t);
    expect(v.finding === 'Overprovisioned' && v.option).toMatchObject({
      performanceRisk: 2,
      extra: { interruptionBucket: 'unknown' },
    });
  });

  it('never proposes spot for a job not marked interruptible, or one already on spot', () => {
    expect(judgeSpot(job([gpu()], { labels: { qos: 'normal' } }), [node], () => undefined, t).finding).toBe(
      'Unavailable',
    );
    expect(
      judgeSpot(job([gpu()], interruptible), [{ ...node, market: 'spot' }], () => undefined, t).finding,
    ).toBe('Unavailable');
  });

  it('maps the advisor buckets to risks 1–4', () => {
    expect([5, 11, 16, 22, 100].map((maxPercent) => spotPerformanceRisk({ label: '', maxPercent }))).toEqual([
      1, 2, 3, 3, 4,
    ]);
  });
});
