import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIbSysfs } from './read-ib-sysfs.js';
import { FIXTURES } from './testing/fixtures.js';
import { unpackTtar } from './testing/unpack-ttar.js';

let procfsRoot = '';
let nodeExporterRoot = '';

beforeAll(() => {
  procfsRoot = unpackTtar(join(FIXTURES, 'procfs_sysfs-class-infiniband.ttar'));
  nodeExporterRoot = unpackTtar(join(FIXTURES, 'node_exporter_sys-class-infiniband.ttar'));
});
afterAll(() => {
  rmSync(procfsRoot, { recursive: true, force: true });
  rmSync(nodeExporterRoot, { recursive: true, force: true });
});

describe('readIbSysfs', () => {
  it('reads every port of hfi1_0, mlx4_0 and mlx5_0 from the procfs fixture tree', async () => {
    const { snapshots, issues } = await readIbSysfs({
      sysfsRoot: join(procfsRoot, 'fixtures', 'sys'),
      node: 'n1',
      nowMs: 1000,
    });
    expect(snapshots.map((s) => `${s.device}:${s.port}`)).toEqual([
      'hfi1_0:1',
      'mlx4_0:1',
      'mlx4_0:2',
      'mlx5_0:1',
    ]);
    expect(issues).toEqual([]);
    const hfi = snapshots[0];
    expect(hfi?.rateBitsPerSecond).toBe(100e9);
    expect(hfi?.state).toEqual({ id: 4, name: 'ACTIVE' });
    expect(hfi?.physState).toEqual({ id: 5, name: 'LinkUp' });
  });

  it('turns the 4-byte-word data counters into bytes', async () => {
    const { snapshots } = await readIbSysfs({
      sysfsRoot: join(procfsRoot, 'fixtures', 'sys'),
      node: 'n1',
      nowMs: 1000,
    });
    const mlx5 = snapshots.find((s) => s.device === 'mlx5_0');
    // mlx5_0 port_xmit_data reads 2880761508848 words in the fixture
    expect(mlx5?.counters.port_xmit_data).toBe(2880761508848 * 4);
  });

  it('reads the RoCE hw_counters of mlx5_0', async () => {
    const { snapshots } = await readIbSysfs({
      sysfsRoot: join(procfsRoot, 'fixtures', 'sys'),
      node: 'n1',
      nowMs: 1000,
    });
    const mlx5 = snapshots.find((s) => s.device === 'mlx5_0');
    expect(mlx5?.hwCounters.req_cqe_error).toBe(3481);
    expect(mlx5?.hwCounters.local_ack_timeout_err).toBe(131);
  });

  it('skips every "N/A (no PMA)" counter of i40iw0 and reports each one', async () => {
    const { snapshots, issues } = await readIbSysfs({
      sysfsRoot: join(nodeExporterRoot, 'sys'),
      node: 'n1',
      nowMs: 0,
    });
    const i40iw = snapshots.find((s) => s.device === 'i40iw0');
    expect(i40iw?.counters).toEqual({});
    const noPma = issues.filter((i) => i.source.includes('i40iw0') && i.reason.includes('no PMA'));
    expect(noPma.length).toBeGreaterThan(10);
  });

  it('keeps the saturated 32-bit port_xmit_wait of mlx4_0 port 1 as read, 4294967295', async () => {
    const { snapshots } = await readIbSysfs({
      sysfsRoot: join(nodeExporterRoot, 'sys'),
      node: 'n1',
      nowMs: 0,
    });
    const port1 = snapshots.find((s) => s.device === 'mlx4_0' && s.port === 1);
    expect(port1?.counters.port_xmit_wait).toBe(4294967295);
    expect(port1?.counters.port_rcv_data_64).toBe(4631917 * 4);
  });

  it('reports a directory where the rate file should be, naming the path, and still reads the counters', async () => {
    const root = unpackTtar(join(FIXTURES, 'procfs_sysfs-class-infiniband.ttar'));
    const portDir = join(root, 'fixtures', 'sys', 'class', 'infiniband', 'mlx5_0', 'ports', '1');
    rmSync(join(portDir, 'rate'));
    mkdirSync(join(portDir, 'rate'));
    rmSync(join(portDir, 'counters', 'symbol_error'));
    const { snapshots, issues } = await readIbSysfs({
      sysfsRoot: join(root, 'fixtures', 'sys'),
      node: 'n1',
      nowMs: 0,
    });
    rmSync(root, { recursive: true, force: true });
    const mlx5 = snapshots.find((s) => s.device === 'mlx5_0');
    expect(mlx5?.rateBitsPerSecond).toBeNull();
    expect(mlx5?.counters.symbol_error).toBeUndefined();
    expect(mlx5?.counters.port_rcv_errors).toBeDefined();
    expect(issues).toEqual([{ source: join(portDir, 'rate'), field: 'rate', reason: 'unreadable (EISDIR)' }]);
  });

  it('reports a sysfs root without class/infiniband instead of throwing', async () => {
    const { snapshots, issues } = await readIbSysfs({
      sysfsRoot: '/nonexistent-gpuscope',
      node: 'n1',
      nowMs: 0,
    });
    expect(snapshots).toEqual([]);
    expect(issues[0]?.reason).toBe('cannot list (ENOENT)');
  });
});
