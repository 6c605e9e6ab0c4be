import { describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import {
  classifyBottleneck,
  findStragglers,
  type GpuUsage,
  THROTTLE_BITS,
  THROTTLE_MASK,
} from './classify-bottleneck.js';
import { isGang } from './detect-bottlenecks.js';

const t = Config.parse({}).analyzer.bottleneck;
/** A busy, balanced GPU over 30 minutes; each case changes what it is about. */
const usage = (u: Partial<GpuUsage>): GpuUsage => ({
  minutes: 30,
  profiledMinutes: 30,
  activityMean: 0.7,
  smActiveMean: 0.6,
  tensorActiveMean: 0.3,
  dramActiveMean: 0.3,
  throttledMinutes: 0,
  reasons: 0,
  linkUtilization: 0.2,
  xmitWaitPerSecond: 0,
  pcieRxBytesPerSecond: 3e7,
  ...u,
});

describe('classifyBottleneck (first match wins)', () => {
  it.each([
    [
      'throttled: thermal clock events in most minutes, whatever else',
      { throttledMinutes: 20, tensorActiveMean: 0.7 },
      'throttled',
    ],
    [
      'communication: IB near line rate while SMs wait',
      { linkUtilization: 0.92, smActiveMean: 0.3 },
      'communication',
    ],
    [
      'communication: port_xmit_wait high while SMs wait',
      { xmitWaitPerSecond: 2.4e7, smActiveMean: 0.4 },
      'communication',
    ],
    [
      'tensor-heavy: busy fabric but SMs busy too is not communication',
      { linkUtilization: 0.9, smActiveMean: 0.8, tensorActiveMean: 0.6 },
      'tensor_heavy',
    ],
    [
      'memory-bound (legitimately: not input-bound though activity is modest)',
      { activityMean: 0.45, smActiveMean: 0.45, dramActiveMean: 0.8, tensorActiveMean: 0.05 },
      'memory_bound',
    ],
    [
      'compute-bound: SMs busy without tensor cores',
      { smActiveMean: 0.9, activityMean: 0.95, tensorActiveMean: 0.05 },
      'compute_bound',
    ],
    [
      'launch overhead: engine busy, SMs mostly empty',
      { activityMean: 0.85, smActiveMean: 0.3, tensorActiveMean: 0.1 },
      'launch_overhead',
    ],
    [
      'input-bound: the GPU waits most of the time while data streams in over PCIe',
      { activityMean: 0.2, smActiveMean: 0.18, tensorActiveMean: 0.05, pcieRxBytesPerSecond: 8e8 },
      'input_bound',
    ],
    [
      'none for low activity without input traffic (under-use: right-sizing, not a bottleneck)',
      { activityMean: 0.12, smActiveMean: 0.11, tensorActiveMean: 0.05 },
      null,
    ],
  ] as const)('%s', (_name, u, expected) => {
    expect(classifyBottleneck(usage(u), t).class).toBe(expected);
  });

  it('gives no class to an idle GPU, to one without profiling minutes, or to a balanced one', () => {
    expect(classifyBottleneck(usage({ activityMean: 0.01 }), t)).toEqual({ class: null, reason: 'idle' });
    expect(classifyBottleneck(usage({ profiledMinutes: 2 }), t).reason).toBe('too few profiled minutes');
    expect(classifyBottleneck(usage({ smActiveMean: null }), t).reason).toBe('too few profiled minutes');
    expect(classifyBottleneck(usage({}), t)).toEqual({ class: null, reason: 'balanced' });
  });

  it('does not count SW power capping as throttling: a busy H100 at its power limit sets it all day', () => {
    expect(THROTTLE_MASK & THROTTLE_BITS.swPowerCap).toBe(0);
    expect(THROTTLE_MASK & THROTTLE_BITS.hwThermal).not.toBe(0);
  });
});

describe('findStragglers', () => {
  it('finds the one GPU of 16 at 0.55 while its peers run at 0.9', () => {
    expect(findStragglers([...Array(15).fill(0.9), 0.55], t)).toEqual([15]);
  });
  it('finds none among peers within the gap, among idle peers, or in a job of two', () => {
    expect(findStragglers([0.9, 0.85, 0.8, 0.75], t)).toEqual([]);
    expect(findStragglers([0.1, 0.1, 0.02], t)).toEqual([]);
    expect(findStragglers([0.9, 0.3], t)).toEqual([]);
  });
});

describe('isGang', () => {
  it('treats Slurm jobs and training operators as gangs, serving replicas not', () => {
    expect(isGang('slurm', '4242')).toBe(true);
    expect(isGang('kubernetes', 'ml/PyTorchJob.kubeflow.org/llm')).toBe(true);
    expect(isGang('kubernetes', 'ml/JobSet.jobset.x-k8s.io/train')).toBe(true);
    expect(isGang('kubernetes', 'inference/ReplicaSet/serve-13848ffe')).toBe(false);
    expect(isGang('kubernetes', 'recsys/Job/eval')).toBe(false);
  });
});
