import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import type { Db, DbHandle } from '../../core/db.js';
import { openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { createCollectorMetrics } from '../metrics.js';
import { listTargets } from '../queries.js';
import { type DcgmCollectorSettings, DcgmCollectorState, runDcgmScrapeTick } from './run-dcgm-scrape-tick.js';

const t4 = readFileSync(
  new URL('../../test/fixtures/telemetry/dcgm-exporter_tesla-t4_datadog-serve.prom', import.meta.url),
  'utf8',
);
const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);

/** One local server whose paths behave like exporters in their good and bad moods. */
function startFaultyExporters(): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const hung: ServerResponse[] = [];
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/ok/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(t4);
        return;
      case '/hang/metrics':
        hung.push(res);
        return;
      case '/error/metrics':
        res.writeHead(500).end('internal error');
        return;
      case '/huge/metrics': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(1024 * 1024, 'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 1\n');
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent >= 50) res.end();
          else res.once('drain', pump);
        };
        res.on('close', () => (sent = 50));
        pump();
        return;
      }
      case '/garbage/metrics': {
        const bytes = Buffer.alloc(64 * 1024);
        let x = 12345;
        for (let i = 0; i < bytes.length; i++) {
          x = (x * 1103515245 + 12345) & 0x7fffffff;
          bytes[i] = (x >>> 16) & 0xff;
        }
        res.writeHead(200).end(Buffer.concat([Buffer.from(`${t4.slice(0, 3000)}\n`), bytes]));
        return;
      }
      default:
        res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        server,
        close: () => {
          for (const res of hung) res.destroy();
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      });
    }),
  );
}

describe('runDcgmScrapeTick', () => {
  let handle: DbHandle;
  let exporters: Awaited<ReturnType<typeof startFaultyExporters>>;
  const registry = createRegistry({ defaultMetrics: false });
  const metrics = createCollectorMetrics(registry);
  const clock = createManualClock(t0);
  const deps = () => ({ db: handle.db, clock, log: createSilentLogger(), tracer: getTracer(), metrics });

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    exporters = await startFaultyExporters();
  });
  afterAll(async () => {
    await exporters?.close();
    await handle?.close();
  });

  const settings = (paths: string[]): DcgmCollectorSettings => ({
    cluster: 'test',
    targets: paths.map((p) => ({ url: `${exporters.base}/${p}/metrics`, node: p })),
    timeoutSeconds: 0.5,
    maxBodyBytes: 8 * 1024 * 1024,
    concurrency: 4,
  });

  it('scrapes real dcgm-exporter output into GPUs and rollups, and a bad target does not hurt the good one', async () => {
    const state = new DcgmCollectorState();
    const started = performance.now();
    const summary = await runDcgmScrapeTick(
      deps(),
      state,
      settings(['ok', 'hang', 'error', 'huge', 'garbage']),
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    // the T4 fixture holds two GPUs, both as gpu="0" on different hosts
    expect(summary).toMatchObject({ targets: 5, targetsUp: 2, writeError: undefined });
    const targets = new Map((await listTargets(handle.db)).map((t) => [t.node, t]));
    expect(targets.get('ok')).toMatchObject({ up: true, lastIssueCount: 0, consecutiveFailures: 0 });
    expect(targets.get('hang')).toMatchObject({ up: false, consecutiveFailures: 1 });
    expect(targets.get('hang')?.lastError).toMatch(/no complete answer within 500 ms/);
    expect(targets.get('error')?.lastError).toBe(`HTTP 500 from ${exporters.base}/error/metrics`);
    expect(targets.get('huge')?.lastError).toMatch(/exceeds 8388608 bytes/);
    expect(targets.get('garbage')).toMatchObject({ up: true });
    expect(targets.get('garbage')?.lastIssueCount).toBeGreaterThan(0);
    expect(targets.get('garbage')?.lastError).toMatch(/line \d+/);

    const gpus = await queryRows<{ uuid: string; node: string; model: string; driver_version: string }>(
      handle.db,
      sql`select g.uuid, n.name as node, g.model, g.driver_version from gpus g join nodes n on n.id = g.node_id where n.name = 'ok' order by uuid`,
    );
    expect(gpus).toEqual([
      {
        uuid: 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e',
        node: 'ok',
        model: 'Tesla T4',
        driver_version: '460.106.00',
      },
      {
        uuid: 'GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5',
        node: 'ok',
        model: 'Tesla T4',
        driver_version: '470.182.03',
      },
    ]);
    const [row] = await queryRows<{
      power_mean_watts: number;
      memory_used_max_bytes: number;
      activity_source: string;
    }>(
      handle.db,
      sql`select r.* from gpu_rollups r join gpus g on g.id = r.gpu_id where g.uuid = 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e'`,
    );
    expect(row).toMatchObject({
      power_mean_watts: 8.969,
      memory_used_max_bytes: 0,
      activity_source: 'gpu_util',
    });

    const text = await registry.metrics();
    expect(text).toMatch(/gpuscope_collector_scrape_errors_total\{source="dcgm",reason="timeout"\} 1/);
    expect(text).toMatch(/gpuscope_collector_scrape_errors_total\{source="dcgm",reason="too_large"\} 1/);
    expect(text).toMatch(/gpuscope_collector_scrape_errors_total\{source="dcgm",reason="http_status"\} 1/);
    expect(text).toMatch(/gpuscope_collector_targets_up\{source="dcgm"\} 2/);
  });

  it('buffers rollups while the database fails and writes each exactly once when it returns', async () => {
    let failing = true;
    const flaky = new Proxy(handle.db, {
      get(target, prop, receiver) {
        if (failing && (prop === 'transaction' || prop === 'insert')) {
          return () => Promise.reject(new Error('connection terminated unexpectedly'));
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as Db;
    const state = new DcgmCollectorState();
    const flakyDeps = { ...deps(), db: flaky };
    const s = settings(['ok']);
    s.targets = [{ url: `${exporters.base}/ok/metrics`, node: 'flaky' }];
    for (let i = 0; i < 8; i++) {
      clock.set(t0 + 3_600_000 + i * 15_000);
      const summary = await runDcgmScrapeTick(flakyDeps, state, s);
      expect(summary.writeError).toBe('connection terminated unexpectedly');
    }
    expect(state.accumulator.bufferedBuckets()).toBe(4);
    failing = false;
    clock.set(t0 + 3_600_000 + 8 * 15_000);
    const back = await runDcgmScrapeTick(flakyDeps, state, s);
    expect(back.writeError).toBeUndefined();
    const rows = await queryRows<{ bucket: string; sample_count: number }>(
      handle.db,
      sql`select r.bucket::text, r.sample_count from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
          where n.name = 'flaky' and g.uuid = 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e' order by r.bucket`,
    );
    expect(rows.map((r) => r.sample_count)).toEqual([4, 4, 1]);
    expect(await registry.metrics()).toMatch(/gpuscope_store_write_failures_total \d+/);
  });
});
