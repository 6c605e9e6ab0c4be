import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role, type RunningService, startService } from '../../bin/start-service.js';
import { Config } from '../../core/config.js';
import { queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { isInShard, type Shard } from '../../core/shard.js';
import { createFleet, type SimServer, startSimServer } from '../../sim/index.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

/**
 * Two collectors (shards 0/2 and 1/2) and two analyzers against one PostgreSQL, on real timers: every target is
 * scraped by exactly one collector once per cycle, and the analysis runs in one analyzer only until it stops.
 */
const NODES = 8;

/** A proxy in front of the simulator that records which target was fetched when. */
function startCountingProxy(
  upstream: string,
): Promise<{ server: Server; url: string; hits: { path: string; at: number }[] }> {
  const hits: { path: string; at: number }[] = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    hits.push({ path: req.url ?? '', at: Date.now() });
    const out = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }),
    ),
  );
}

async function metricValue(service: RunningService, name: string, labels: Record<string, string>) {
  const metric = (await service.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return Number(match?.value ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!postgresAvailable())('scale-out: sharded collectors and a leader-elected analyzer', () => {
  let pgServer: TestPostgres;
  let sim: SimServer;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  const services: RunningService[] = [];
  let collectors: RunningService[];
  let analyzers: RunningService[];
  let targets: { node: string; url: string }[];
  const hitsOf = (url: string) => proxy.hits.filter((h) => h.path === new URL(url).pathname).length;

  beforeAll(async () => {
    pgServer = await startTestPostgres();
    const url = await pgServer.createDatabase('scale_out');
    const fleet = createFleet({ seed: 11, nodeCount: NODES, startMs: Date.now() - 3_600_000 });
    sim = await startSimServer({ fleet });
    proxy = await startCountingProxy(sim.baseUrl);
    targets = sim.targets.map((t) => ({ node: t.node, url: t.url.replace(sim.baseUrl, proxy.url) }));
    const config = Config.parse({
      cluster: 'scale',
      server: { listen: '127.0.0.1:0' },
      database: { url },
      collectors: { dcgm: { targets, intervalSeconds: 3600, timeoutSeconds: 1, nvlink: false } },
      analyzer: { intervalMinutes: 0.02 },
    });
    const log = createSilentLogger();
    const start = async (role: Role, shard?: Shard) => {
      const s = await startService({ config, log, role, ...(shard ? { shard } : {}) });
      services.push(s);
      return s;
    };
    // started together, as replicas are: the migration lock lets one migrate while the others wait
    collectors = await Promise.all([
      start('collector', { index: 0, count: 2 }),
      start('collector', { index: 1, count: 2 }),
    ]);
    analyzers = await Promise.all([start('analyzer'), start('analyzer')]);
  }, 120_000);

  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await sim?.close();
    proxy?.server.close();
    pgServer?.destroy();
  });

  it('scrapes every target in exactly one shard, once per cycle', async () => {
    // the collectors' timers are an hour apart: each cycle is every collector ticking once, by hand
    const cycle = () => Promise.all(collectors.flatMap((c) => c.tickers.map((t) => t.runNow())));
    await cycle();
    const before = new Map(targets.map((t) => [t.url, hitsOf(t.url)]));
    const CYCLES = 4;
    for (let i = 0; i < CYCLES; i++) await cycle();
    for (const t of targets) expect(hitsOf(t.url) - (before.get(t.url) ?? 0), t.node).toBe(CYCLES);
    const shards = targets.map((t) => (isInShard(t.url, { index: 0, count: 2 }) ? 0 : 1));
    expect(new Set(shards).size).toBe(2);
    expect(collectors.map((c) => c.tickers.length)).toEqual([1, 1]);
  }, 60_000);

  it('runs the analysis in one analyzer only, and the other takes over when it stops', async () => {
    await sleep(3_000);
    const ran = await Promise.all(
      analyzers.map((a) =>
        metricValue(a, 'gpuscope_leader_gated_runs_total', { job: 'analyzer', outcome: 'ran' }),
      ),
    );
    const leaders = await Promise.all(
      analyzers.map((a) => metricValue(a, 'gpuscope_leader', { name: 'analyzer' })),
    );
    expect(leaders.sort()).toEqual([0, 1]);
    const leader = ran[0]! > 0 ? 0 : 1;
    expect(ran[leader]).toBeGreaterThan(0);
    expect(ran[1 - leader]).toBe(0);
    expect(
      await metricValue(analyzers[1 - leader]!, 'gpuscope_leader_gated_runs_total', {
        job: 'analyzer',
        outcome: 'skipped',
      }),
    ).toBeGreaterThan(0);

    await analyzers[leader]!.stop();
    services.splice(services.indexOf(analyzers[leader]!), 1);
    await sleep(3_500);
    const follower = analyzers[1 - leader]!;
    expect(await metricValue(follower, 'gpuscope_leader', { name: 'analyzer' })).toBe(1);
    expect(
      await metricValue(follower, 'gpuscope_leader_gated_runs_total', { job: 'analyzer', outcome: 'ran' }),
    ).toBeGreaterThan(0);
  }, 30_000);

  it('serves the API from every role, reading what the others wrote', async () => {
    const res = await fetch(`${collectors[0]!.url}/readyz`);
    expect(res.status).toBe(200);
    // both shards' targets are in the one database (the simulator's hanging exporter among them, down)
    const stored = await queryRows<{ n: number }>(
      collectors[1]!.db.db,
      sql`select count(*)::int as n from collector_targets where kind = 'dcgm'`,
    );
    expect(stored[0]?.n).toBe(NODES);
  });
});
