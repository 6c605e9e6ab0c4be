import { sql } from 'drizzle-orm';
import { loadSpotAdvisorFile } from '../../collector/aws/load-spot-advisor.js';
import type { AnalyzerConfig, BudgetConfig, Config } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { AnalyzerMetrics } from './analyzer-metrics.js';
import { applyDetections, type Detection } from './apply-detections.js';
import { BOTTLENECK_KINDS, detectBottlenecks } from './detect-bottlenecks.js';
import { BUDGET_KINDS, detectBudgetRisk } from './detect-budget-risk.js';
import { DATA_QUALITY_KINDS, detectDataQuality } from './detect-data-quality.js';
import { DRIFT_KINDS, detectDrift } from './detect-drift.js';
import { detectGpuHealth, HEALTH_KINDS } from './detect-gpu-health.js';
import { detectIdleGpus, IDLE_KINDS } from './detect-idle-gpus.js';
import { detectLinkFaults, LINK_KINDS } from './detect-link-faults.js';
import { detectPoolCapacity, POOL_KINDS } from './detect-pool-capacity.js';
import { detectRightSizing, RIGHT_SIZING_KINDS, type RightSizingOptions } from './detect-right-sizing.js';

/**
 * One analyzer pass as of `at` (the clock is the caller's, so `gpuscope analyze --at` over backfilled history is
 * deterministic): every detector, then the findings lifecycle, then the gauges. The look-back detectors (drift over
 * days and weeks, right-sizing over a week) run when `slow` is true — by default every pass; `serve` runs them every
 * `analyzer.slowIntervalMinutes`. Their findings stay as they were on the passes that skip them.
 */
export async function runAnalyzerPass(
  deps: {
    db: Db;
    cluster: string;
    config: AnalyzerConfig;
    metrics: AnalyzerMetrics;
    /** By collector target kind, to tell a scrape about to time out. */
    scrapeTimeoutSeconds?: Readonly<Record<string, number>>;
    rightSizing?: RightSizingOptions;
    /** The configured budgets, for spend against budget. */
    budgets?: readonly BudgetConfig[];
  },
  at: Date,
  options: { slow?: boolean } = {},
) {
  const { db, cluster, metrics, config } = deps;
  const slow = options.slow ?? true;
  // one after another: each aggregates in SQL, and on a small machine they would only compete for the same cores
  const runs: { kinds: readonly string[]; detections: Detection[] }[] = [];
  const idle = await detectIdleGpus(db, cluster, at, config.idle, config.dataQuality);
  runs.push({ kinds: IDLE_KINDS, detections: idle.detections });
  const bottlenecks = await detectBottlenecks(db, cluster, at, config.bottleneck);
  runs.push({ kinds: BOTTLENECK_KINDS, detections: bottlenecks.detections });
  runs.push({ kinds: LINK_KINDS, ...(await detectLinkFaults(db, cluster, at, config.links)) });
  runs.push({ kinds: HEALTH_KINDS, ...(await detectGpuHealth(db, cluster, at, config.health)) });
  runs.push({
    kinds: DATA_QUALITY_KINDS,
    ...(await detectDataQuality(db, cluster, at, config.dataQuality, deps.scrapeTimeoutSeconds)),
  });
  runs.push({ kinds: POOL_KINDS, ...(await detectPoolCapacity(db, cluster, at, config.capacity)) });
  runs.push({ kinds: BUDGET_KINDS, ...(await detectBudgetRisk(db, cluster, at, deps.budgets ?? [])) });
  if (slow) {
    runs.push({ kinds: DRIFT_KINDS, ...(await detectDrift(db, cluster, at, config.drift)) });
    runs.push({
      kinds: RIGHT_SIZING_KINDS,
      ...(await detectRightSizing(db, cluster, at, config.rightSizing, {
        ...deps.rightSizing,
        trust: config.dataQuality,
      })),
    });
  }
  const applied = await applyDetections(db, {
    cluster,
    at,
    kinds: runs.flatMap((r) => r.kinds),
    detections: runs.flatMap((r) => r.detections),
  });

  metrics.idleGpus.reset();
  for (const kind of IDLE_KINDS) {
    metrics.idleGpus.set(
      { cluster, kind: kind.replace(/^idle_gpu_/, '') },
      idle.detections.filter((d) => d.kind === kind).length,
    );
  }
  metrics.suspectGpus.set({ cluster }, idle.suspect);
  const open = await queryRows<{ kind: string; severity: string; n: number }>(
    db,
    sql`select kind, severity, count(*)::int as n from findings
      where cluster = ${cluster} and status <> 'resolved' group by 1, 2`,
  );
  metrics.findings.reset();
  for (const o of open) metrics.findings.set({ cluster, kind: o.kind, severity: o.severity }, o.n);
  await setTeamGauges(db, cluster, at, config.idle.windowMinutes, metrics);
  metrics.lastPass.set({ cluster }, at.getTime() / 1000);
  return {
    at: at.toISOString(),
    judgedGpus: idle.judged,
    suspectGpus: idle.suspect,
    classifiedGpus: bottlenecks.classified,
    slowDetectors: slow,
    ...applied,
  };
}

