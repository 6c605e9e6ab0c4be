import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../fleet.js';
import type { ScenarioKind, ScenarioTruth } from '../ground-truth.js';
import { parseSeries, readValue, type Series } from '../test-helpers.js';
import { evaluateWave } from '../waves.js';
import { ibLinkBytesPerSecond } from './ib-ports.js';

const startMs = Date.UTC(2025, 5, 2, 8);
const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs });
const truth = fleet.groundTruth();
const minuteMs = 60_000;

function scenarioOf<K extends ScenarioKind>(kind: K): Extract<ScenarioTruth, { kind: K }> {
  const found = truth.scenarios.find((s): s is Extract<ScenarioTruth, { kind: K }> => s.kind === kind);
  if (!found) throw new Error(`no ${kind} scenario planted`);
  return found;
}

function scrape(node: string, tMs: number): Series[] {
  return parseSeries(fleet.renderNodeExporter(node, tMs)!);
}

function readPort(node: string, device: string, name: string, tMs: number): number {
  return readValue(scrape(node, tMs), `node_infiniband_${name}`, { device, port: '1' });
}

/** Bytes per second between two scrapes of a counter, as a reader computes it. */
function rateBetween(node: string, device: string, name: string, fromMs: number, toMs: number): number {
  const delta = readPort(node, device, name, toMs) - readPort(node, device, name, fromMs);
  return delta / ((toMs - fromMs) / 1000);
}

describe('sampleIbPorts', () => {
  it('gives every node one port per GPU, mlx5_0 serving GPU 0, at 400 Gb/s and ACTIVE', () => {
    const ports = fleet.sampleIbPorts('gpu-node-0001', startMs)!;
    expect(ports.map((p) => p.device)).toEqual(fleet.nodes[0]!.gpus.map((g) => `mlx5_${g.index}`));
    expect(ports.every((p) => p.rateBytesPerSecond === 5e10 && p.stateId === 4 && p.physStateId === 5)).toBe(
      true,
    );
    expect(fleet.sampleIbPorts('gpu-node-9999', startMs)).toBeUndefined();
  });

  it('never lets a counter go down over a day except on the planted wrap and reset ports', () => {
    const special = new Set(
      truth.scenarios
        .filter((s) => s.kind === 'ib-counter-wrap' || s.kind === 'ib-counter-reset')
        .map((s) => `${s.node}/${s.device}`),
    );
    for (const node of fleet.nodes) {
      let previous = fleet.sampleIbPorts(node.name, startMs)!;
      for (let tMs = startMs + 7 * minuteMs; tMs <= startMs + 24 * 60 * minuteMs; tMs += 97 * minuteMs) {
        const ports = fleet.sampleIbPorts(node.name, tMs)!;
        for (const [i, port] of ports.entries()) {
          if (special.has(`${node.name}/${port.device}`)) continue;
          for (const [name, value] of Object.entries(port.counters)) {
            expect(value, `${node.name} ${port.device} ${name}`).toBeGreaterThanOrEqual(
              previous[i]!.counters[name as keyof typeof port.counters],
            );
          }
        }
        previous = ports;
      }
    }
  });

  it('carries a rate between two scrapes equal to the planted rate of a spanning job', () => {
    const scenario = scenarioOf('multi-node-straggler');
    const node = fleet.getNode(scenario.nodes![1]!)!;
    const gpu = node.gpus[3]!;
    const fromMs = startMs + 42 * minuteMs;
    const toMs = fromMs + 15_000;
    const midSeconds = (fromMs + 7_500 - startMs) / 1000;
    const planted = gpu.workload.ibBytesPerSecond! * evaluateWave(gpu.workload.activity, midSeconds) + 2_000;
    const measured = rateBetween(node.name, 'mlx5_3', 'port_data_transmitted_bytes_total', fromMs, toMs);
    expect(measured / planted).toBeCloseTo(1, 4);
    expect(measured).toBeGreaterThan(0.4 * ibLinkBytesPerSecond);
  });

  it('moves next to nothing on the port of an unallocated GPU', () => {
    const node = fleet.nodes.find((n) =>
      n.gpus.some((g) => g.allocation === undefined && g.instances.length === 0),
    )!;
    const gpu = node.gpus.find((g) => g.allocation === undefined && g.instances.length === 0)!;
    const rate = rateBetween(
      node.name,
      `mlx5_${gpu.index}`,
      'port_data_received_bytes_total',
      startMs,
      startMs + 60_000,
    );
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(10_000);
  });
});

