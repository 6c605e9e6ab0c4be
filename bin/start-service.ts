import { hostname as hostName } from 'node:os';
import { serve } from '@hono/node-server';
import type { Registry } from 'prom-client';
import { createCostMetrics } from '../analyzer/cost/cost-metrics.js';
import type { CostDeps } from '../analyzer/cost/create-cost-deps.js';
import { createCostDeps } from '../analyzer/cost/create-cost-deps.js';
import {
  AllocationState,
  allocationOptionsFromConfig,
  runAllocationTick,
} from '../analyzer/cost/run-allocation-tick.js';
import { createAnalyzerMetrics } from '../analyzer/findings/analyzer-metrics.js';
import { analyzerInputsFromConfig, runAnalyzerPass } from '../analyzer/findings/run-analyzer-pass.js';
import { createApp } from '../api/app.js';
import { createAwsClients } from '../collector/aws/clients.js';
import { buildPriceBookRows } from '../collector/aws/price-book.js';
import { upsertPrices } from '../collector/aws/queries.js';
import { AwsPricesState, runAwsPricesTick } from '../collector/aws/run-aws-prices-tick.js';
import { BillingImportState, runBillingImportTick } from '../collector/billing/run-billing-import-tick.js';
import { createNvlinkSink } from '../collector/dcgm/nvlink-sink.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../collector/dcgm/run-dcgm-scrape-tick.js';
import { createFabricMetrics, type FabricMetrics } from '../collector/fabric/metrics.js';
import {
  FabricCollectorState,
  flushLinkRollups,
  runFabricTick,
} from '../collector/fabric/run-fabric-tick.js';
import { createJobMetrics } from '../collector/jobs/metrics.js';
import { AttributionState, runAttributionTick } from '../collector/jobs/run-attribution-tick.js';
import { type JobReader, JobReadersState, runJobsTick } from '../collector/jobs/run-jobs-tick.js';
import { createCollectorMetrics } from '../collector/metrics.js';
import { listNodeNames, upsertTargetStatuses } from '../collector/queries.js';
import { runMaintenanceTick } from '../collector/run-maintenance-tick.js';
import { createSlurmReader } from '../collector/slurm/create-slurm-reader.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../core/db.js';
import { collectGarbage } from '../core/gc.js';
import type { Logger } from '../core/log.js';
import { createRegistry, getTracer } from '../core/telemetry.js';
import { createTickerMetrics, startTicker, type Ticker, type TickerMetrics } from '../core/ticker.js';

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
  const costs = createCostDeps(db.db, config, registry);
  const tickers: Ticker[] = [];
  /** Things with connections of their own (the Kubernetes watch) to end after the tickers stop. */
  const closers: (() => Promise<void>)[] = [];

  if (role === 'all' || role === 'collector') {
    const metrics = createCollectorMetrics(registry);
    const deps = { db: db.db, clock, log, tracer, metrics };
    const fabric = new FabricCollectorState();
    const fabricMetrics = createFabricMetrics(registry);
    const dcgm = config.collectors.dcgm;
    const nvlink = dcgm?.enabled === true && dcgm.nvlink && dcgm.targets.length > 0;
    if (dcgm?.enabled && dcgm.targets.length > 0) {
      const state = new DcgmCollectorState(nvlink ? createNvlinkSink(fabric, fabricMetrics) : undefined);
      const settings = { cluster: config.cluster, ...dcgm };
      tickers.push(
        startTicker({
          job: 'dcgm_scrape',
          intervalMs: dcgm.intervalSeconds * 1000,
          run: async () => {
            const summary = await runDcgmScrapeTick(deps, state, settings);
            metrics.gcSeconds.observe(collectGarbage());
            return summary;
          },
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
    const ctx = { config, log, clock, db: db.db, registry, tickerMetrics, closers, costs };
    tickers.push(
      ...(await startJobAndFabricTickers({
        ...ctx,
        fabric: {
          state: fabric,
          metrics: fabricMetrics,
          nvlinkIntervalMs: nvlink ? (dcgm?.intervalSeconds ?? 15) * 1000 : null,
        },
      })),
      ...(await startCostTickers(ctx)),
    );
    const analyzerMetrics = createAnalyzerMetrics(registry);
    let lastSlowPass = Number.NEGATIVE_INFINITY;
    const analyzerInputs = analyzerInputsFromConfig(config);
    tickers.push(
      startTicker({
        job: 'analyzer',
        intervalMs: config.analyzer.intervalMinutes * 60_000,
        run: () => {
          const now = clock.now();
          const slow = now - lastSlowPass >= config.analyzer.slowIntervalMinutes * 60_000;
          if (slow) lastSlowPass = now;
          return runAnalyzerPass(
            {
              db: db.db,
              cluster: config.cluster,
              config: config.analyzer,
              metrics: analyzerMetrics,
              ...analyzerInputs,
            },
            new Date(now),
            { slow },
          );
        },
        log,
        metrics: tickerMetrics,
      }),
    );
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
    costs,
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
      for (const close of closers) await close();
      await db.close();
    },
  };
}

/** Scheduler readers, GPU-minute attribution and the InfiniBand fabric, each on its own ticker. */
async function startJobAndFabricTickers(ctx: {
  config: Config;
  log: Logger;
  clock: Clock;
  db: DbHandle['db'];
  registry: Registry;
  tickerMetrics: TickerMetrics;
  closers: (() => Promise<void>)[];
  fabric: { state: FabricCollectorState; metrics: FabricMetrics; nvlinkIntervalMs: number | null };
}): Promise<Ticker[]> {
  const { config, log, clock, db, registry, tickerMetrics, fabric } = ctx;
  const tickers: Ticker[] = [];
  const start = (job: string, intervalMs: number, run: () => Promise<unknown>) =>
    tickers.push(startTicker({ job, intervalMs, run, log, metrics: tickerMetrics }));

  const jobMetrics = createJobMetrics(registry);
  const readers: JobReader[] = [];
  const slurm = config.collectors.slurm;
  if (slurm?.enabled) readers.push(createSlurmReader(slurm, { defaultCluster: config.cluster }));
  const kubernetes = config.collectors.kubernetes;
  if (kubernetes?.enabled) {
    const { createKubernetesReader } = await import('../collector/kubernetes/create-kubernetes-reader.js');
    const reader = await createKubernetesReader(kubernetes, { cluster: config.cluster, log });
    readers.push(reader);
    ctx.closers.push(() => reader.stop());
  }
  if (readers.length > 0) {
    const state = new JobReadersState();
    const deps = { db, clock, log, metrics: jobMetrics };
    start('jobs_read', (slurm?.intervalSeconds ?? 60) * 1000, () => runJobsTick(deps, state, readers));
    log.info({ readers: readers.map((r) => r.target) }, 'job readers started');
  }
  // attribution also runs without readers: exporter labels alone mark minutes owned or unattributed
  const attribution = new AttributionState();
  start('attribution', 60_000, () => runAttributionTick({ db, clock, metrics: jobMetrics }, attribution));

  const infiniband = config.collectors.infiniband;
  if (infiniband?.enabled && (infiniband.sysfsRoot !== undefined || infiniband.targets.length > 0)) {
    const deps = { db, clock, log, metrics: fabric.metrics };
    const settings = { ...infiniband, cluster: config.cluster, node: infiniband.node ?? hostName() };
    start('fabric', infiniband.intervalSeconds * 1000, () => runFabricTick(deps, fabric.state, settings));
    log.info(
      { targets: infiniband.targets.length, sysfsRoot: infiniband.sysfsRoot },
      'fabric collector started',
    );
  } else if (fabric.nvlinkIntervalMs !== null) {
    // no InfiniBand tick to write the NVLink minutes the DCGM scrapes collect: write them on their own
    start('links_write', fabric.nvlinkIntervalMs, () =>
      flushLinkRollups({ db, log }, fabric.state, config.cluster, clock.now()),
    );
  }
  return tickers;
}

interface CostTickerContext {
  config: Config;
  log: Logger;
  clock: Clock;
  db: DbHandle['db'];
  registry: Registry;
  tickerMetrics: TickerMetrics;
  costs: CostDeps;
}

/**
 * Prices (AWS, or the price book alone), the billing folder import when `billing.importDir` is set, the cost
 * allocation of closed hours, and the budgets (their gauges refresh on each pass).
 */
async function startCostTickers(ctx: CostTickerContext): Promise<Ticker[]> {
  const { config, log, clock, db, tickerMetrics } = ctx;
  const tickers: Ticker[] = [];
  const aws = await startAwsPricesTicker(ctx);
  if (aws) tickers.push(aws);
  if (config.billing.importDir) {
    const billing = new BillingImportState();
    const run = () => runBillingImportTick({ db, clock, log }, billing, config.billing);
    const intervalMs = config.billing.intervalMinutes * 60_000;
    tickers.push(startTicker({ job: 'billing_import', intervalMs, run, log, metrics: tickerMetrics }));
  }
  const allocation = new AllocationState();
  const allocationDeps = {
    db,
    clock,
    log,
    metrics: createCostMetrics(ctx.registry),
    backfillDays: config.retention.minuteRollupDays,
    options: allocationOptionsFromConfig(config),
  };
  tickers.push(
    startTicker({
      job: 'cost_allocation',
      intervalMs: config.costs.intervalMinutes * 60_000,
      run: () => runAllocationTick(allocationDeps, allocation),
      log,
      metrics: tickerMetrics,
    }),
  );
  if (config.budgets.length > 0) {
    tickers.push(
      startTicker({
        job: 'budgets',
        intervalMs: config.costs.intervalMinutes * 60_000,
        run: async () => ({ budgets: (await ctx.costs.budgetStatuses(new Date(clock.now()))).length }),
        log,
        metrics: tickerMetrics,
      }),
    );
  }
  return tickers;
}

/** AWS prices, instance facts and inventory on a ticker when configured; the price book is written either way. */
async function startAwsPricesTicker(ctx: CostTickerContext): Promise<Ticker | null> {
  const { config, log, clock, db, tickerMetrics } = ctx;
  const aws = config.collectors.aws;
  if (!aws?.enabled) {
    // the AWS tick writes the price book each pass; without it, once at start
    const now = new Date(clock.now());
    await upsertPrices(db, buildPriceBookRows(config.priceBook, now), now);
    return null;
  }
  const deps = {
    db,
    clock,
    log,
    clients: createAwsClients(aws),
    config: aws,
    priceBook: config.priceBook,
    listNodes: () => listNodeNames(db, config.cluster),
  };
  const state = new AwsPricesState();
  const target = `aws://${aws.regions.join(',')}`;
  let lastSuccessAt: Date | null = null;
  let failures = 0;
  const run = async () => {
    const started = performance.now();
    const summary = await runAwsPricesTick(deps, state);
    const now = new Date(clock.now());
    const up = summary.errors.length === 0;
    failures = up ? 0 : failures + 1;
    if (up) lastSuccessAt = now;
    await upsertTargetStatuses(db, [
      {
        kind: 'aws',
        url: target,
        node: null,
        up,
        lastAttemptAt: now,
        lastSuccessAt,
        lastError: up ? null : summary.errors.join('; ').slice(0, 2000),
        lastDurationSeconds: (performance.now() - started) / 1000,
        lastSampleCount: summary.pricesWritten + summary.pricesUnchanged,
        lastIssueCount: summary.issues.length + summary.unpriced.length,
        consecutiveFailures: failures,
      },
    ]);
    return summary;
  };
  log.info({ regions: aws.regions, pricingRegion: aws.pricingRegion }, 'aws prices started');
  const intervalMs = aws.inventoryIntervalSeconds * 1000;
  return startTicker({ job: 'aws_prices', intervalMs, run, log, metrics: tickerMetrics });
}
