import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../dcgm/parse.js';
import { parseNodeExporterIb } from './parse-node-exporter-ib.js';
import { readIbSysfs } from './read-ib-sysfs.js';
import { FIXTURES, readFixture } from './testing/fixtures.js';
import { unpackTtar } from './testing/unpack-ttar.js';
import type { IbPortSnapshot } from './types.js';

const options = { node: 'n1', timestampMs: 0, source: 'node_exporter_infiniband_e2e-output.prom' };

function parseFixture(): { snapshots: IbPortSnapshot[] } {
  const { samples } = parseExposition(readFixture('node_exporter_infiniband_e2e-output.prom'));
  return parseNodeExporterIb(samples, options);
}

describe('parseNodeExporterIb', () => {
  let sysfsRoot = '';
  beforeAll(() => {
    sysfsRoot = unpackTtar(join(FIXTURES, 'node_exporter_sys-class-infiniband.ttar'));
  });
  afterAll(() => rmSync(sysfsRoot, { recursive: true, force: true }));

  it('builds one snapshot per device and port from the real node_exporter output', () => {
    const { snapshots } = parseFixture();
    expect(snapshots.map((s) => `${s.device}:${s.port}`).sort()).toEqual([
      'i40iw0:1',
      'mlx4_0:1',
      'mlx4_0:2',
    ]);
  });

  it('takes node_exporter data counters as bytes without multiplying them again', () => {
    const port1 = parseFixture().snapshots.find((s) => s.device === 'mlx4_0' && s.port === 1);
    expect(port1?.counters.port_rcv_data).toBe(18527668);
    expect(port1?.counters.port_xmit_wait).toBe(4294967295);
    expect(port1?.rateBitsPerSecond).toBe(40e9);
    expect(port1?.state).toEqual({ id: 4, name: 'ACTIVE' });
    expect(port1?.physState).toEqual({ id: 5, name: 'LinkUp' });
  });

  it('agrees with the sysfs reader on every counter node_exporter exports for the same tree', async () => {
    const fromSysfs = await readIbSysfs({ sysfsRoot: join(sysfsRoot, 'sys'), node: 'n1', nowMs: 0 });
    for (const exported of parseFixture().snapshots) {
      const read = fromSysfs.snapshots.find((s) => s.device === exported.device && s.port === exported.port);
      for (const [name, value] of Object.entries(exported.counters)) {
        expect({ name, value: read?.counters[name] }).toEqual({ name, value });
      }
      expect(read?.rateBitsPerSecond).toBe(exported.rateBitsPerSecond);
    }
  });

  it('reports a node_infiniband sample without a port label by line and ignores other metrics', () => {
    const text = 'node_infiniband_link_downed_total{device="mlx5_0"} 1\nnode_cpu_seconds_total{cpu="0"} 5\n';
    const { snapshots, issues } = parseNodeExporterIb(parseExposition(text).samples, options);
    expect(snapshots).toEqual([]);
    expect(issues).toEqual([
      {
        source: options.source,
        line: 1,
        field: 'node_infiniband_link_downed_total',
        reason: 'no device/port labels',
      },
    ]);
  });
});
