import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimSources } from '../../bin/sim-sources.js';
import { type RunningService, startService } from '../../bin/start-service.js';
import { createNvlinkSink } from '../../collector/dcgm/nvlink-sink.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../../collector/dcgm/run-dcgm-scrape-tick.js';
import { createFabricMetrics } from '../../collector/fabric/metrics.js';
import { FabricCollectorState, runFabricTick } from '../../collector/fabric/run-fabric-tick.js';
import { createJobMetrics } from '../../collector/jobs/metrics.js';
import { AttributionState, runAttributionTick } from '../../collector/jobs/run-attribution-tick.js';
import { JobReadersState, runJobsTick } from '../../collector/jobs/run-jobs-tick.js';
import { createKubernetesReader } from '../../collector/kubernetes/create-kubernetes-reader.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { createSlurmReader } from '../../collector/slurm/create-slurm-reader.js';
import { type Config, parseConfig } from '../../core/config.js';
import { openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { createFleet, type Fleet, type SimServer, startSimServer } from '../../sim/index.js';

/**
 * The simulator and gpuscope as a Prometheus would find them in production: the fleet's dcgm-exporter and
 * node_exporter endpoints, and gpuscope's service (embedded PGlite in a temp dir) scraping them. Before the
 * service starts, the same collectors run over the last 35-65 minutes on a hand-moved clock (the simulator is
 * a pure function of time), so the cost allocation has a closed hour and the analyzer a full window at once.
 */
export interface SimStack {
  cluster: string;
  fleet: Fleet;
  sim: SimServer;
  service: RunningService;
  /** Prometheus `scrape_configs` for the exporters and gpuscope, labelled as the dashboards expect. */
  scrapeConfigs(intervalSeconds: number): object[];
  stop(): Promise<void>;
}

const minute = 60_000;
const hour = 60 * minute;
const warmStepMs = 30_000;

export async function startSimStack(options: {
  nodes: number;
  seed: number;
  cluster?: string;
}): Promise<SimStack> {
  const cluster = options.cluster ?? 'sim';
  const now = Date.now();
  // back far enough for one closed UTC hour with telemetry, and for the analyzer's 30-minute idle window
  const warmFrom = Math.min(now - 35 * minute, Math.floor(now / hour) * hour - 5 * minute);
  const fleet = createFleet({
    seed: options.seed,
    nodeCount: options.nodes,
    startMs: warmFrom - 10 * minute,
    nvlinkErrorCounters: true,
  });
  let simNow: number | null = warmFrom;
  const sim = await startSimServer({ fleet, clock: () => simNow ?? Date.now() });
  const dataDir = mkdtempSync(join(tmpdir(), 'gpuscope-dash-'));
  const config = buildConfig(cluster, fleet, sim, dataDir);
  const hanging = new Set(
    fleet
      .groundTruth()
      .scenarios.filter((s) => s.kind === 'exporter-hang')
      .map((s) => s.node),
  );
  await warmUp(config, sim, hanging, { fromMs: warmFrom, toMs: now, setSimNow: (t) => (simNow = t) });
  simNow = null;
  const service = await startService({ config, log: createSilentLogger() });
  return {
    cluster,
    fleet,
    sim,
    service,
    scrapeConfigs: (intervalSeconds) => buildScrapeConfigs(cluster, fleet, sim, service.url, intervalSeconds),
    stop: async () => {
      await service.stop();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function buildConfig(cluster: string, fleet: Fleet, sim: SimServer, dataDir: string): Config {
  return parseConfig({
    cluster,
    server: { listen: '127.0.0.1:0' },
    database: { dataDir },
    ...buildSimSources(fleet, sim, dataDir),
    costs: { intervalMinutes: 1 },
    analyzer: {
      intervalMinutes: 1,
      slowIntervalMinutes: 60,
      rightSizing: { lookbackDays: 1, minHours: 0.25 },
    },
    budgets: [
      { name: 'research-gpu', team: 'research', monthlyUsd: 25_000 },
      { name: 'all-ml', project: 'ml', monthlyUsd: 100_000 },
    ],
  });
}

/** DCGM, InfiniBand, Slurm and Kubernetes collection plus attribution over [fromMs, toMs) on a hand-moved clock. */
async function warmUp(
  config: Config,
  sim: SimServer,
  hanging: Set<string>,
  window: { fromMs: number; toMs: number; setSimNow(t: number): void },
) {
  let t = window.fromMs;
  const clock = { now: () => t };
  const log = createSilentLogger();
  const registry = createRegistry({ defaultMetrics: false });
  const handle = await openDb({ dataDir: config.database.dataDir, log });
  let stopReader = async () => {};
  try {
    await handle.migrate();
    const db = handle.db;
    const fabric = new FabricCollectorState();
    const fabricMetrics = createFabricMetrics(registry);
    const dcgm = new DcgmCollectorState(createNvlinkSink(fabric, fabricMetrics));
    const deps = { db, clock, log, tracer: getTracer(), metrics: createCollectorMetrics(registry) };
    const dcgmSettings = {
      cluster: config.cluster,
      targets: sim.targets.filter((target) => !hanging.has(target.node)),
      timeoutSeconds: 5,
      maxBodyBytes: 64 * 1024 * 1024,
      concurrency: 16,
    };
    const ib = config.collectors.infiniband!;
    const fabricSettings = { ...ib, cluster: config.cluster, node: 'unused' };
    const slurm = createSlurmReader(config.collectors.slurm!, { defaultCluster: config.cluster });
    const kubernetes = await createKubernetesReader(config.collectors.kubernetes!, {
      cluster: config.cluster,
      log,
    });
    stopReader = () => kubernetes.stop();
    const jobMetrics = createJobMetrics(registry);
    const readers = new JobReadersState();
    const attribution = new AttributionState();
    for (let tick = 0; t < window.toMs; tick++, t += warmStepMs) {
      window.setSimNow(t);
      await runDcgmScrapeTick(deps, dcgm, dcgmSettings);
      await runFabricTick({ db, clock, log, metrics: fabricMetrics }, fabric, fabricSettings);
      if (tick % 4 === 0)
        await runJobsTick({ db, clock, log, metrics: jobMetrics }, readers, [slurm, kubernetes]);
      if (tick % 4 === 2) await runAttributionTick({ db, clock, metrics: jobMetrics }, attribution);
    }
    await runAttributionTick({ db, clock, metrics: jobMetrics }, attribution);
  } finally {
    await stopReader();
    await handle.close();
  }
}

/**
 * How the dashboards expect Prometheus to label things: `cluster` and `node` target labels on dcgm-exporter
 * and node_exporter; gpuscope scraped with `honor_labels` so its own `cluster`/`node` labels win and the
 * target's `cluster` fills in where a series has none.
 */
function buildScrapeConfigs(
  cluster: string,
  fleet: Fleet,
  sim: SimServer,
  gpuscopeUrl: string,
  seconds: number,
) {
  const host = new URL(sim.baseUrl).host;
  const timing = {
    scrape_interval: `${seconds}s`,
    scrape_timeout: `${Math.max(1, Math.floor(seconds * 0.8))}s`,
  };
  const perNode = (path: string) =>
    fleet.nodes.map((n) => ({
      targets: [host],
      labels: { __metrics_path__: `/${n.name}/${path}`, cluster, node: n.name },
    }));
  return [
    { job_name: 'dcgm-exporter', ...timing, static_configs: perNode('metrics') },
    { job_name: 'node-exporter', ...timing, static_configs: perNode('node-exporter/metrics') },
    {
      job_name: 'gpuscope',
      ...timing,
      honor_labels: true,
      static_configs: [{ targets: [new URL(gpuscopeUrl).host], labels: { cluster } }],
    },
  ];
}
