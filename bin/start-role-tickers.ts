import { hostname as hostName } from 'node:os';
import type { Tracer } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import { runSpotEventTick } from '../analyzer/actions/handle-spot-events.js';
import { deleteExpiredApiAudit } from '../analyzer/actions/queries.js';
import { createCostMetrics } from '../analyzer/cost/cost-metrics.js';
import type { CostDeps } from '../analyzer/cost/create-cost-deps.js';
import {
  AllocationState,
  allocationOptionsFromConfig,
  runAllocationTick,
} from '../analyzer/cost/run-allocation-tick.js';
import { createAnalyzerMetrics } from '../analyzer/findings/analyzer-metrics.js';
import { analyzerInputsFromConfig, runAnalyzerPass } from '../analyzer/findings/run-analyzer-pass.js';
import { deleteExpiredWebhookEvents } from '../analyzer/webhooks/queries.js';
import { createAwsClients } from '../collector/aws/clients.js';
import { buildPriceBookRows } from '../collector/aws/price-book.js';
import { upsertPrices } from '../collector/aws/queries.js';
import { AwsPricesState, runAwsPricesTick } from '../collector/aws/run-aws-prices-tick.js';
import { BillingImportState, runBillingImportTick } from '../collector/billing/run-billing-import-tick.js';
import { createNvlinkSink } from '../collector/dcgm/nvlink-sink.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../collector/dcgm/run-dcgm-scrape-tick.js';
import { createFabricMetrics } from '../collector/fabric/metrics.js';
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
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db.js';
import { collectGarbage } from '../core/gc.js';
import type { LeaderElection } from '../core/leader-election.js';
import type { Logger } from '../core/log.js';
import { isInShard, type Shard } from '../core/shard.js';
import { startTicker, type Ticker, type TickerMetrics } from '../core/ticker.js';
import type { ActionWiring } from './create-action-wiring.js';

export interface RoleContext {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Db;
  registry: Registry;
  tracer: Tracer;
  tickerMetrics: TickerMetrics;
  /** Things with connections of their own (the Kubernetes watch, the leader lock) to end after the tickers stop. */
  closers: (() => Promise<void>)[];
  costs: CostDeps;
}

type Run = () => Promise<unknown>;
/** Wraps work that must happen once per cluster: it runs only while this process leads. */
export type LeaderGate = (job: string, run: Run) => Run;

