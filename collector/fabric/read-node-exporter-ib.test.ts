import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeExporterIb } from './read-node-exporter-ib.js';
import { readFixture } from './testing/fixtures.js';

let server: Server;
let base = '';

beforeAll(async () => {
  const body = readFixture('node_exporter_infiniband_e2e-output.prom');
  server = createServer((req, res) => {
    if (req.url === '/metrics') res.end(body);
    else if (req.url === '/broken')
      res.end('node_infiniband_link_downed_total{device="mlx5_0",port="1"} 1\nnot a sample line {\n');
    else if (req.url === '/hang') return;
    else {
      res.statusCode = 500;
      res.end('boom');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('readNodeExporterIb', () => {
  it('reads the port snapshots of a node_exporter and names the node after the URL host', async () => {
    const result = await readNodeExporterIb({ url: `${base}/metrics` }, { nowMs: 5, timeoutMs: 5_000 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.snapshots).toHaveLength(3);
    expect(result.value.snapshots[0]).toMatchObject({
      node: '127.0.0.1',
      timestampMs: 5,
      source: 'node_exporter',
    });
  });

  it('keeps the good ports of a page with a broken line and reports the line', async () => {
    const result = await readNodeExporterIb(
      { url: `${base}/broken`, node: 'n9' },
      { nowMs: 5, timeoutMs: 5_000 },
    );
    expect(result.ok && result.value.snapshots.map((s) => s.node)).toEqual(['n9']);
    expect(result.ok && result.value.issues[0]?.line).toBe(2);
  });

  it('returns an HTTP failure instead of throwing', async () => {
    const result = await readNodeExporterIb({ url: `${base}/error` }, { nowMs: 5, timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: false, error: { kind: 'http_status', status: 500 } });
  });

  it('gives up on a target that never answers at the deadline', async () => {
    const result = await readNodeExporterIb({ url: `${base}/hang` }, { nowMs: 5, timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, error: { kind: 'timeout' } });
  });
});
