import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { type ScenarioKind, type ScenarioTruth, scenarioKinds } from './ground-truth.js';
import { findSeries, parseSeries, readValue, type Series } from './test-helpers.js';

const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs: Date.UTC(2025, 5, 2, 8) });
const truth = fleet.groundTruth();
/** The first sample, one in the middle of the day and one a day later. */
const sampleTimes = [fleet.startMs, fleet.startMs + 6 * 3_600_000, fleet.startMs + 24 * 3_600_000];

function scenariosOf<K extends ScenarioKind>(kind: K): Extract<ScenarioTruth, { kind: K }>[] {
  return truth.scenarios.filter((s): s is Extract<ScenarioTruth, { kind: K }> => s.kind === kind);
}

function seriesAt(node: string, tMs: number): Series[] {
  return parseSeries(fleet.renderNode(node, tMs)!);
}

describe('groundTruth', () => {
  it('names at least one scenario of every kind, each with a unique id', () => {
    for (const kind of scenarioKinds) expect(scenariosOf(kind).length, kind).toBeGreaterThan(0);
    expect(new Set(truth.scenarios.map((s) => s.id)).size).toBe(truth.scenarios.length);
  });

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(truth))).toEqual(truth);
    expect(truth).toMatchObject({ seed: 2024, nodeCount: 24, gpusPerNode: 8 });
  });

  it('plants several of each kind in a fleet of 1,250 nodes', () => {
    const large = createFleet({ seed: 5, nodeCount: 1250, startMs: fleet.startMs }).groundTruth();
    for (const kind of scenarioKinds) expect(large.scenarios.filter((s) => s.kind === kind)).toHaveLength(3);
  });
});

