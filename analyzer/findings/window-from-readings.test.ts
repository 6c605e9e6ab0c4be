import { describe, expect, it } from 'vitest';
import {
  computeIdleEvidence,
  computeWindowFromReadings,
  type GpuSampleReading,
  pickActivityRatio,
} from './window-from-readings.js';

const id = {
  gpuId: 7,
  uuid: 'GPU-1',
  gpuInstanceId: null,
  node: 'n1',
  model: 'NVIDIA L40S',
  migProfile: null,
};

function reading(overrides: Partial<GpuSampleReading> = {}): GpuSampleReading {
  return {
    activityRatio: 0,
    encoderRatio: 0,
    decoderRatio: 0,
    pcieRxBytesPerSecond: null,
    pcieTxBytesPerSecond: null,
    memoryUsedBytes: null,
    powerWatts: 60,
    smClockHz: 210e6,
    gpuIdleClockEvent: null,
    jobId: 'j1',
    ...overrides,
  };
}

describe('computeWindowFromReadings', () => {
  it('counts one minute per reading and takes maxima and the power mean over known values only', () => {
    const w = computeWindowFromReadings({ ...id, team: 'vision' }, [
      reading({ activityRatio: 0.02, powerWatts: 60, memoryUsedBytes: 5 }),
      reading({ activityRatio: null, powerWatts: null, encoderRatio: 0.6 }),
      reading({ activityRatio: 0.01, powerWatts: 70, decoderRatio: null }),
    ]);
    expect(w).toMatchObject({
      gpuId: 7,
      uuid: 'GPU-1',
      node: 'n1',
      team: 'vision',
      minutes: 3,
      activityMinutes: 2,
      activityMax: 0.02,
      encoderMax: 0.6,
      decoderMax: 0,
      memoryUsedMaxBytes: 5,
      powerMeanWatts: 65,
      distinctReadings: 3,
      heldMinutes: 3,
      jobs: 1,
      jobId: 'j1',
      jobRef: null,
    });
  });

  it('leaves a figure no reading has null, not 0', () => {
    const w = computeWindowFromReadings(id, [
      reading({ activityRatio: null, powerWatts: null, encoderRatio: null }),
    ]);
    expect([
      w.activityMax,
      w.encoderMax,
      w.ioMaxBytesPerSecond,
      w.memoryUsedMaxBytes,
      w.powerMeanWatts,
    ]).toEqual([null, null, null, null, null]);
  });

  it('sums PCIe and NVLink in both directions per reading before taking the max', () => {
    const w = computeWindowFromReadings(id, [
      reading({ pcieRxBytesPerSecond: 4, pcieTxBytesPerSecond: 3, nvlinkRxBytesPerSecond: 2 }),
      reading({ pcieRxBytesPerSecond: 8 }),
    ]);
    expect(w.ioMaxBytesPerSecond).toBe(9);
  });

  it('counts distinct (activity, power) pairs: identical readings are one', () => {
    const w = computeWindowFromReadings(id, [reading(), reading(), reading({ powerWatts: 61 })]);
    expect(w.distinctReadings).toBe(2);
  });

  it('counts held minutes and distinct jobs, and reports the greatest job id as SQL max() does', () => {
    const w = computeWindowFromReadings(id, [
      reading({ jobId: 'a' }),
      reading({ jobId: null }),
      reading({ jobId: 'b' }),
    ]);
    expect([w.heldMinutes, w.jobs, w.jobId]).toEqual([2, 2, 'b']);
  });

  it('gives an empty window zero minutes', () => {
    expect(computeWindowFromReadings(id, [])).toMatchObject({ minutes: 0, activityMax: null, jobId: null });
  });
});

describe('computeIdleEvidence', () => {
  it('counts the samples that read the gpu_idle flag and those that had it active', () => {
    const e = computeIdleEvidence([
      reading({ gpuIdleClockEvent: true, smClockHz: 345e6, powerWatts: 69.85 }),
      reading({ gpuIdleClockEvent: false, smClockHz: 1980e6 }),
      reading({ gpuIdleClockEvent: null }),
    ]);
    expect(e).toEqual({
      smClockMaxHz: 1980e6,
      powerMaxWatts: 69.85,
      gpuIdleFlagSamples: 2,
      gpuIdleActiveSamples: 1,
    });
  });
});

describe('pickActivityRatio', () => {
  it('prefers GR engine activity and falls back to utilization.gpu', () => {
    expect([pickActivityRatio(0.3, 1), pickActivityRatio(null, 1), pickActivityRatio(null, null)]).toEqual([
      0.3,
      1,
      null,
    ]);
  });
});
