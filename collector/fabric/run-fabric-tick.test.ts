import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';
import { listLinkSummaries } from '../link-queries.js';
import { listTargets } from '../queries.js';
import { createFabricMetrics } from './metrics.js';
import { FabricCollectorState, type FabricSettings, runFabricTick } from './run-fabric-tick.js';
import { FIXTURES } from './testing/fixtures.js';
import { unpackTtar } from './testing/unpack-ttar.js';

const t0 = Date.UTC(2026, 11, 2, 9, 0, 0);
let unpacked = '';
let handle: DbHandle;

beforeAll(async () => {
  unpacked = unpackTtar(join(FIXTURES, 'procfs_sysfs-class-infiniband.ttar'));
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(async () => {
  rmSync(unpacked, { recursive: true, force: true });
  await handle?.close();
});

function bumpCounter(counter: string, by: bigint) {
  const path = join(unpacked, 'fixtures/sys/class/infiniband/mlx5_0/ports/1/counters', counter);
  writeFileSync(path, `${BigInt(readFileSync(path, 'utf8').trim()) + by}\n`);
}

describe('runFabricTick', () => {
  it('turns two sysfs readings of the real fixture tree into link minutes, metrics and target health', async () => {
    const clock = createManualClock(t0);
    const registry = createRegistry({ defaultMetrics: false });
    const deps = { db: handle.db, clock, log: createSilentLogger(), metrics: createFabricMetrics(registry) };
    const collectors = Config.parse({
      collectors: {
        infiniband: {
          sysfsRoot: join(unpacked, 'fixtures/sys'),
          node: 'ib-node-1',
          // nothing listens on port 9: a node_exporter that is down must not stop the sysfs reading
          targets: [{ url: 'http://127.0.0.1:9/metrics', node: 'ib-node-2' }],
          timeoutSeconds: 2,
          gpuAffinity: { 'ib-node-1': { mlx5_0: [0, 1] } },
        },
      },
    }).collectors;
    const settings: FabricSettings = { ...collectors.infiniband!, cluster: 'fabric-test', node: 'ib-node-1' };
    const state = new FabricCollectorState();

    const first = await runFabricTick(deps, state, settings);
    expect(first).toMatchObject({ ports: 4, rates: 0, failedSources: 1 });

    // 15 s later: 375,000,000 words = 1.5 GB sent (100 MB/s), xmit_wait +3,000 ticks, 2 symbol errors
    bumpCounter('port_xmit_data', 375_000_000n);
    bumpCounter('port_xmit_wait', 3_000n);
    bumpCounter('symbol_error', 2n);
    clock.advance(15_000);
    const second = await runFabricTick(deps, state, settings);
    expect(second).toMatchObject({ ports: 4, rates: 4 });

    const links = await listLinkSummaries(handle.db, {
      from: new Date(t0 - 60_000),
      to: new Date(t0 + 120_000),
      node: 'ib-node-1',
      limit: 10,
    });
    const mlx5 = links.find((l) => l.device === 'mlx5_0');
    expect(mlx5).toMatchObject({ port: 1, rate_bits_per_second: 25e9, state: 'ACTIVE', gpu_indices: [0, 1] });
    expect(Number(mlx5?.tx_bytes_per_second_mean)).toBeCloseTo(1e8, 0);
    expect(Number(mlx5?.utilization_max)).toBeCloseTo(0.032, 6);
    expect(Number(mlx5?.xmit_wait_per_second_mean)).toBeCloseTo(200, 6);
    expect(mlx5?.error_deltas).toMatchObject({ symbol_error: 2 });

    const targets = await listTargets(handle.db);
    expect(targets.find((t) => t.kind === 'infiniband')).toMatchObject({ up: true, lastSampleCount: 4 });
    expect(targets.find((t) => t.kind === 'node_exporter')).toMatchObject({
      up: false,
      consecutiveFailures: 2,
    });

    const text = await registry.metrics();
    expect(text).toContain(
      'gpuscope_link_transmit_bytes_per_second{link_type="infiniband",node="ib-node-1",device="mlx5_0",port="1"} 100000000',
    );
    expect(text).toContain(
      'gpuscope_link_errors_total{link_type="infiniband",node="ib-node-1",device="mlx5_0",port="1",counter="symbol_error"} 2',
    );
  });

  it('learns which GPUs each HCA serves from nvidia-smi topo -m on this host', async () => {
    // a stand-in for nvidia-smi printing a 4-GPU, 2-NIC matrix in nvidia-smi's layout
    const fake = join(unpacked, 'nvidia-smi');
    const matrix = [
      '\tGPU0\tGPU1\tGPU2\tGPU3\tNIC0\tNIC1\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID',
      'GPU0\t X \tNV2\tNV2\tNV2\tSYS\tPIX\t0-23\t0\t\tN/A',
      'GPU1\tNV2\t X \tNV2\tNV2\tSYS\tPIX\t0-23\t0\t\tN/A',
      'GPU2\tNV2\tNV2\t X \tNV2\tPIX\tSYS\t24-47\t1\t\tN/A',
      'GPU3\tNV2\tNV2\tNV2\t X \tPXB\tSYS\t24-47\t1\t\tN/A',
      'NIC0\tSYS\tSYS\tPIX\tPXB\t X \tSYS',
      'NIC1\tPIX\tPIX\tSYS\tSYS\tSYS\t X ',
      '',
      'NIC Legend:',
      '',
      '  NIC0: mlx5_0',
      '  NIC1: mlx4_0',
    ].join('\n');
    writeFileSync(
      fake,
      `#!/bin/sh\n[ "$1 $2" = "topo -m" ] || exit 3\nprintf '%s\\n' '${matrix.replaceAll("'", '')}'\n`,
    );
    chmodSync(fake, 0o755);
    const clock = createManualClock(t0 + 3_600_000);
    const registry = createRegistry({ defaultMetrics: false });
    const deps = { db: handle.db, clock, log: createSilentLogger(), metrics: createFabricMetrics(registry) };
    const infiniband = Config.parse({
      collectors: { infiniband: { sysfsRoot: join(unpacked, 'fixtures/sys'), nvidiaSmi: fake } },
    }).collectors.infiniband!;
    const state = new FabricCollectorState();
    const settings: FabricSettings = { ...infiniband, cluster: 'fabric-topo', node: 'ib-node-3' };
    await runFabricTick(deps, state, settings);
    clock.advance(15_000);
    await runFabricTick(deps, state, settings);
    const links = await listLinkSummaries(handle.db, {
      from: new Date(t0),
      to: new Date(t0 + 7_200_000),
      node: 'ib-node-3',
      limit: 10,
    });
    const affinity = Object.fromEntries(links.map((l) => [`${l.device}:${l.port}`, l.gpu_indices]));
    expect(affinity).toMatchObject({ 'mlx5_0:1': [2], 'mlx4_0:1': [0, 1], 'mlx4_0:2': [0, 1] });
  });
});