describe('planted scenarios in the rendered text', () => {
  it('shows the idle-memory-held GPU with ~0 activity, 60 GiB held, near-idle power and its pod', () => {
    for (const scenario of scenariosOf('idle-memory-held')) {
      for (const tMs of sampleTimes) {
        const series = seriesAt(scenario.node, tMs);
        const gpu = { UUID: scenario.gpuUuid! };
        expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBeLessThan(
          scenario.expect.activityMax,
        );
        expect(readValue(series, 'DCGM_FI_DEV_FB_USED', gpu)).toBeGreaterThan(50_000);
        expect(readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu)).toBeLessThan(scenario.expect.powerWMax);
        expect(readValue(series, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', gpu) & 0x1).toBe(0x1);
        expect(findSeries(series, 'DCGM_FI_DEV_FB_USED', { ...gpu, ...scenario.expect.pod })).toHaveLength(1);
      }
    }
  });

  it('shows every GPU of the busy-training node near full load with NVLink traffic', () => {
    for (const scenario of scenariosOf('busy-training')) {
      const { expect: facts } = scenario;
      for (const tMs of sampleTimes) {
        const series = seriesAt(scenario.node, tMs);
        for (const uuid of facts.gpuUuids) {
          const gpu = { UUID: uuid, pod: facts.pod.pod };
          expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBeGreaterThanOrEqual(
            facts.activityMin,
          );
          expect(readValue(series, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', gpu)).toBeGreaterThanOrEqual(
            facts.tensorActiveMin,
          );
          expect(readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu)).toBeGreaterThanOrEqual(facts.powerWMin);
          expect(readValue(series, 'DCGM_FI_PROF_NVLINK_TX_BYTES', gpu)).toBeGreaterThanOrEqual(
            facts.nvlinkTxBytesPerSecondMin,
          );
        }
      }
    }
  });

  it('shows the memory-bound GPU with busy DRAM, moderate SMs and idle tensor cores', () => {
    for (const scenario of scenariosOf('memory-bound')) {
      for (const tMs of sampleTimes) {
        const series = seriesAt(scenario.node, tMs);
        const gpu = { UUID: scenario.gpuUuid! };
        const sm = readValue(series, 'DCGM_FI_PROF_SM_ACTIVE', gpu);
        expect(readValue(series, 'DCGM_FI_PROF_DRAM_ACTIVE', gpu)).toBeGreaterThanOrEqual(
          scenario.expect.dramActiveMin,
        );
        expect(readValue(series, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', gpu)).toBeLessThanOrEqual(
          scenario.expect.tensorActiveMax,
        );
        expect(sm).toBeGreaterThanOrEqual(scenario.expect.smActiveMin);
        expect(sm).toBeLessThanOrEqual(scenario.expect.smActiveMax);
      }
    }
  });

  it('shows the thermal-throttled GPU hot, with lowered SM clock and both thermal bits set', () => {
    for (const scenario of scenariosOf('thermal-throttled')) {
      for (const tMs of sampleTimes) {
        const series = seriesAt(scenario.node, tMs);
        const gpu = { UUID: scenario.gpuUuid! };
        const mask = readValue(series, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', gpu);
        expect(mask & scenario.expect.throttleReasonsMask).toBe(0x60);
        expect(readValue(series, 'DCGM_FI_DEV_GPU_TEMP', gpu)).toBeGreaterThanOrEqual(
          scenario.expect.gpuTempCMin,
        );
        expect(readValue(series, 'DCGM_FI_DEV_SM_CLOCK', gpu)).toBeLessThanOrEqual(
          scenario.expect.smClockMhzMax,
        );
      }
    }
  });

  it('shows each XID code only inside its window, in the order 79, 48, 94', () => {
    for (const scenario of scenariosOf('xid-burst')) {
      const gpu = { UUID: scenario.gpuUuid! };
      const xidAt = (tMs: number) => readValue(seriesAt(scenario.node, tMs), 'DCGM_FI_DEV_XID_ERRORS', gpu);
      expect(scenario.expect.xidCodes).toEqual([79, 48, 94]);
      for (const event of scenario.expect.events) {
        expect(xidAt(event.fromMs)).toBe(event.code);
        expect(xidAt(event.toMs - 1)).toBe(event.code);
      }
      expect(xidAt(scenario.fromMs! - 1)).toBe(0);
      expect(xidAt(scenario.toMs!)).toBe(0);
    }
  });

  it('prints MIG instances with GPU_I_PROFILE/GPU_I_ID, device fields once and no GPU_UTIL', () => {
    for (const scenario of scenariosOf('mig-partitioned')) {
      const series = seriesAt(scenario.node, fleet.startMs);
      const gpu = { UUID: scenario.gpuUuid! };
      expect(findSeries(series, 'DCGM_FI_DEV_GPU_UTIL', gpu)).toHaveLength(0);
      const clock = findSeries(series, 'DCGM_FI_DEV_SM_CLOCK', gpu);
      expect(clock).toHaveLength(1);
      expect(clock[0]!.labels['GPU_I_ID']).toBeUndefined();
      expect(scenario.expect.instances.map((i) => i.profile)).toEqual([
        '3g.40gb',
        '2g.20gb',
        '1g.10gb',
        '1g.10gb',
      ]);
      for (const instance of scenario.expect.instances) {
        const labels = { ...gpu, GPU_I_PROFILE: instance.profile, GPU_I_ID: String(instance.gpuInstanceId) };
        for (const name of ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE']) {
          const found = findSeries(series, name, labels);
          expect(found, name).toHaveLength(1);
          expect(found[0]!.labels['pod']).toBe(instance.pod?.pod);
        }
        const used = readValue(series, 'DCGM_FI_DEV_FB_USED', labels);
        expect(used + readValue(series, 'DCGM_FI_DEV_FB_FREE', labels)).toBe(instance.memoryMib);
      }
      expect(scenario.expect.instances.some((instance) => instance.pod === undefined)).toBe(true);
    }
  });

  it('marks the exporter-hang node, which still renders text for anyone who asks directly', () => {
    for (const scenario of scenariosOf('exporter-hang')) {
      expect(fleet.getNode(scenario.node)?.exporterHangs).toBe(true);
      expect(fleet.renderNode(scenario.node, fleet.startMs)).toContain('DCGM_FI_DEV_GPU_UTIL');
    }
  });
});

describe('background GPUs', () => {
  it('never look idle while allocated, and read exactly 0 activity while unallocated', () => {
    const planted = new Set(
      truth.scenarios.flatMap((s) => [
        ...(s.gpuUuid ? [s.gpuUuid] : []),
        ...('gpuUuids' in s ? s.gpuUuids : []),
        ...('idleGpuUuids' in s ? s.idleGpuUuids : []),
      ]),
    );
    let allocated = 0;
    let unallocated = 0;
    for (const node of fleet.nodes) {
      const series = seriesAt(node.name, sampleTimes[1]!);
      for (const s of findSeries(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', {})) {
        if (planted.has(s.labels['UUID'] ?? '') || s.labels['GPU_I_ID']) continue;
        const held = s.labels['pod'] !== undefined || s.labels['hpc_job'] !== undefined;
        if (held) allocated += 1;
        else unallocated += 1;
        if (held) expect(s.value).toBeGreaterThan(0.2);
        else expect(s.value).toBe(0);
      }
    }
    expect(allocated).toBeGreaterThan(0);
    expect(unallocated).toBeGreaterThan(0);
  });
});
