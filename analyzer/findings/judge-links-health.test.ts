import { describe, expect, it } from 'vitest';
import { CAPTURES, readFixture } from '../../collector/nvidia-smi/testing/fixtures.js';
import { Config } from '../../core/config.js';
import { type GpuHealthWindow, judgeHealth, maxOperatingCelsius } from './detect-gpu-health.js';
import { judgeLink, type LinkWindow } from './detect-link-faults.js';

const analyzer = Config.parse({}).analyzer;

const link = (l: Partial<LinkWindow>): LinkWindow => ({
  node: 'n1',
  linkType: 'infiniband',
  device: 'mlx5_0',
  port: 1,
  minutes: 60,
  linkDowned: 0,
  errors: 0,
  errorDeltas: {},
  flappingMinutes: 0,
  stateChanges: 0,
  xmitWaitPerSecondMean: 0,
  utilizationMax: 0.4,
  ...l,
});

describe('judgeLink', () => {
  it('calls a flapping or downed link faulty and critical, rising errors a warning', () => {
    expect(judgeLink(link({ flappingMinutes: 3, linkDowned: 5 }), analyzer.links)).toMatchObject({
      kind: 'link_faulty',
      severity: 'critical',
    });
    expect(judgeLink(link({ linkDowned: 1 }), analyzer.links)?.severity).toBe('critical');
    expect(judgeLink(link({ errors: 48 }), analyzer.links)).toMatchObject({
      kind: 'link_faulty',
      severity: 'warning',
    });
  });

  it('calls a port waiting for credits congested, and leaves a healthy or merely busy port alone', () => {
    expect(
      judgeLink(link({ xmitWaitPerSecondMean: 2.4e7, utilizationMax: 0.93 }), analyzer.links)?.kind,
    ).toBe('link_congested');
    expect(
      judgeLink(link({ utilizationMax: 0.97, xmitWaitPerSecondMean: 1e4 }), analyzer.links),
    ).toBeUndefined();
    expect(judgeLink(link({ errors: 2 }), analyzer.links)).toBeUndefined();
  });

  it('does not call an NVLink congested (no credit-wait counter there)', () => {
    expect(
      judgeLink(link({ linkType: 'nvlink', xmitWaitPerSecondMean: 5e7 }), analyzer.links),
    ).toBeUndefined();
  });
});

const health = (h: Partial<GpuHealthWindow>): GpuHealthWindow => ({
  uuid: 'GPU-1',
  node: 'n1',
  model: 'NVIDIA H100 80GB HBM3',
  minutes: 60,
  xidCodes: [],
  xidMinutes: 0,
  thermalMinutes: 0,
  temperatureMax: 70,
  eccSbe: 0,
  eccDbe: 0,
  pcieReplays: 0,
  rowRemapFailure: false,
  uncorrectableRowsIncrease: 0,
  correctableRowsIncrease: 0,
  jobId: null,
  ...h,
});

describe('judgeHealth', () => {
  it('makes a hardware XID critical and an application XID a warning', () => {
    expect(judgeHealth(health({ xidCodes: [48, 79] }), analyzer.health)).toEqual([
      expect.objectContaining({ kind: 'gpu_xid', severity: 'critical' }),
    ]);
    expect(judgeHealth(health({ xidCodes: [13] }), analyzer.health)).toEqual([
      expect.objectContaining({ kind: 'gpu_xid', severity: 'warning' }),
    ]);
  });

  it('flags heat against the model limit and thermal clock events, critical when both', () => {
    expect(judgeHealth(health({ temperatureMax: 92, thermalMinutes: 50 }), analyzer.health)).toEqual([
      expect.objectContaining({ kind: 'gpu_thermal', severity: 'critical' }),
    ]);
    expect(judgeHealth(health({ temperatureMax: 88 }), analyzer.health)[0]?.severity).toBe('warning');
    expect(judgeHealth(health({ temperatureMax: 80, thermalMinutes: 5 }), analyzer.health)).toEqual([]);
  });

  it('makes double-bit ECC or a failed row remap critical, a single-bit rate or a correctable remap a warning', () => {
    expect(judgeHealth(health({ eccDbe: 1 }), analyzer.health)).toEqual([
      expect.objectContaining({ kind: 'gpu_memory_errors', severity: 'critical' }),
    ]);
    expect(judgeHealth(health({ rowRemapFailure: true }), analyzer.health)[0]?.severity).toBe('critical');
    // 3 per minute for an hour
    expect(judgeHealth(health({ eccSbe: 180 }), analyzer.health)[0]).toMatchObject({
      kind: 'gpu_memory_errors',
      severity: 'warning',
    });
    expect(judgeHealth(health({ correctableRowsIncrease: 1 }), analyzer.health)[0]?.severity).toBe('warning');
    // a handful of single-bit errors in an hour is background
    expect(judgeHealth(health({ eccSbe: 3 }), analyzer.health)).toEqual([]);
    expect(judgeHealth(health({ pcieReplays: 400 }), analyzer.health)[0]?.kind).toBe('gpu_pcie_replays');
  });

  it('takes each model limit from real nvidia-smi -q: current temperature plus the T.Limit margin', () => {
    const limitOf = (file: string) => {
      const text = readFixture(file);
      const current = Number(/GPU Current Temp\s+: (\d+) C/.exec(text)?.[1]);
      const margin = Number(/GPU T\.Limit Temp\s+: (\d+) C/.exec(text)?.[1]);
      return current + margin;
    };
    expect(maxOperatingCelsius('NVIDIA H100 80GB HBM3', analyzer.health)).toBe(limitOf(CAPTURES.h100));
    expect(maxOperatingCelsius('NVIDIA H200', analyzer.health)).toBe(limitOf(CAPTURES.h200));
    expect(maxOperatingCelsius('NVIDIA L40S', analyzer.health)).toBe(limitOf(CAPTURES.l40s));
    // configured limits win; unknown models take the default
    const custom = Config.parse({ analyzer: { health: { maxOperatingCelsius: { A100: 85 } } } }).analyzer
      .health;
    expect(maxOperatingCelsius('NVIDIA A100-SXM4-80GB', custom)).toBe(85);
    expect(maxOperatingCelsius('Tesla T4', analyzer.health)).toBe(analyzer.health.defaultMaxCelsius);
  });
});
