import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.js';
import { a100Sxm, h100Sxm } from './models.js';

const startMs = Date.UTC(2025, 0, 15, 12);

describe('createFleet', () => {
  it('renders byte-identical text for the same seed, node and time', () => {
    const a = createFleet({ seed: 42, nodeCount: 12, startMs });
    const b = createFleet({ seed: 42, nodeCount: 12, startMs });
    for (const node of a.nodes) {
      const tMs = startMs + 37 * 60_000 + 4_321;
      expect(b.renderNode(node.name, tMs)).toBe(a.renderNode(node.name, tMs));
    }
    expect(b.groundTruth()).toEqual(a.groundTruth());
  });

  it('gives a different seed different GPU UUIDs', () => {
    const uuidsOf = (seed: number) =>
      createFleet({ seed, nodeCount: 6, startMs }).nodes.flatMap((node) => node.gpus.map((gpu) => gpu.uuid));
    const first = uuidsOf(1);
    const second = new Set(uuidsOf(2));
    expect(first.filter((uuid) => second.has(uuid))).toEqual([]);
    expect(new Set(first).size).toBe(first.length);
  });

  it('changes the values, not the series, from one 15-second tick to the next', () => {
    const fleet = createFleet({ seed: 3, nodeCount: 4, startMs });
    const name = fleet.nodes[0]!.name;
    const before = fleet.renderNode(name, startMs)!;
    const after = fleet.renderNode(name, startMs + 15_000)!;
    const seriesOf = (text: string) => text.split('\n').map((line) => line.replace(/ [^ ]+$/, ''));
    expect(after).not.toBe(before);
    expect(seriesOf(after)).toEqual(seriesOf(before));
  });

  it('names nodes gpu-node-0001 onwards with 8 GPUs each by default', () => {
    const fleet = createFleet({ seed: 9, nodeCount: 5, startMs });
    expect(fleet.nodes.map((node) => node.name)).toEqual([
      'gpu-node-0001',
      'gpu-node-0002',
      'gpu-node-0003',
      'gpu-node-0004',
      'gpu-node-0005',
    ]);
    expect(fleet.nodes.every((node) => node.gpus.length === 8)).toBe(true);
    expect(fleet.getNode('gpu-node-0003')?.index).toBe(2);
  });

  it('builds mostly H100 nodes with some A100 nodes, a few Slurm nodes and one driver per model but the drifted', () => {
    const fleet = createFleet({ seed: 77, nodeCount: 200, startMs });
    const count = (predicate: (n: (typeof fleet.nodes)[number]) => boolean) =>
      fleet.nodes.filter(predicate).length;
    expect(count((n) => n.model === a100Sxm)).toBeGreaterThan(5);
    expect(count((n) => n.model === h100Sxm)).toBeGreaterThan(150);
    expect(count((n) => n.scheduler === 'slurm')).toBeGreaterThan(10);
    const drifted = new Set(
      fleet
        .groundTruth()
        .scenarios.filter((s) => s.kind === 'driver-drift')
        .map((s) => s.node),
    );
    expect(drifted.size).toBe(1);
    for (const node of fleet.nodes) {
      expect(node.driverVersion, node.name).toBe(node.model.driverVersions[drifted.has(node.name) ? 1 : 0]);
    }
  });

  it('keeps a node identical when only the fleet size changes, so UUIDs are stable', () => {
    const small = createFleet({ seed: 8, nodeCount: 30, startMs });
    const large = createFleet({ seed: 8, nodeCount: 60, startMs });
    const untouched = small.nodes.filter(
      (node) => !small.groundTruth().scenarios.some((s) => s.node === node.name),
    );
    const node = untouched.find((n) => !large.groundTruth().scenarios.some((s) => s.node === n.name));
    expect(node).toBeDefined();
    expect(large.renderNode(node!.name, startMs)).toBe(small.renderNode(node!.name, startMs));
  });

  it('returns undefined for a node it does not have', () => {
    const fleet = createFleet({ seed: 1, nodeCount: 3, startMs });
    expect(fleet.renderNode('gpu-node-9999', startMs)).toBeUndefined();
    expect(fleet.sampleNode('nope', startMs)).toBeUndefined();
  });

  describe('errors', () => {
    it('rejects a fleet too small to hold every planted scenario', () => {
      expect(() => createFleet({ seed: 1, nodeCount: 2, startMs })).toThrow(/too small/);
      expect(() => createFleet({ seed: 1, nodeCount: 3, gpusPerNode: 4, startMs })).toThrow(/too small/);
    });

    it('rejects a non-integer node count, an out-of-range GPU count and a non-finite start', () => {
      expect(() => createFleet({ seed: 1, nodeCount: 2.5, startMs })).toThrow(RangeError);
      expect(() => createFleet({ seed: 1, nodeCount: 10, gpusPerNode: 0, startMs })).toThrow(RangeError);
      expect(() => createFleet({ seed: 1, nodeCount: 10, startMs: Number.NaN })).toThrow(RangeError);
    });
  });
});
