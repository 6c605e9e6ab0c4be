import { describe, expect, it } from 'vitest';
import { expectedIdleGpus } from './expected-findings.js';
import { createFleet } from './fleet.js';
import type { ScenarioKind, ScenarioTruth } from './ground-truth.js';
import { findSeries, parseSeries, readValue, type Series } from './test-helpers.js';

/** The integration test's fleet and run: 14 minutes of scrapes from 26 minutes after the start. */
const startMs = Date.UTC(2026, 11, 1);
const fleet = createFleet({ seed: 42, nodeCount: 20, startMs, nvlinkErrorCounters: true });
const truth = fleet.groundTruth();
const runStartMs = startMs + 26 * 60_000;
const runTimes = Array.from({ length: 15 }, (_, minute) => runStartMs + minute * 60_000);

function scenariosOf<K extends ScenarioKind>(kind: K): Extract<ScenarioTruth, { kind: K }>[] {
  const found = truth.scenarios.filter((s): s is Extract<ScenarioTruth, { kind: K }> => s.kind === kind);
  expect(found.length, kind).toBeGreaterThan(0);
  return found;
}

function seriesAt(node: string, tMs: number): Series[] {
  return parseSeries(fleet.renderNode(node, tMs)!);
}

function readAll(node: string, name: string, uuid: string): number[] {
  return runTimes.map((tMs) => readValue(seriesAt(node, tMs), name, { UUID: uuid }));
}

/** The job label a GPU prints: `hpc_job` on Slurm nodes, `pod` on Kubernetes ones. */
function jobLabelOf(series: Series[], uuid: string): string | undefined {
  const line = findSeries(series, 'DCGM_FI_DEV_FB_USED', { UUID: uuid })[0];
  return line?.labels['hpc_job'] ?? line?.labels['pod'];
}

function expectJobNamed(scenario: ScenarioTruth, series: Series[]): void {
  const label = jobLabelOf(series, scenario.gpuUuid!);
  expect(label).toBeDefined();
  expect(label).toBe(scenario.pod?.pod ?? scenario.jobId);
  if (scenario.pod) expect(scenario.jobId).toBe(`${scenario.pod.namespace}/${label!.replace(/-[^-]+$/, '')}`);
}

describe('analyzer scenario placement', () => {
  it('uses nodes no GPU or fabric scenario uses, and never one GPU twice', () => {
    const firstAnalyzer = truth.scenarios.findIndex((s) => s.kind === 'fewer-gpus');
    const earlier = new Set(truth.scenarios.slice(0, firstAnalyzer).flatMap((s) => s.nodes ?? [s.node]));
    const analyzer = truth.scenarios.slice(firstAnalyzer);
    // The 11 analyzer kinds, then job-gap, placed after them on the same terms.
    expect(analyzer.map((s) => s.kind).filter((kind) => kind !== 'job-gap')).toHaveLength(11);
    expect(analyzer.at(-1)?.kind).toBe('job-gap');
    for (const s of analyzer) expect(earlier.has(s.node), s.id).toBe(false);
    const gpus = analyzer.flatMap((s) => ('gpuUuids' in s ? s.gpuUuids : s.gpuUuid ? [s.gpuUuid] : []));
    expect(new Set(gpus).size).toBe(gpus.length);
  });

  it('plants none in a fleet without room for them all, leaving it as it was', () => {
    const small = createFleet({ seed: 1, nodeCount: 8, startMs }).groundTruth();
    expect(small.scenarios.some((s) => s.kind === 'fewer-gpus' || s.kind === 'driver-drift')).toBe(false);
  });
});