describe('planted InfiniBand scenarios', () => {
  it('wraps the 32-bit data counters of the wrap port at 2^32 words at the planted time', () => {
    const { node, device, expect: facts } = scenarioOf('ib-counter-wrap');
    expect(facts.firstWrapMs - startMs).toBeLessThan(60 * minuteMs);
    const before = readPort(node, device!, 'port_data_transmitted_bytes_total', facts.firstWrapMs - 15_000);
    const after = readPort(node, device!, 'port_data_transmitted_bytes_total', facts.firstWrapMs + 15_000);
    expect(before).toBeGreaterThan(4 * 2 ** 32 - 4 * facts.bytesPerSecond * 16);
    expect(after).toBeLessThan(4 * facts.bytesPerSecond * 16);
    expect((after - before + 4 * 2 ** 32) / 30).toBeCloseTo(facts.bytesPerSecond, 0);
  });

  it('restarts every counter of the reset port from 0 at the planted time', () => {
    const { node, device, expect: facts } = scenarioOf('ib-counter-reset');
    const before = fleet.sampleIbPorts(node, facts.resetAtMs - 1_000)!.find((p) => p.device === device)!;
    const after = fleet.sampleIbPorts(node, facts.resetAtMs + 15_000)!.find((p) => p.device === device)!;
    expect(after.counters.port_xmit_data).toBeLessThan(before.counters.port_xmit_data);
    expect(after.counters.port_rcv_packets).toBeLessThan(before.counters.port_rcv_packets);
    // 15 s of traffic at no more than the link rate, in words.
    expect(after.counters.port_xmit_data).toBeLessThanOrEqual((15 * ibLinkBytesPerSecond) / 4);
  });

  it('takes the flapping link down and up, adding one link_downed per flap', () => {
    const { node, device, fromMs, toMs, expect: facts } = scenarioOf('ib-link-flap');
    const first = facts.downIntervals[0]!;
    expect(readPort(node, device!, 'state_id', first.fromMs + 5_000)).toBe(1);
    expect(readPort(node, device!, 'physical_state_id', first.fromMs + 5_000)).toBe(2);
    expect(readPort(node, device!, 'state_id', first.toMs + 5_000)).toBe(4);
    const downedBefore = readPort(node, device!, 'link_downed_total', fromMs! - 1_000);
    const downedAfter = readPort(node, device!, 'link_downed_total', toMs! + 1_000);
    expect(downedAfter - downedBefore).toBe(facts.linkDownedIncrease);
    expect(facts.linkDownedIncrease).toBeGreaterThanOrEqual(3);
    const flat = rateBetween(
      node,
      device!,
      'port_data_received_bytes_total',
      first.fromMs + 1_000,
      first.toMs - 1_000,
    );
    expect(flat).toBe(0);
  });

  it('shows the congested port near line rate with port_xmit_wait climbing far faster than its peers', () => {
    const { node, device, expect: facts } = scenarioOf('ib-congested-port');
    const fromMs = startMs + 30 * minuteMs;
    const toMs = fromMs + 15_000;
    const tx = rateBetween(node, device!, 'port_data_transmitted_bytes_total', fromMs, toMs);
    expect(tx / ibLinkBytesPerSecond).toBeGreaterThanOrEqual(facts.txUtilizationMin);
    const wait = rateBetween(node, device!, 'port_transmit_wait_total', fromMs, toMs);
    expect(wait).toBeGreaterThanOrEqual(facts.xmitWaitPerSecondMin);
    const peer = device === 'mlx5_0' ? 'mlx5_1' : 'mlx5_0';
    expect(rateBetween(node, peer, 'port_transmit_wait_total', fromMs, toMs)).toBeLessThan(
      facts.peerXmitWaitPerSecondMax,
    );
  });
});

describe('writeIbSysfs', () => {
  it('writes the rendered tree under a root that a sysfs reader can be pointed at', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sim-sysfs-'));
    try {
      const paths = await fleet.writeIbSysfs(root, 'gpu-node-0002', startMs);
      const tree = fleet.renderIbSysfs('gpu-node-0002', startMs)!;
      expect(paths.sort()).toEqual(Object.keys(tree).sort());
      const rate = await readFile(join(root, 'class/infiniband/mlx5_7/ports/1/rate'), 'utf8');
      expect(rate).toBe('400 Gb/sec (4X NDR)\n');
      await expect(fleet.writeIbSysfs(root, 'nope', startMs)).rejects.toThrow(RangeError);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
