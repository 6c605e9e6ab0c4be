import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../fleet.js';
import { parsePrometheusTextFormat } from '../test-helpers.js';

const referenceDir = new URL('../../test/fixtures/jobs/sim-reference/', import.meta.url);
const fixtureText = readFileSync(new URL('node_exporter_infiniband_e2e-output.prom', referenceDir), 'utf8');
const ttar = readFileSync(new URL('procfs_sysfs-class-infiniband.ttar', referenceDir), 'utf8');
const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs: Date.UTC(2025, 5, 2, 8) });
const tMs = fleet.startMs + 3_600_000;

/** Paths of the ttar's `mlx5_0` files relative to the device, hw_counters left out (RoCE only). */
function listFixtureFiles(): string[] {
  const prefix = 'fixtures/sys/class/infiniband/mlx5_0/';
  return [...ttar.matchAll(/^Path: (.+)$/gm)]
    .map((match) => match[1]!)
    .filter((path) => path.startsWith(prefix) && !path.includes('/hw_counters/'))
    .map((path) => path.slice(prefix.length));
}

describe('renderNodeExporter', () => {
  const families = parsePrometheusTextFormat(fleet.renderNodeExporter('gpu-node-0005', tMs)!);
  const reference = new Map(parsePrometheusTextFormat(fixtureText).map((family) => [family.name, family]));

  it('prints only families node_exporter prints, with its HELP, TYPE and labels', () => {
    expect(families.length).toBeGreaterThan(15);
    for (const family of families) {
      const real = reference.get(family.name);
      expect(real, family.name).toBeDefined();
      expect(family.help).toBe(real!.help);
      expect(family.type).toBe(real!.type);
      expect(Object.keys(family.metrics[0]!.labels ?? {})).toEqual(
        Object.keys(real!.metrics[0]!.labels ?? {}),
      );
    }
  });

  it('prints the data counters in bytes, four per sysfs word, in Go float notation', () => {
    const text = fleet.renderNodeExporter('gpu-node-0005', tMs)!;
    const words = Number(
      fleet.renderIbSysfs('gpu-node-0005', tMs)!['class/infiniband/mlx5_2/ports/1/counters/port_rcv_data'],
    );
    const line = text
      .split('\n')
      .find((l) => l.startsWith('node_infiniband_port_data_received_bytes_total{device="mlx5_2"'))!;
    expect(Number(line.split(' ')[1])).toBe(words * 4);
    expect(text).toContain('node_infiniband_rate_bytes_per_second{device="mlx5_0",port="1"} 5e+10\n');
  });
});

describe('renderIbSysfs', () => {
  const tree = fleet.renderIbSysfs('gpu-node-0005', tMs)!;

  it('lays out each HCA with the same file names as a real mlx5 device', () => {
    const ours = Object.keys(tree)
      .filter((path) => path.startsWith('class/infiniband/mlx5_0/'))
      .map((path) => path.slice('class/infiniband/mlx5_0/'.length));
    expect(ours.sort()).toEqual(listFixtureFiles().sort());
    expect(Object.keys(tree).filter((path) => path.endsWith('/ports/1/rate'))).toHaveLength(8);
  });

  it('writes the state, rate and counters in the kernel text forms', () => {
    const port = 'class/infiniband/mlx5_4/ports/1';
    expect(tree[`${port}/state`]).toBe('4: ACTIVE\n');
    expect(tree[`${port}/phys_state`]).toBe('5: LinkUp\n');
    expect(tree[`${port}/rate`]).toMatch(/^\d+ Gb\/sec \(\dX [A-Z]+\)\n$/);
    expect(tree[`${port}/link_layer`]).toBe('InfiniBand\n');
    expect(tree[`${port}/counters/port_xmit_data`]).toMatch(/^\d+\n$/);
    expect(tree['class/infiniband/mlx5_4/node_guid']).toMatch(/^([0-9a-f]{4}:){3}[0-9a-f]{4}\n$/);
  });
});
