import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { parseSeries, readValue } from './test-helpers.js';

const fleet = createFleet({ seed: 99, nodeCount: 10, startMs: Date.UTC(2025, 3, 1) });
const tickMs = 15_000;

describe('computeGpuSample energy counter', () => {
  it('increases monotonically tick after tick on every GPU', () => {
    for (const node of fleet.nodes.slice(0, 4)) {
      let previous: number[] | undefined;
      for (let tick = 0; tick < 240; tick++) {
        const energies = fleet.sampleNode(node.name, fleet.startMs + tick * tickMs)!.map((s) => s.energyMj);
        for (const [i, energy] of energies.entries())
          if (previous) expect(energy).toBeGreaterThan(previous[i]!);
        previous = energies;
      }
    }
  });

  it('grows over an hour by the mean printed power times the seconds, within 5 %', () => {
    const busy = fleet.groundTruth().scenarios.find((s) => s.kind === 'busy-training')!;
    const idle = fleet.groundTruth().scenarios.find((s) => s.kind === 'idle-memory-held')!;
    const targets = [
      { node: busy.node, uuid: busy.kind === 'busy-training' ? busy.expect.gpuUuids[3]! : '' },
      { node: idle.node, uuid: idle.gpuUuid! },
    ];
    for (const { node, uuid } of targets) {
      const read = (tMs: number, name: string) =>
        readValue(parseSeries(fleet.renderNode(node, tMs)!), name, { UUID: uuid });
      const hourMs = 3_600_000;
      const from = fleet.startMs + 10 * 60_000;
      let powerSumW = 0;
      const samples = hourMs / tickMs;
      for (let i = 0; i < samples; i++)
        powerSumW += read(from + i * tickMs + tickMs / 2, 'DCGM_FI_DEV_POWER_USAGE');
      const expectedJoules = (powerSumW / samples) * (hourMs / 1000);
      const deltaJoules =
        (read(from + hourMs, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION') -
          read(from, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION')) /
        1000;
      expect(Math.abs(deltaJoules - expectedJoules) / expectedJoules).toBeLessThan(0.05);
    }
  });

  it('reports energy since boot: days of uptime, not just the time since the fleet started', () => {
    const [sample] = fleet.sampleNode(fleet.nodes[0]!.name, fleet.startMs)!;
    const wattsAtLeast = fleet.nodes[0]!.model.powerIdleW * 0.9;
    expect(sample!.energyMj).toBeGreaterThan(wattsAtLeast * 86_400 * 1000);
  });
});

describe('computeGpuSample readings', () => {
  it('keeps every ratio within 0-1, utilisation within 0-100 % and memory within the card', () => {
    for (const node of fleet.nodes) {
      for (const sample of fleet.sampleNode(node.name, fleet.startMs + 7 * 3_600_000)!) {
        const activities = sample.instances.length > 0 ? sample.instances : [sample.activity];
        for (const a of activities) {
          for (const ratio of [
            a.grEngineActiveRatio,
            a.smActiveRatio,
            a.tensorActiveRatio,
            a.dramActiveRatio,
          ]) {
            expect(ratio).toBeGreaterThanOrEqual(0);
            expect(ratio).toBeLessThanOrEqual(1);
          }
          expect(a.fbUsedMib + a.fbFreeMib).toBeLessThanOrEqual(node.model.fbTotalMib);
        }
        expect(sample.gpuUtilPercent).toBeGreaterThanOrEqual(0);
        expect(sample.gpuUtilPercent).toBeLessThanOrEqual(100);
        expect(sample.powerW).toBeLessThanOrEqual(node.model.powerLimitW);
        expect(sample.powerW).toBeGreaterThan(node.model.powerIdleW * 0.9);
      }
    }
  });
});