export function createLeaderGate(election: LeaderElection, registry: Registry): LeaderGate {
  const runs = new Counter({
    name: 'gpuscope_leader_gated_runs_total',
    help: 'Ticks of leader-only work, by job and whether this process ran them (ran) or left them to the leader (skipped).',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  return (job, run) => async () => {
    if (!(await election.ensureLeader())) {
      runs.inc({ job, outcome: 'skipped' });
      return { skipped: 'not the leader' };
    }
    runs.inc({ job, outcome: 'ran' });
    return run();
  };
}

/**
 * The collector role: DCGM scrapes and InfiniBand targets of this shard (hash of the target URL), the NVLink
 * minutes those scrapes carry, and the Prometheus source on shard 0 (one TSDB, read once).
 */
export async function startCollectorTickers(ctx: RoleContext & { shard: Shard }): Promise<Ticker[]> {
  const { config, log, clock, db, registry, tickerMetrics, tracer, shard } = ctx;
  const tickers: Ticker[] = [];
  const start = (job: string, intervalMs: number, run: Run) =>
    tickers.push(startTicker({ job, intervalMs, run, log, metrics: tickerMetrics }));
  const metrics = createCollectorMetrics(registry);
  const deps = { db, clock, log, tracer, metrics };
  const fabric = new FabricCollectorState();
  const fabricMetrics = createFabricMetrics(registry);
  const dcgm = config.collectors.dcgm;
  const dcgmTargets = dcgm?.enabled ? dcgm.targets.filter((t) => isInShard(t.url, shard)) : [];
  const nvlink = dcgm?.enabled === true && dcgm.nvlink && dcgmTargets.length > 0;
  if (dcgm?.enabled && dcgmTargets.length > 0) {
    const state = new DcgmCollectorState(nvlink ? createNvlinkSink(fabric, fabricMetrics) : undefined);
    const settings = { cluster: config.cluster, ...dcgm, targets: dcgmTargets };
    start('dcgm_scrape', dcgm.intervalSeconds * 1000, async () => {
      const summary = await runDcgmScrapeTick(deps, state, settings);
      metrics.gcSeconds.observe(collectGarbage());
      return summary;
    });
    log.info(
      { targets: dcgmTargets.length, of: dcgm.targets.length, shard, intervalSeconds: dcgm.intervalSeconds },
      'dcgm collector started',
    );
  }
  const prometheus = config.collectors.prometheus;
  if (prometheus && shard.index === 0) {
    const { createPrometheusCollector } = await import('../collector/prometheus/run-prometheus-tick.js');
    const collector = createPrometheusCollector(deps, { cluster: config.cluster, prometheus });
    start('prometheus_query', prometheus.intervalSeconds * 1000, () => collector.runTick());
    log.info({ url: prometheus.url }, 'prometheus source started');
  }
  const infiniband = config.collectors.infiniband;
  const ibTargets = infiniband?.targets.filter((t) => isInShard(t.url, shard)) ?? [];
  if (infiniband?.enabled && (infiniband.sysfsRoot !== undefined || ibTargets.length > 0)) {
    const fabricDeps = { db, clock, log, metrics: fabricMetrics };
    const settings = {
      ...infiniband,
      targets: ibTargets,
      cluster: config.cluster,
      node: infiniband.node ?? hostName(),
    };
    start('fabric', infiniband.intervalSeconds * 1000, () => runFabricTick(fabricDeps, fabric, settings));
    log.info({ targets: ibTargets.length, sysfsRoot: infiniband.sysfsRoot }, 'fabric collector started');
  } else if (nvlink) {
    // no InfiniBand tick to write the NVLink minutes the DCGM scrapes collect: write them on their own
    start('links_write', (dcgm?.intervalSeconds ?? 15) * 1000, () =>
      flushLinkRollups({ db, log }, fabric, config.cluster, clock.now()),
    );
  }
  return tickers;
}

/**
 * The analyzer role: work done once per cluster, each tick run only by the leader — scheduler readers and
 * attribution, prices, billing import, cost allocation and budgets, the analyzer pass, the action engine, spot
 * events stored by API replicas, and maintenance.
 */
export async function startAnalyzerTickers(
  ctx: RoleContext & { leaderOnly: LeaderGate; actions: ActionWiring },
): Promise<Ticker[]> {
  const { config, log, clock, db, tickerMetrics, leaderOnly, actions } = ctx;
  const tickers: Ticker[] = [];
  const start = (job: string, intervalMs: number, run: Run, runAtStart?: boolean) =>
    tickers.push(
      startTicker({
        job,
        intervalMs,
        run: leaderOnly(job, run),
        log,
        metrics: tickerMetrics,
        ...(runAtStart === undefined ? {} : { runAtStart }),
      }),
    );
  await startJobTickers(ctx, start);
  await startCostTickers(ctx, start);
  const analyzerMetrics = createAnalyzerMetrics(ctx.registry);
  let lastSlowPass = Number.NEGATIVE_INFINITY;
  const analyzerInputs = analyzerInputsFromConfig(config);
  start('analyzer', config.analyzer.intervalMinutes * 60_000, () => {
    const now = clock.now();
    const slow = now - lastSlowPass >= config.analyzer.slowIntervalMinutes * 60_000;
    if (slow) lastSlowPass = now;
    return runAnalyzerPass(
      { db, cluster: config.cluster, config: config.analyzer, metrics: analyzerMetrics, ...analyzerInputs },
      new Date(now),
      { slow },
    );
  });
  start('actions', config.actions.intervalSeconds * 1000, () =>
    actions.engine.runTick(new Date(clock.now())),
  );
  const hook = actions.spotHook;
  if (hook) {
    // spot warnings give two minutes: events an API-only replica stored are picked up within seconds
    start('spot_events', 10_000, () => runSpotEventTick({ db, hook, log }, new Date(clock.now())));
  }
  start(
    'maintenance',
    300_000,
    async () => ({
      ...(await runMaintenanceTick({ db, clock }, config.retention)),
      apiAuditDeleted: await deleteExpiredApiAudit(
        db,
        new Date(clock.now() - config.retention.apiAuditDays * 86_400_000),
      ),
      webhookEventsDeleted: await deleteExpiredWebhookEvents(
        db,
        new Date(clock.now() - config.webhooks.retentionDays * 86_400_000),
      ),
    }),
    false,
  );
  return tickers;
}

type Start = (job: string, intervalMs: number, run: Run, runAtStart?: boolean) => void;

/** Scheduler readers and GPU-minute attribution. */
async function startJobTickers(ctx: RoleContext, start: Start): Promise<void> {
  const { config, log, clock, db, registry } = ctx;
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
}

/**
 * Prices (AWS, or the price book alone), the billing folder import when `billing.importDir` is set, the cost
 * allocation of closed hours, and the budgets (their gauges refresh on each pass).
 */
async function startCostTickers(ctx: RoleContext, start: Start): Promise<void> {
  const { config, log, clock, db } = ctx;
  await startAwsPricesTicker(ctx, start);
  if (config.billing.importDir) {
    const billing = new BillingImportState();
    const run = () => runBillingImportTick({ db, clock, log }, billing, config.billing);
    start('billing_import', config.billing.intervalMinutes * 60_000, run);
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
  start('cost_allocation', config.costs.intervalMinutes * 60_000, () =>
    runAllocationTick(allocationDeps, allocation),
  );
  if (config.budgets.length > 0) {
    start('budgets', config.costs.intervalMinutes * 60_000, async () => ({
      budgets: (await ctx.costs.budgetStatuses(new Date(clock.now()))).length,
    }));
  }
}

/** AWS prices, instance facts and inventory on a ticker when configured; the price book is written either way. */
async function startAwsPricesTicker(ctx: RoleContext, start: Start): Promise<void> {
  const { config, log, clock, db } = ctx;
  const aws = config.collectors.aws;
  if (!aws?.enabled) {
    // the AWS tick writes the price book each pass; without it, once at start (an idempotent upsert)
    const now = new Date(clock.now());
    await upsertPrices(db, buildPriceBookRows(config.priceBook, now), now);
    return;
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
  start('aws_prices', aws.inventoryIntervalSeconds * 1000, run);
}
