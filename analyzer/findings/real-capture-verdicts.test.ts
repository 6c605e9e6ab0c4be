import { describe, expect, it } from 'vitest';
import { parseNvidiaGpuExporter } from '../../collector/nvidia-smi/parse-nvidia-gpu-exporter.js';
import { parseNvidiaSmiCapture } from '../../collector/nvidia-smi/parse-nvidia-smi-capture.js';
import { CAPTURES, EXPORTER_SCRAPES, readFixture } from '../../collector/nvidia-smi/testing/fixtures.js';
import { Config } from '../../core/config.js';
import { type IdleThresholds, type IdleVerdict, judgeIdle } from './detect-idle-gpus.js';
import {
  computeIdleEvidence,
  computeWindowFromReadings,
  type GpuSampleReading,
  sampleFromDmon,
  sampleFromNvidiaSmi,
} from './window-from-readings.js';

// Real nvidia-smi captures and exporter scrapes through the real judge, with the shipped thresholds. Every GPU
// here is held by one job for the whole window, so "idle" means idle_gpu_allocated.
const defaults = Config.parse({}).analyzer.idle;
const JOB = 'job-1';
const identity = {
  gpuId: 1,
  uuid: 'GPU-0',
  gpuInstanceId: null,
  node: 'node-a',
  model: null,
  migProfile: null,
};

function state(capture: keyof typeof CAPTURES, name: 'idle' | 'load') {
  const path = CAPTURES[capture];
  const result = parseNvidiaSmiCapture(readFixture(path), path);
  if (!result.ok) throw new Error(result.error.message);
  const { dmon, queryGpu } = result.value.states.get(name) ?? {};
  if (!dmon || !queryGpu) throw new Error(`${path} has no ${name} dmon and query-gpu sections`);
  return { dmon, queryGpu };
}

const dmon = (capture: keyof typeof CAPTURES, name: 'idle' | 'load') =>
  state(capture, name).dmon.map((row) => sampleFromDmon(row, JOB));
const snapshot = (capture: keyof typeof CAPTURES, name: 'idle' | 'load') =>
  state(capture, name).queryGpu.map((row) => sampleFromNvidiaSmi(row, JOB));

function scrape(path: string): GpuSampleReading[] {
  const result = parseNvidiaGpuExporter(readFixture(path), path);
  if (!result.ok) throw new Error(result.error.message);
  return result.value.map((gpu) => sampleFromNvidiaSmi(gpu, JOB));
}

function judge(readings: readonly GpuSampleReading[], t: IdleThresholds = defaults): IdleVerdict {
  return judgeIdle(computeWindowFromReadings(identity, readings), t);
}

const idle: IdleVerdict = { idle: true, kind: 'idle_gpu_allocated' };
const tooFew: IdleVerdict = { idle: false, reason: 'too few minutes', suspect: false };
const busy: IdleVerdict = { idle: false, reason: 'busy', suspect: false };
const noActivity: IdleVerdict = {
  idle: false,
  reason: 'no activity reading for some minutes',
  suspect: true,
};
const frozen: IdleVerdict = { idle: false, reason: 'frozen series', suspect: true };

it('runs with the shipped thresholds: 3 samples at least, activity under 5 %', () => {
  expect([defaults.minSamples, defaults.activityMax]).toEqual([3, 0.05]);
});

describe('H100 80GB HBM3', () => {
  it('reads the idle evidence: 0 %, 69.85 W of 700 W, SM at its 345 MHz floor, gpu_idle Active', () => {
    const [row] = state('h100', 'idle').queryGpu;
    expect(row).toMatchObject({ utilizationGpuRatio: 0, powerDrawWatts: 69.85, powerLimitWatts: 700 });
    expect(computeIdleEvidence(snapshot('h100', 'idle'))).toEqual({
      smClockMaxHz: 345e6,
      powerMaxWatts: 69.85,
      gpuIdleFlagSamples: 1,
      gpuIdleActiveSamples: 1,
    });
    expect(computeIdleEvidence(scrape(EXPORTER_SCRAPES.h100Idle))).toMatchObject({
      smClockMaxHz: 345e6,
      gpuIdleActiveSamples: 1,
    });
    expect(computeIdleEvidence(dmon('h100', 'idle')).smClockMaxHz).toBe(345e6);
  });

  it('gives no verdict on one idle sample, from query-gpu or from the exporter: too few minutes, never idle', () => {
    expect(judge(snapshot('h100', 'idle'))).toEqual(tooFew);
    expect(judge(scrape(EXPORTER_SCRAPES.h100Idle))).toEqual(tooFew);
  });

  // dmon prints whole watts: a truly idle H100 reads (0 %, 69 W) five times over. With no energy counter to ask,
  // that is not yet a frozen series (it takes `analyzer.dataQuality.frozenMinutes` identical readings).
  it.each([
    [1, tooFew],
    [2, tooFew],
    [3, idle],
    [4, idle],
    [5, idle],
  ])('judges the first %i idle dmon rows as %o', (rows, verdict) => {
    expect(judge(dmon('h100', 'idle').slice(0, rows))).toEqual(verdict);
  });

  it('judges the idle exporter scrape with the idle dmon rows idle: six minutes, two distinct readings', () => {
    const window = [...scrape(EXPORTER_SCRAPES.h100Idle), ...dmon('h100', 'idle')];
    expect(computeWindowFromReadings(identity, window).distinctReadings).toBe(2);
    expect(judge(window)).toEqual(idle);
  });

  it('judges the loaded GPU busy (100 % at 631–636 W, 1980 MHz)', () => {
    expect(judge(dmon('h100', 'load'))).toEqual(busy);
    expect(judge([...scrape(EXPORTER_SCRAPES.h100Load), ...dmon('h100', 'load')])).toEqual(busy);
    expect(computeIdleEvidence(snapshot('h100', 'load'))).toMatchObject({ gpuIdleActiveSamples: 0 });
  });
});

