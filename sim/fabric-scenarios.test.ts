import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import type { ScenarioKind, ScenarioTruth } from './ground-truth.js';
import { findSeries, parsePrometheusTextFormat, parseSeries, readValue } from './test-helpers.js';

const startMs = Date.UTC(2025, 5, 2, 8);
const options = { seed: 2024, nodeCount: 24, startMs };
const fleet = createFleet(options);
const withErrors = createFleet({ ...options, nvlinkErrorCounters: true });
const truth = fleet.groundTruth();
const sampleTimes = [startMs, startMs + 6 * 3_600_000, startMs + 24 * 3_600_000];
const errorFamilies = ['CRC_FLIT', 'CRC_DATA', 'REPLAY', 'RECOVERY'].map(
  (kind) => `DCGM_FI_DEV_NVLINK_${kind}_ERROR_COUNT_TOTAL`,
);

function scenariosOf<K extends ScenarioKind>(kind: K): Extract<ScenarioTruth, { kind: K }>[] {
  return truth.scenarios.filter((s): s is Extract<ScenarioTruth, { kind: K }> => s.kind === kind);
}

describe('fabric scenario placement', () => {
  it('gives every fabric scenario nodes of its own, apart from every other scenario', () => {
    const used = truth.scenarios.flatMap((s) => s.nodes ?? [s.node]);
    const firstFabric = truth.scenarios.findIndex((s) => s.kind === 'multi-node-straggler');
    const firstAnalyzer = truth.scenarios.findIndex((s) => s.kind === 'fewer-gpus');
    expect(firstFabric).toBeGreaterThan(0);
    expect(firstAnalyzer).toBeGreaterThan(firstFabric);
    for (const scenario of truth.scenarios.slice(firstFabric, firstAnalyzer)) {
      for (const node of scenario.nodes ?? [scenario.node]) {
        expect(
          used.filter((n) => n === node),
          `${scenario.id} on ${node}`,
        ).toHaveLength(1);
      }
    }
  });

  it('plants none in a fleet too small to hold them all, leaving it as it was', () => {
    const small = createFleet({ seed: 1, nodeCount: 6, startMs }).groundTruth();
    expect(small.scenarios.some((s) => s.kind === 'multi-node-straggler')).toBe(false);
  });
});

describe('multi-node-straggler', () => {
  it('labels all 16 GPUs on two Slurm nodes with one job and shows one GPU well behind its peers', () => {
    for (const scenario of scenariosOf('multi-node-straggler')) {
      expect(scenario.nodes).toHaveLength(2);
      expect(scenario.expect.gpuUuids).toHaveLength(16);
      for (const tMs of sampleTimes) {
        const series = scenario.nodes!.flatMap((node) => parseSeries(fleet.renderNode(node, tMs)!));
        const activity = findSeries(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', { hpc_job: scenario.jobId! });
        expect(activity).toHaveLength(16);
        for (const s of activity) {
          if (s.labels.UUID === scenario.expect.stragglerGpuUuid) {
            expect(s.value).toBeLessThanOrEqual(scenario.expect.stragglerActivityMax);
          } else expect(s.value).toBeGreaterThanOrEqual(scenario.expect.peerActivityMin);
        }
      }
    }
  });
});

describe('NVLink error counters', () => {
  it('prints no NVLink error family unless the fleet asks for them, and the rest byte for byte', () => {
    const node = truth.scenarios.find((s) => s.kind === 'nvlink-errors')!.node;
    const plain = fleet.renderNode(node, startMs)!;
    expect(plain).not.toContain('NVLINK_CRC');
    expect(withErrors.renderNode(node, startMs)!.startsWith(plain)).toBe(true);
  });

  it('uses the dcgm-exporter names, counter type and HELP texts of default-counters.csv', () => {
    const csv = readFileSync(
      new URL('../test/fixtures/telemetry/dcgm-exporter_default-counters.csv', import.meta.url),
      'utf8',
    );
    const families = parsePrometheusTextFormat(withErrors.renderNode('gpu-node-0001', startMs)!);
    for (const name of errorFamilies) {
      const family = families.find((f) => f.name === name)!;
      const row = csv.split('\n').find((line) => line.includes(`${name},`))!;
      const [, type, help] = row
        .replace(/^#\s*/, '')
        .split(',')
        .map((cell) => cell.trim());
      expect(family.type.toLowerCase()).toBe(type);
      expect(family.help).toBe(help);
      expect(family.metrics).toHaveLength(8);
    }
  });

  it('counts errors up on the faulty GPU at the planted rates and reads 0 on its healthy peers', () => {
    for (const scenario of scenariosOf('nvlink-errors')) {
      const at = (tMs: number) => parseSeries(withErrors.renderNode(scenario.node, tMs)!);
      const [early, late] = [at(startMs), at(startMs + 3_600_000)];
      const flit = errorFamilies[0]!;
      const rise =
        readValue(late, flit, { UUID: scenario.gpuUuid! }) -
        readValue(early, flit, { UUID: scenario.gpuUuid! });
      expect(rise / 3600).toBeCloseTo(scenario.expect.crcFlitErrorsPerSecond, 2);
      const peers = findSeries(late, flit, {}).filter((s) => s.labels.UUID !== scenario.gpuUuid);
      expect(peers.map((s) => s.value)).toEqual(Array(peers.length).fill(0));
    }
  });
});

describe('nvlink-zero', () => {
  it('shows a busy GPU of a multi-GPU job whose NVLink counters read exactly 0 while its peers move data', () => {
    for (const scenario of scenariosOf('nvlink-zero')) {
      for (const tMs of sampleTimes) {
        const series = parseSeries(fleet.renderNode(scenario.node, tMs)!);
        const gpu = { UUID: scenario.gpuUuid! };
        expect(readValue(series, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', gpu)).toBeGreaterThan(
          scenario.expect.activityMin,
        );
        expect(findSeries(series, 'DCGM_FI_PROF_NVLINK_TX_BYTES', gpu)[0]!.rawValue).toBe('0');
        expect(findSeries(series, 'DCGM_FI_PROF_NVLINK_RX_BYTES', gpu)[0]!.rawValue).toBe('0');
        for (const uuid of scenario.expect.jobGpuUuids.filter((u) => u !== scenario.gpuUuid)) {
          expect(readValue(series, 'DCGM_FI_PROF_NVLINK_TX_BYTES', { UUID: uuid })).toBeGreaterThanOrEqual(
            scenario.expect.peerNvlinkBytesPerSecondMin,
          );
        }
      }
    }
  });
});

describe('determinism of the fabric and job renderers', () => {
  it('renders the same InfiniBand, Slurm and pod output for the same seed and time', () => {
    const again = createFleet(options);
    const tMs = startMs + 5 * 3_600_000 + 1_234;
    for (const node of fleet.nodes) {
      expect(again.renderNodeExporter(node.name, tMs)).toBe(fleet.renderNodeExporter(node.name, tMs));
      expect(again.renderIbSysfs(node.name, tMs)).toEqual(fleet.renderIbSysfs(node.name, tMs));
    }
    expect(again.renderSacctJson(startMs, tMs)).toBe(fleet.renderSacctJson(startMs, tMs));
    expect(again.renderScontrolShowJobs(tMs)).toBe(fleet.renderScontrolShowJobs(tMs));
    expect(again.renderPodList(tMs)).toBe(fleet.renderPodList(tMs));
    expect(again.groundTruth()).toEqual(truth);
  });
});