/** What a pass needs from the whole config beyond `analyzer`: scrape timeouts, budgets, the spot advisor feed. */
export function analyzerInputsFromConfig(config: Config) {
  const aws = config.collectors.aws;
  return {
    scrapeTimeoutSeconds: scrapeTimeoutsFromConfig(config.collectors),
    budgets: config.budgets,
    rightSizing: {
      spotInterruption: aws?.spotAdvisorFile
        ? loadSpotAdvisorFile(aws.spotAdvisorFile, aws.regions)
        : undefined,
    },
  };
}

/** Each collector's scrape timeout by the kind its targets are stored under. */
export function scrapeTimeoutsFromConfig(collectors: Config['collectors']): Record<string, number> {
  const out: Record<string, number> = {};
  if (collectors.dcgm) out['dcgm'] = collectors.dcgm.timeoutSeconds;
  if (collectors.infiniband) {
    out['infiniband'] = collectors.infiniband.timeoutSeconds;
    out['node_exporter'] = collectors.infiniband.timeoutSeconds;
  }
  if (collectors.slurm) out['slurm'] = collectors.slurm.timeoutSeconds;
  return out;
}

/** Efficiency and waste by team: what a team's GPUs did, and what its open findings cost per month. */
async function setTeamGauges(
  db: Db,
  cluster: string,
  at: Date,
  windowMinutes: number,
  metrics: AnalyzerMetrics,
) {
  const from = new Date(at.getTime() - windowMinutes * 60_000);
  const efficiency = await queryRows<{ team: string; activity: number | null; minutes: number }>(
    db,
    sql`select coalesce(j.team, '') as team, avg(r.activity_mean) as activity, count(*)::int as minutes
      from gpu_rollups r join jobs j on j.id = r.job_ref
      where j.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${at}
      group by 1`,
  );
  metrics.teamEfficiency.reset();
  metrics.teamHeldGpuHours.reset();
  for (const e of efficiency) {
    if (e.activity !== null) {
      metrics.teamEfficiency.set({ cluster, team: e.team }, Math.round(Number(e.activity) * 1e4) / 1e4);
    }
    metrics.teamHeldGpuHours.set({ cluster, team: e.team }, e.minutes / 60);
  }
  const waste = await queryRows<{ team: string; family: string; usd: number }>(
    db,
    sql`select coalesce(evidence->'values'->>'team', '') as team,
        case when kind like 'idle_gpu_%' then 'idle' when kind like 'bottleneck_%' or kind = 'straggler' then 'bottleneck'
          else 'right_size' end as family,
        sum(impact_monthly_usd)::float8 as usd
      from findings
      where cluster = ${cluster} and status <> 'resolved' and impact_monthly_usd is not null
        and (kind like 'idle_gpu_%' or kind like 'bottleneck_%' or kind = 'straggler' or kind like 'right_size_%')
      group by 1, 2`,
  );
  metrics.teamWaste.reset();
  for (const w of waste) metrics.teamWaste.set({ cluster, team: w.team, family: w.family }, w.usd);
}
