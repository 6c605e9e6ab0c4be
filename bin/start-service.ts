import { serve } from '@hono/node-server';
import type { Registry } from 'prom-client';
import { createApp } from '../api/app.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../collector/dcgm/run-dcgm-scrape-tick.js';
import { createCollectorMetrics } from '../collector/metrics.js';
import { runMaintenanceTick } from '../collector/run-maintenance-tick.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../core/db.js';
import type { Logger } from '../core/log.js';
import { createRegistry, getTracer } from '../core/telemetry.js';
import { createTickerMetrics, startTicker, type Ticker } from '../core/ticker.js';

export type Role = 'all' | 'collector' | 'api';

export interface RunningService {
  url: string;
  db: DbHandle;
  registry: Registry;
  tickers: Ticker[];
  stop(): Promise<void>;
}

function splitListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { hostname: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** Opens the store, runs migrations, starts the collectors for the role, and serves the API. */
export async function startService(options: {
  config: Config;
  log: Logger;
  role?: Role;
  clock?: Clock;
}): Promise<RunningService> {
  const { config, log } = options;
  const role = options.role ?? 'all';
  const clock = options.clock ?? systemClock;
  const db = await openDb({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolSize: config.database.poolSize,
    log,
  });
  log.info({ database: db.location }, 'database open');
  if (config.database.migrateOnStart) await db.migrate();
  const registry = createRegistry();
  const tracer = getTracer();
  const tickerMetrics = createTickerMetrics(registry);
  const tickers: Ticker[] = [];

  if (role === 'all' || role === 'collector') {
    const metrics = createCollectorMetrics(registry);
    const deps = { db: db.db, clock, log, tracer, metrics };
    const dcgm = config.collectors.dcgm;
    if (dcgm?.enabled && dcgm.targets.length > 0) {
      const state = new DcgmCollectorState();
      const settings = { cluster: config.cluster, ...dcgm };
      tickers.push(
        startTicker({
          job: 'dcgm_scrape',
          intervalMs: dcgm.intervalSeconds * 1000,
          run: () => runDcgmScrapeTick(deps, state, settings),
          log,
          metrics: tickerMetrics,
        }),
      );
      log.info(
        { targets: dcgm.targets.length, intervalSeconds: dcgm.intervalSeconds },
        'dcgm collector started',
      );
    }
    const prometheus = config.collectors.prometheus;
    if (prometheus) {
      const { createPrometheusCollector } = await import('../collector/prometheus/run-prometheus-tick.js');
      const collector = createPrometheusCollector(deps, { cluster: config.cluster, prometheus });
      tickers.push(
        startTicker({
          job: 'prometheus_query',
          intervalMs: prometheus.intervalSeconds * 1000,
          run: () => collector.runTick(),
          log,
          metrics: tickerMetrics,
        }),
      );
      log.info({ url: prometheus.url }, 'prometheus source started');
    }
    tickers.push(
      startTicker({
        job: 'maintenance',
        intervalMs: 300_000,
        run: () => runMaintenanceTick({ db: db.db, clock }, config.retention),
        log,
        metrics: tickerMetrics,
        runAtStart: false,
      }),
    );
  }

  const app = createApp({
    db: db.db,
    clock,
    registry,
    log,
    tracer,
    tokens: config.auth.tokens,
    isReady: () => checkReadiness(db.db),
  });
  const { hostname, port } = splitListen(config.server.listen);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${boundPort}`;
  log.info({ url, role }, 'api listening');

  return {
    url,
    db,
    registry,
    tickers,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const t of tickers) await t.stop();
      await db.close();
    },
  };
}