describe('idle and its hard negatives', () => {
  it('prints the idle-allocated GPU at exactly 0 activity, ~500 MiB, idle power and GPU_IDLE, under its job', () => {
    for (const scenario of scenariosOf('idle-allocated')) {
      const model = fleet.getNode(scenario.node)!.model;
      for (const tMs of runTimes) {
        const series = seriesAt(scenario.node, tMs);
        const gpu = { UUID: scenario.gpuUuid! };
        expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBe(0);
        expect(readValue(series, 'DCGM_FI_DEV_GPU_UTIL', gpu)).toBe(0);
        expect(readValue(series, 'DCGM_FI_DEV_FB_USED', gpu)).toBe(scenario.expect.memoryUsedMib);
        expect(readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu)).toBeLessThan(model.powerIdleW * 1.1);
        expect(readValue(series, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', gpu) & 0x1).toBe(0x1);
        expectJobNamed(scenario, series);
      }
    }
  });

  it('prints the encoder-only GPU with GR at most 0.03, encoder ~60 %, decoder ~30 % and power over idle', () => {
    for (const scenario of scenariosOf('encoder-only')) {
      const model = fleet.getNode(scenario.node)!.model;
      for (const tMs of runTimes) {
        const series = seriesAt(scenario.node, tMs);
        const gpu = { UUID: scenario.gpuUuid! };
        expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBeLessThanOrEqual(0.03);
        expect(readValue(series, 'DCGM_FI_PROF_SM_ACTIVE', gpu)).toBeLessThan(scenario.expect.activityMax);
        expect(readValue(series, 'DCGM_FI_DEV_ENC_UTIL', gpu) / 100).toBeGreaterThanOrEqual(
          scenario.expect.encoderMin,
        );
        expect(readValue(series, 'DCGM_FI_DEV_DEC_UTIL', gpu)).toBeGreaterThanOrEqual(25);
        const power = readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu);
        expect(power).toBeGreaterThan(model.powerIdleW + 20);
        expect(power).toBeLessThan(model.powerIdleW + 80);
        expect(readValue(series, 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', gpu) & 0x1).toBe(0);
        expectJobNamed(scenario, series);
      }
    }
  });

  it('prints the gr-engine-zero GPU with every profiling ratio 0.000000 while GPU_UTIL reads 90-100 under load', () => {
    const profiling = [
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      'DCGM_FI_PROF_SM_ACTIVE',
      'DCGM_FI_PROF_SM_OCCUPANCY',
      'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
      'DCGM_FI_PROF_DRAM_ACTIVE',
    ];
    for (const scenario of scenariosOf('gr-engine-zero')) {
      const model = fleet.getNode(scenario.node)!.model;
      for (const tMs of runTimes) {
        const text = fleet.renderNode(scenario.node, tMs)!;
        for (const name of profiling) expect(text).toContain(`${name}{gpu="`);
        const series = parseSeries(text);
        const gpu = { UUID: scenario.gpuUuid! };
        for (const name of profiling)
          expect(findSeries(series, name, gpu)[0]?.rawValue, name).toBe('0.000000');
        const util = readValue(series, 'DCGM_FI_DEV_GPU_UTIL', gpu);
        expect(util / 100).toBeGreaterThanOrEqual(scenario.expect.gpuUtilMin);
        expect(util).toBeLessThanOrEqual(100);
        const power = readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu);
        expect(power / model.powerLimitW).toBeGreaterThan(0.65);
        expect(power / model.powerLimitW).toBeLessThan(0.85);
        expect(readValue(series, 'DCGM_FI_DEV_FB_USED', gpu)).toBeGreaterThan(10_000);
        expectJobNamed(scenario, series);
      }
    }
  });

  it('repeats every line of the frozen-exporter GPU byte for byte, energy counter included, at activity 0', () => {
    for (const scenario of scenariosOf('frozen-exporter')) {
      expect(scenario.expect.frozenFromMs).toBe(startMs);
      const linesOf = (tMs: number) =>
        fleet
          .renderNode(scenario.node, tMs)!
          .split('\n')
          .filter((line) => line.includes(scenario.gpuUuid!));
      const first = linesOf(runTimes[0]!);
      expect(first.length).toBeGreaterThan(20);
      expect(linesOf(runTimes.at(-1)!)).toEqual(first);
      expect(linesOf(startMs + 24 * 3_600_000)).toEqual(first);
      const series = seriesAt(scenario.node, runTimes[3]!);
      const gpu = { UUID: scenario.gpuUuid! };
      expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBe(0);
      expect(readValue(series, 'DCGM_FI_DEV_POWER_USAGE', gpu)).toBeGreaterThan(60);
      expectJobNamed(scenario, series);
      // its neighbours keep moving
      const other = fleet.getNode(scenario.node)!.gpus.find((g) => g.uuid !== scenario.gpuUuid)!;
      const energy = readAll(scenario.node, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', other.uuid);
      expect(energy.at(-1)!).toBeGreaterThan(energy[0]!);
    }
  });
});

describe('bottleneck scenarios', () => {
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

  it('prints the input-bound job with activity 0.15-0.25 on each of its GPUs, SMs ~0.9 of it, light tensor and DRAM', () => {
    for (const scenario of scenariosOf('input-bound')) {
      expect(scenario.gpuUuids.length).toBeGreaterThanOrEqual(1);
      expect(scenario.gpuUuids).toContain(scenario.gpuUuid);
      for (const uuid of scenario.gpuUuids) {
        const gr = readAll(scenario.node, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', uuid);
        const sm = readAll(scenario.node, 'DCGM_FI_PROF_SM_ACTIVE', uuid);
        const tensor = readAll(scenario.node, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', uuid);
        const dram = readAll(scenario.node, 'DCGM_FI_PROF_DRAM_ACTIVE', uuid);
        expect(mean(gr)).toBeGreaterThanOrEqual(0.15);
        expect(mean(gr)).toBeLessThanOrEqual(0.25);
        expect(Math.max(...gr)).toBeLessThan(scenario.expect.activityMax);
        expect(mean(sm) / mean(gr)).toBeCloseTo(0.9, 1);
        expect(mean(tensor) / mean(gr)).toBeCloseTo(0.1, 1);
        expect(mean(dram) / mean(gr)).toBeCloseTo(0.15, 1);
        const labels = seriesAt(scenario.node, runStartMs);
        expect(jobLabelOf(labels, uuid)).toBe(jobLabelOf(labels, scenario.gpuUuid!));
      }
      expectJobNamed(scenario, seriesAt(scenario.node, runStartMs));
    }
  });

  it('prints launch-overhead busy with SMs mostly empty, and compute-bound with SMs saturated and no tensor work', () => {
    for (const scenario of scenariosOf('launch-overhead')) {
      const gr = mean(readAll(scenario.node, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', scenario.gpuUuid!));
      const sm = mean(readAll(scenario.node, 'DCGM_FI_PROF_SM_ACTIVE', scenario.gpuUuid!));
      expect(gr).toBeGreaterThan(0.8);
      expect(sm / gr).toBeCloseTo(0.3, 1);
      expect(mean(readAll(scenario.node, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', scenario.gpuUuid!))).toBeLessThan(
        0.1,
      );
      expect(mean(readAll(scenario.node, 'DCGM_FI_PROF_DRAM_ACTIVE', scenario.gpuUuid!))).toBeLessThan(0.1);
      expectJobNamed(scenario, seriesAt(scenario.node, runStartMs));
    }
    for (const scenario of scenariosOf('compute-bound')) {
      const gr = readAll(scenario.node, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', scenario.gpuUuid!);
      const sm = readAll(scenario.node, 'DCGM_FI_PROF_SM_ACTIVE', scenario.gpuUuid!);
      const tensor = readAll(scenario.node, 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', scenario.gpuUuid!);
      const dram = readAll(scenario.node, 'DCGM_FI_PROF_DRAM_ACTIVE', scenario.gpuUuid!);
      expect(mean(gr)).toBeGreaterThan(0.9);
      expect(Math.min(...sm)).toBeGreaterThan(0.8);
      expect(Math.max(...tensor)).toBeLessThanOrEqual(0.05);
      expect(mean(dram)).toBeCloseTo(0.28, 1);
      expectJobNamed(scenario, seriesAt(scenario.node, runStartMs));
    }
  });
});

describe('right-sizing, health and drift', () => {
  it('prints the fewer-gpus job on all 8 GPUs of its node, 4 busy and the 4 idle ones flat at 0 with little memory', () => {
    for (const scenario of scenariosOf('fewer-gpus')) {
      const node = fleet.getNode(scenario.node)!;
      expect(scenario.gpuUuids).toEqual(node.gpus.map((gpu) => gpu.uuid));
      expect(scenario.idleGpuUuids).toHaveLength(node.gpus.length - scenario.expect.usedGpus);
      expect(scenario.expect.usedGpus).toBe(4);
      const series = seriesAt(scenario.node, runStartMs + 5 * 60_000);
      expect(new Set(scenario.gpuUuids.map((uuid) => jobLabelOf(series, uuid)))).toEqual(
        new Set([scenario.pod?.pod ?? scenario.jobId]),
      );
      for (const uuid of scenario.gpuUuids) {
        const gr = readAll(scenario.node, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', uuid);
        if (scenario.idleGpuUuids.includes(uuid)) {
          expect(gr.every((v) => v === 0)).toBe(true);
          expect(readValue(series, 'DCGM_FI_DEV_FB_USED', { UUID: uuid })).toBeLessThan(1024);
        } else {
          expect(Math.min(...gr)).toBeGreaterThan(0.6);
        }
      }
    }
  });

  it('prints the mig-fits GPU at activity under 0.2 and ~6 GiB on an H100, which a 1g.10gb slice holds', () => {
    for (const scenario of scenariosOf('mig-fits')) {
      expect(fleet.getNode(scenario.node)!.model.name).toContain('H100');
      const gr = readAll(scenario.node, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', scenario.gpuUuid!);
      const used = readAll(scenario.node, 'DCGM_FI_DEV_FB_USED', scenario.gpuUuid!);
      expect(Math.max(...gr)).toBeLessThan(scenario.expect.activityMax);
      expect(Math.min(...gr)).toBeGreaterThan(0.05);
      for (const mib of used) expect(Math.abs(mib - scenario.expect.memoryUsedMib)).toBeLessThan(200);
      expect(Math.max(...used)).toBeLessThan(9_856);
      expectJobNamed(scenario, seriesAt(scenario.node, runStartMs));
    }
  });

  it('counts ecc-rising single-bit errors up ~3 a minute through the run and steps the correctable remaps once', () => {
    for (const scenario of scenariosOf('ecc-rising')) {
      expect(scenario.fromMs!).toBeLessThan(runStartMs);
      const sbe = readAll(scenario.node, 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', scenario.gpuUuid!);
      const rows = readAll(scenario.node, 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', scenario.gpuUuid!);
      const perMinute = (sbe.at(-1)! - sbe[0]!) / (runTimes.length - 1);
      expect(perMinute).toBeCloseTo(scenario.expect.sbePerMinute, 0);
      for (let i = 1; i < sbe.length; i++) expect(sbe[i]!).toBeGreaterThanOrEqual(sbe[i - 1]!);
      expect(rows[0]).toBe(0);
      expect(rows.at(-1)).toBe(scenario.expect.correctableRemappedRowsIncrease);
      const before = seriesAt(scenario.node, scenario.fromMs! - 1);
      expect(readValue(before, 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', { UUID: scenario.gpuUuid! })).toBe(0);
    }
  });

  it('gives the driver-drift node the second driver version while every other node of its model has the first', () => {
    for (const scenario of scenariosOf('driver-drift')) {
      const node = fleet.getNode(scenario.node)!;
      expect(scenario.expect.driverVersion).not.toBe(scenario.expect.poolDriverVersion);
      const label = (name: string) =>
        findSeries(seriesAt(name, runStartMs), 'DCGM_FI_DEV_SM_CLOCK', {})[0]!.labels[
          'DCGM_FI_DRIVER_VERSION'
        ];
      expect(label(node.name)).toBe(scenario.expect.driverVersion);
      const pool = fleet.nodes.filter((n) => n.model === node.model && n !== node);
      expect(pool.length).toBeGreaterThan(5);
      for (const peer of pool) expect(label(peer.name)).toBe(scenario.expect.poolDriverVersion);
    }
  });
});

describe('expectedIdleGpus', () => {
  const expected = expectedIdleGpus(fleet);
  const kindOf = new Map(expected.map((e) => [e.subject, e.kind]));

  it('lists the idle-allocated GPU, the 4 idle GPUs of the fewer-gpus job and the idle-memory-held GPU by kind', () => {
    for (const s of scenariosOf('idle-allocated')) expect(kindOf.get(s.gpuUuid!)).toBe('idle_gpu_allocated');
    for (const s of scenariosOf('fewer-gpus')) {
      for (const uuid of s.idleGpuUuids) expect(kindOf.get(uuid)).toBe('idle_gpu_allocated');
    }
    for (const s of scenariosOf('idle-memory-held'))
      expect(kindOf.get(s.gpuUuid!)).toBe('idle_gpu_memory_held');
  });

  it('lists the free MIG instance as unallocated, and no hard negative, frozen GPU or hanging node', () => {
    for (const s of scenariosOf('mig-partitioned')) {
      const free = s.expect.instances.find((instance) => instance.pod === undefined)!;
      expect(kindOf.get(`${s.gpuUuid}/${free.gpuInstanceId}`)).toBe('idle_gpu_unallocated');
    }
    for (const kind of ['encoder-only', 'gr-engine-zero', 'frozen-exporter', 'mig-fits'] as const) {
      for (const s of scenariosOf(kind)) expect(kindOf.has(s.gpuUuid!), kind).toBe(false);
    }
    const hanging = new Set(scenariosOf('exporter-hang').map((s) => s.node));
    const hangingUuids = fleet.nodes
      .filter((n) => hanging.has(n.name))
      .flatMap((n) => n.gpus.map((g) => g.uuid));
    for (const uuid of hangingUuids) expect(kindOf.has(uuid)).toBe(false);
    expect(new Set(expected.map((e) => e.subject)).size).toBe(expected.length);
  });

  it('matches what the fleet prints: every listed whole GPU reads exactly 0 activity through the run', () => {
    const nodeOf = new Map(fleet.nodes.flatMap((n) => n.gpus.map((g) => [g.uuid, n.name] as const)));
    const unallocated = expected.filter((e) => e.kind === 'idle_gpu_unallocated' && !e.subject.includes('/'));
    expect(unallocated.length).toBeGreaterThan(0);
    for (const { subject } of expected.filter((e) => !e.subject.includes('/'))) {
      const gr = readAll(nodeOf.get(subject)!, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', subject);
      expect(Math.max(...gr), subject).toBeLessThan(0.005);
    }
  });
});