describe('H200', () => {
  it('reads the idle evidence: 0 %, 77.71 W of 700 W, 345 MHz, gpu_idle Active', () => {
    const [row] = state('h200', 'idle').queryGpu;
    expect(row).toMatchObject({ utilizationGpuRatio: 0, powerDrawWatts: 77.71, smClockHz: 345e6 });
    expect(row?.gpuIdleClockEvent).toBe(true);
  });

  it('judges the five idle dmon rows idle, all reading (0 %, 77 W), and ten such rows a frozen series', () => {
    expect(judge(dmon('h200', 'idle'))).toEqual(idle);
    const rows = dmon('h200', 'idle');
    expect(judge([...rows, ...rows])).toEqual(frozen);
  });

  it('judges the idle query-gpu snapshot with the dmon rows idle', () => {
    expect(judge([...snapshot('h200', 'idle'), ...dmon('h200', 'idle')])).toEqual(idle);
  });

  it('judges the loaded GPU busy', () => {
    expect(judge(dmon('h200', 'load'))).toEqual(busy);
    expect(judge(snapshot('h200', 'load'))).toEqual(tooFew);
  });
});

describe('L40S', () => {
  it('gives no verdict on the idle query-gpu snapshot, which reads a wake-up transient (100 % at 144.97 W)', () => {
    const [row] = state('l40s', 'idle').queryGpu;
    expect(row).toMatchObject({ utilizationGpuRatio: 1, powerDrawWatts: 144.97, smClockHz: 2520e6 });
    expect(row?.gpuIdleClockEvent).toBe(false);
    expect(judge(snapshot('l40s', 'idle'))).toEqual(tooFew);
  });

  it('judges the idle dmon rows seconds later idle: 0 % at 37–66 W, 210 MHz', () => {
    const rows = dmon('l40s', 'idle');
    expect(rows.map((r) => r.powerWatts)).toEqual([66, 65, 65, 51, 37]);
    expect(computeIdleEvidence(rows).smClockMaxHz).toBe(210e6);
    expect(judge(rows)).toEqual(idle);
  });

  it('keeps a window busy when it holds the transient: the max activity decides', () => {
    expect(judge([...snapshot('l40s', 'idle'), ...dmon('l40s', 'idle')])).toEqual(busy);
  });

  // The NVENC load still shows sm 9–10 % (utilization.gpu 9 %), over the 5 % activity threshold, so the judge
  // stops at "busy" before it reaches the encoder rule.
  it('judges the NVENC load busy, with the encoder at 59–67 %', () => {
    const rows = dmon('l40s', 'load');
    expect(computeWindowFromReadings(identity, rows)).toMatchObject({ activityMax: 0.1, encoderMax: 0.67 });
    expect(judge(rows)).toEqual(busy);
  });

  it('still refuses the NVENC load by its encoder when the activity threshold is above its sm %', () => {
    expect(judge(dmon('l40s', 'load'), { ...defaults, activityMax: 0.2 })).toEqual({
      idle: false,
      reason: 'encoder or decoder busy',
      suspect: false,
    });
  });
});

describe('H100 in MIG mode', () => {
  it('reads utilization.gpu as null ([N/A] in MIG mode) in query-gpu, dmon and the exporter', () => {
    expect(snapshot('h100Mig', 'idle')[0]?.activityRatio).toBeNull();
    expect(dmon('h100Mig', 'load').map((r) => r.activityRatio)).toEqual([null, null, null, null, null]);
    expect(scrape(EXPORTER_SCRAPES.h100MigLoad)[0]?.activityRatio).toBeNull();
  });

  it.each(['idle', 'load'] as const)(
    'gives no verdict on the %s dmon rows and flags them suspect',
    (name) => {
      expect(judge(dmon('h100Mig', name))).toEqual(noActivity);
      expect(judge([...snapshot('h100Mig', name), ...dmon('h100Mig', name)])).toEqual(noActivity);
    },
  );

  it('gives no verdict on one MIG sample either, for too few minutes before the missing reading', () => {
    expect(judge(snapshot('h100Mig', 'idle'))).toEqual(tooFew);
    expect(judge(scrape(EXPORTER_SCRAPES.h100MigLoad))).toEqual(tooFew);
  });
});
