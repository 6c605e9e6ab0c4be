import { sql } from 'drizzle-orm';
import { Config } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import { formatDecimal, numberToDecimal, parseDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import {
  fitLeastSquares,
  mean,
  predictionSe,
  sampleSd,
  testNewValueLower,
  testPoissonRateIncrease,
  testWelchLower,
  zScore,
} from './drift-statistics.js';

export const DRIFT_KINDS = ['drift_config', 'drift_job_efficiency', 'drift_spend', 'drift_health'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface DriftThresholds {
  /** Significance for every drift test (one-sided). */
  pValue: number;
  /** Config: only GPUs seen this recently count. */
  configSeenHours: number;
  /** Config: a pool needs this many nodes before a majority means anything. */
  configMinPoolNodes: number;
  /** Config: a node mixing MIG and whole GPUs is drift when this share of its pool shares one layout. */
  migLayoutShare: number;
  /** Jobs: the newest run of a series must have ended (or be running) within this many days. */
  jobLookbackDays: number;
  /** Jobs: how far back earlier runs are read (bounded by minute-rollup retention anyway). */
  jobHistoryDays: number;
  /** Jobs: earlier runs needed for a baseline, and the most used. */
  jobBaselineRuns: number;
  jobMaxBaselineRuns: number;
  /** Jobs: a run with fewer GPU-minutes of activity readings is not judged or used. */
  jobMinMinutes: number;
  /** Jobs: relative drop of efficiency against the baseline mean (0.2 = 20 %). */
  jobDropShare: number;
  /** Jobs: the baseline sd is held at this (activity ratio) or above. */
  jobSdFloor: number;
  /** Spend: complete days the trend is fitted over, and the fewest with data. */
  spendTrendDays: number;
  spendMinDays: number;
  spendZ: number;
  spendMinUsd: number;
  /** Spend: the residual sd is held at max(this, spendSdFloorShare × baseline mean) or above. */
  spendSdFloorUsd: number;
  spendSdFloorShare: number;
  healthRecentHours: number;
  /** Baseline window, ending where the recent window starts. */
  healthBaselineHours: number;
  healthMinEvents: number;
  healthRateRatio: number;
}

/** The shipped defaults (`analyzer.drift` in the config). */
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Config.parse({}).analyzer.drift;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const round = (v: number, places = 4) => Math.round(v * 10 ** places) / 10 ** places;
const sig = (v: number) => Number(v.toPrecision(3));

// ---------------------------------------------------------------- config drift

/** One node's GPUs, aggregated per physical GPU in SQL. */
export interface NodeConfig {
  node: string;
  model: string;
  gpus: number;
  /** Distinct driver versions of its GPUs joined by ' / '; '' when none is known. */
  driver: string;
  migGpus: number;
  /** Per GPU the sorted MIG profiles joined by '+' (or 'full'), the GPUs sorted and joined by ','. */
  layout: string;
}

export async function loadNodeConfigs(db: Db, cluster: string, seenFrom: Date): Promise<NodeConfig[]> {
  return queryRows<NodeConfig>(
    db,
    sql`with g as (
        select n.name as node, g.uuid, max(g.model) as model,
          coalesce(max(g.driver_version) filter (where g.gpu_instance_id is null), max(g.driver_version)) as driver,
          coalesce(string_agg(g.mig_profile, '+' order by g.mig_profile) filter (where g.mig_profile is not null), 'full') as layout
        from gpus g join nodes n on n.id = g.node_id
        where n.cluster = ${cluster} and g.last_seen_at >= ${seenFrom}
        group by n.name, g.uuid)
      select node, string_agg(distinct coalesce(model, 'unknown'), ' / ' order by coalesce(model, 'unknown')) as model,
        count(*)::int as gpus, coalesce(string_agg(distinct driver, ' / ' order by driver), '') as driver,
        (count(*) filter (where layout <> 'full'))::int as "migGpus", string_agg(layout, ',' order by layout) as layout
      from g group by node order by node`,
  );
}

/** The most common value and its share; ties go to the lexically first value, so verdicts are stable. */
function majorityOf(values: readonly string[]): { value: string; share: number } {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const [value, n] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
  return { value, share: values.length === 0 ? 0 : n / values.length };
}

export interface ConfigVerdict {
  subject: { type: 'node' | 'pool'; id: string };
  pool: string;
  reasons: string[];
  values: Record<string, number | string | null>;
}

/** Pools are nodes with the same GPU model and GPU count; a node against its pool's majority is drift. */
export function judgeConfigDrift(nodes: readonly NodeConfig[], t: DriftThresholds): ConfigVerdict[] {
  const pools = new Map<string, NodeConfig[]>();
  for (const n of nodes) {
    const key = `${n.model} x${n.gpus}`;
    pools.set(key, [...(pools.get(key) ?? []), n]);
  }
  const out: ConfigVerdict[] = [];
  for (const [pool, members] of pools) {
    if (members.length < t.configMinPoolNodes) continue;
    const known = members.filter((n) => n.driver !== '');
    const driver = majorityOf(known.map((n) => n.driver));
    const layout = majorityOf(members.map((n) => n.layout));
    if (known.length >= t.configMinPoolNodes && driver.share <= 0.5) {
      out.push({
        subject: { type: 'pool', id: pool },
        pool,
        reasons: [
          `no driver version holds a majority (${[...new Set(known.map((n) => n.driver))].join(', ')})`,
        ],
        values: { pool, poolNodes: members.length, majorityShare: round(driver.share), driverVersion: null },
      });
    }
    for (const n of members) {
      const reasons: string[] = [];
      const values: Record<string, number | string | null> = { pool, poolNodes: members.length };
      if (
        known.length >= t.configMinPoolNodes &&
        driver.share > 0.5 &&
        n.driver !== '' &&
        n.driver !== driver.value
      ) {
        reasons.push(`driver ${n.driver} where the pool runs ${driver.value}`);
        Object.assign(values, {
          driverVersion: n.driver,
          majorityDriverVersion: driver.value,
          majorityShare: round(driver.share),
        });
      }
      const mixed = n.migGpus > 0 && n.migGpus < n.gpus;
      if (mixed && layout.share >= t.migLayoutShare && n.layout !== layout.value) {
        reasons.push(
          `${n.migGpus} of ${n.gpus} GPUs MIG-partitioned where the pool's layout is ${layout.value}`,
        );
        Object.assign(values, {
          migLayout: n.layout,
          majorityMigLayout: layout.value,
          layoutMajorityShare: round(layout.share),
        });
      }
      if (reasons.length > 0) out.push({ subject: { type: 'node', id: n.node }, pool, reasons, values });
    }
  }
  return out;
}

interface RunningJob {
  job_id: string;
  name: string;
  nodes: string[];
}

/** A multi-node job whose nodes run different drivers or GPU models. */
export function judgeJobConfig(job: RunningJob, byNode: ReadonlyMap<string, NodeConfig>): string[] {
  const seen = job.nodes.flatMap((n) => {
    const c = byNode.get(n);
    return c ? [c] : [];
  });
  const drivers = [...new Set(seen.filter((c) => c.driver !== '').map((c) => c.driver))].sort();
  const models = [...new Set(seen.map((c) => c.model))].sort();
  const reasons: string[] = [];
  if (drivers.length > 1) reasons.push(`drivers ${drivers.join(', ')}`);
  if (models.length > 1) reasons.push(`GPU models ${models.join(', ')}`);
  return reasons;
}

async function detectConfigDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const from = new Date(at.getTime() - t.configSeenHours * HOUR);
  const nodes = await loadNodeConfigs(db, cluster, from);
  const window = { from: from.toISOString(), to: at.toISOString() };
  const metric = 'gpus.driver_version and MIG layout (gpus.mig_profile per GPU)';
  const method = 'majority comparison within pool (same GPU model and count)';
  const threshold = {
    majorityShareAbove: 0.5,
    migLayoutShare: t.migLayoutShare,
    minPoolNodes: t.configMinPoolNodes,
  };
  const detections = judgeConfigDrift(nodes, t).map(
    (v): Detection => ({
      kind: 'drift_config',
      subject: v.subject,
      severity: v.subject.type === 'pool' ? 'info' : 'warning',
      title: `Configuration drift on ${v.subject.type} ${v.subject.id}: ${v.reasons.join('; ')}`,
      evidence: { metric, window, values: v.values, threshold, method, samples: nodes.length },
      recommendation: `Bring ${v.subject.id} in line with pool ${v.pool}: mixed drivers or partitioning break gang jobs and scheduling.`,
    }),
  );
  const byNode = new Map(nodes.map((n) => [n.node, n]));
  const jobs = await queryRows<RunningJob>(
    db,
    sql`select job_id, name, nodes from jobs where cluster = ${cluster} and state = 'running'
      and cardinality(nodes) > 1 and (started_at is null or started_at < ${at}) order by job_id`,
  );
  for (const job of jobs) {
    const reasons = judgeJobConfig(job, byNode);
    if (reasons.length === 0) continue;
    const parts = job.nodes.map((n) => `${n}=${byNode.get(n)?.driver || '?'} ${byNode.get(n)?.model ?? '?'}`);
    detections.push({
      kind: 'drift_config',
      subject: { type: 'job', id: job.job_id },
      severity: 'warning',
      title: `Job ${job.job_id} (${job.name}) spans nodes with different ${reasons.join(' and ')}`,
      evidence: {
        metric,
        window,
        values: { nodes: parts.join('; '), distinct: reasons.join('; ') },
        threshold: { distinctAllowed: 1 },
        method: 'comparison across the nodes of one multi-node job',
        samples: job.nodes.length,
      },
      recommendation: `Pin job ${job.job_id} to nodes of one driver and GPU model (node features or a node selector).`,
    });
  }
  return detections;
}

// ---------------------------------------------------------------- recurring-job efficiency drift

export interface JobRun {
  id: number;
  jobId: string;
  name: string;
  user: string | null;
  gpusAllocated: number;
  team: string | null;
  startedAt: Date;
  endedAt: Date | null;
  minutes: number;
  /** Mean activity over the run's GPU-minutes. */
  efficiency: number;
}

async function loadJobRuns(db: Db, cluster: string, at: Date, t: DriftThresholds): Promise<JobRun[]> {
  const lookFrom = new Date(at.getTime() - t.jobLookbackDays * DAY);
  const historyFrom = new Date(at.getTime() - t.jobHistoryDays * DAY);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with recent as (
        select distinct name, "user", gpus_allocated from jobs
        where cluster = ${cluster} and started_at < ${at} and state in ('running', 'completing', 'completed', 'timeout')
          and (ended_at >= ${lookFrom} or ended_at is null)),
      runs as (
        select j.id, j.job_id, j.name, j."user", j.gpus_allocated, j.team, j.started_at, j.ended_at
        from jobs j join recent s on s.name = j.name and s."user" is not distinct from j."user"
          and s.gpus_allocated = j.gpus_allocated
        where j.cluster = ${cluster} and j.started_at < ${at} and j.started_at >= ${historyFrom}
          and j.state in ('running', 'completing', 'completed', 'timeout'))
      select runs.*, e.minutes, e.efficiency from runs cross join lateral (
        select count(r.activity_mean)::int as minutes, avg(r.activity_mean)::float8 as efficiency
        from gpu_rollups r where r.job_ref = runs.id and r.bucket < ${at}) e
      where e.minutes >= ${t.jobMinMinutes}
      order by runs.name, runs."user", runs.gpus_allocated, runs.started_at, runs.id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    jobId: String(r.job_id),
    name: String(r.name),
    user: (r.user as string | null) ?? null,
    gpusAllocated: Number(r.gpus_allocated),
    team: (r.team as string | null) ?? null,
    startedAt: new Date(r.started_at as string),
    endedAt: r.ended_at ? new Date(r.ended_at as string) : null,
    minutes: Number(r.minutes),
    efficiency: Number(r.efficiency),
  }));
}

export interface JobDriftVerdict {
  drifted: boolean;
  values: Record<string, number | string | null>;
  test: 'latest run' | 'last 3 runs' | null;
}

/**
 * The newest run against the runs before it (z-score and the one-sided prediction t-test), and the last three
 * runs against the runs before them (one-sided Welch): a drop by `jobDropShare` or more that either test finds
 * significant. `runs` are one series, oldest first.
 */
export function judgeJobDrift(runs: readonly JobRun[], t: DriftThresholds): JobDriftVerdict | undefined {
  const latest = runs.at(-1);
  if (!latest) return undefined;
  const baseline = runs
    .slice(0, -1)
    .slice(-t.jobMaxBaselineRuns)
    .map((r) => r.efficiency);
  if (baseline.length < t.jobBaselineRuns) return undefined;
  const m = mean(baseline);
  const sd = sampleSd(baseline);
  const single = testNewValueLower(latest.efficiency, baseline, t.jobSdFloor);
  const drop = m > 0 ? (m - latest.efficiency) / m : 0;
  const values: Record<string, number | string | null> = {
    latestEfficiency: round(latest.efficiency),
    baselineMean: round(m),
    baselineSd: round(sd),
    baselineRuns: baseline.length,
    dropShare: round(drop),
    z: round(zScore(latest.efficiency, m, sd, t.jobSdFloor), 2),
    p: sig(single.pLower),
  };
  let test: JobDriftVerdict['test'] =
    drop >= t.jobDropShare && single.pLower < t.pValue ? 'latest run' : null;
  const earlier = runs
    .slice(0, -3)
    .slice(-t.jobMaxBaselineRuns)
    .map((r) => r.efficiency);
  if (runs.length >= 3 && earlier.length >= t.jobBaselineRuns) {
    const last3 = runs.slice(-3).map((r) => r.efficiency);
    const welch = testWelchLower(last3, earlier, t.jobSdFloor);
    const em = mean(earlier);
    const drop3 = em > 0 ? (em - mean(last3)) / em : 0;
    Object.assign(values, {
      last3Mean: round(mean(last3)),
      last3BaselineMean: round(em),
      last3DropShare: round(drop3),
      welchT: round(welch.t, 2),
      welchDf: round(welch.df, 1),
      welchP: sig(welch.pLower),
    });
    if (!test && drop3 >= t.jobDropShare && drop > 0 && welch.pLower < t.pValue) test = 'last 3 runs';
  }
  return { drifted: test !== null, values, test };
}

async function detectJobDrift(db: Db, cluster: string, at: Date, t: DriftThresholds): Promise<Detection[]> {
  const lookFrom = at.getTime() - t.jobLookbackDays * DAY;
  const series = new Map<string, JobRun[]>();
  for (const r of await loadJobRuns(db, cluster, at, t)) {
    const key = JSON.stringify([r.name, r.user, r.gpusAllocated]);
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  const detections: Detection[] = [];
  for (const runs of series.values()) {
    const latest = runs.at(-1);
    if (!latest || (latest.endedAt !== null && latest.endedAt.getTime() < lookFrom)) continue;
    const v = judgeJobDrift(runs, t);
    if (!v?.drifted) continue;
    const first = runs[0] as JobRun;
    detections.push({
      kind: 'drift_job_efficiency',
      subject: { type: 'job', id: latest.jobId },
      severity: 'warning',
      title: `Recurring job ${latest.name} (${latest.user ?? 'no user'}, ${latest.gpusAllocated} GPUs) dropped to ${Math.round(latest.efficiency * 100)}% activity from ${Math.round(Number(v.values.baselineMean) * 100)}%`,
      evidence: {
        metric: 'mean activity over the run’s GPU-minutes (gpu_rollups.activity_mean by job_ref)',
        window: { from: first.startedAt.toISOString(), to: at.toISOString() },
        values: { ...v.values, job: latest.jobId, team: latest.team, test: v.test },
        threshold: {
          dropShare: t.jobDropShare,
          pValue: t.pValue,
          baselineRuns: t.jobBaselineRuns,
          sdFloor: t.jobSdFloor,
        },
        method:
          v.test === 'latest run'
            ? 'z-score and one-sided t-test (prediction interval) of the latest run against earlier runs'
            : 'one-sided Welch t-test of the last 3 runs against earlier runs',
        samples: runs.length,
      },
      recommendation: `Compare run ${latest.jobId} with earlier runs of ${latest.name}: a code, data-loader, input or node change made it use its GPUs less.`,
    });
  }
  return detections;
}

// ---------------------------------------------------------------- spend drift

export interface SpendVerdict {
  drifted: boolean;
  excessUsd: number;
  values: Record<string, number | string | null>;
}

/**
 * `daily` holds the spend of the `trendDays` complete days before the last one (index 0 oldest; undefined = no
 * data yet) and the last day's spend. The last day is compared with the least-squares line through the others.
 */
export function judgeSpendDrift(
  daily: readonly (number | undefined)[],
  last: number,
  t: DriftThresholds,
): SpendVerdict | undefined {
  const start = daily.findIndex((d) => d !== undefined);
  if (start < 0) return undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  // days without a row after the first with one cost nothing
  for (let i = start; i < daily.length; i++) {
    xs.push(i);
    ys.push(daily[i] ?? 0);
  }
  if (xs.length < t.spendMinDays) return undefined;
  const fit = fitLeastSquares(xs, ys);
  const x0 = daily.length;
  const expected = fit.intercept + fit.slope * x0;
  const floor = Math.max(t.spendSdFloorUsd, t.spendSdFloorShare * Math.abs(mean(ys)));
  const se = Math.max(predictionSe(fit, x0), floor);
  const excess = last - expected;
  const z = excess / se;
  return {
    drifted: z >= t.spendZ && excess >= t.spendMinUsd,
    excessUsd: excess,
    values: {
      lastDayUsd: round(last, 2),
      expectedUsd: round(expected, 2),
      excessUsd: round(excess, 2),
      slopeUsdPerDay: round(fit.slope, 2),
      residualSdUsd: round(fit.residualSd, 2),
      predictionSeUsd: round(se, 2),
      baselineMeanUsd: round(mean(ys), 2),
      baselineDays: xs.length,
      z: round(z, 2),
    },
  };
}

async function detectSpendDrift(db: Db, cluster: string, at: Date, t: DriftThresholds): Promise<Detection[]> {
  const dayStart = Math.floor(at.getTime() / DAY) * DAY;
  const lastDay = dayStart - DAY;
  const from = lastDay - t.spendTrendDays * DAY;
  const rows = await queryRows<{ team: string; day: string | Date; usd: number }>(
    db,
    sql`select team, day, sum(cost)::float8 as usd from cost_allocations_daily
      where cluster = ${cluster} and team is not null and currency = 'USD' and cost is not null
        and day >= ${new Date(from)} and day < ${new Date(dayStart)}
      group by team, day order by team, day`,
  );
  const byTeam = new Map<string, (number | undefined)[]>();
  for (const r of rows) {
    const days = byTeam.get(r.team) ?? new Array<number | undefined>(t.spendTrendDays + 1).fill(undefined);
    days[Math.round((new Date(r.day).getTime() - from) / DAY)] = Number(r.usd);
    byTeam.set(r.team, days);
  }
  const detections: Detection[] = [];
  for (const [team, days] of byTeam) {
    const last = days[t.spendTrendDays];
    if (last === undefined) continue;
    const v = judgeSpendDrift(days.slice(0, t.spendTrendDays), last, t);
    if (!v?.drifted) continue;
    const excessUsd = numberToDecimal(Math.round(v.excessUsd * 1e6) / 1e6);
    detections.push({
      kind: 'drift_spend',
      subject: { type: 'team', id: team },
      severity: 'warning',
      title: `Team ${team} spent $${v.values.lastDayUsd} on ${new Date(lastDay).toISOString().slice(0, 10)}, $${v.values.excessUsd} over its trend`,
      evidence: {
        metric: 'daily cost per team (cost_allocations_daily, USD)',
        window: { from: new Date(from).toISOString(), to: new Date(dayStart).toISOString() },
        values: v.values,
        threshold: { z: t.spendZ, minUsd: t.spendMinUsd, sdFloorUsd: t.spendSdFloorUsd },
        method: `least-squares trend over ${t.spendTrendDays} days, residual z-score (prediction standard error)`,
        samples: Number(v.values.baselineDays),
      },
      impactCostUsd: excessUsd,
      impactMonthlyUsd: formatDecimal((parseDecimal(excessUsd) ?? 0n) * 30n),
      recommendation: `Check what team ${team} started running: its spend left its ${t.spendTrendDays}-day trend.`,
    });
  }
  return detections;
}

// ---------------------------------------------------------------- health drift

export const HEALTH_DRIFT_METRICS = [
  { key: 'xid', label: 'minutes with an XID', critical: false },
  { key: 'eccSbe', label: 'volatile ECC single-bit errors', critical: false },
  { key: 'eccDbe', label: 'volatile ECC double-bit errors', critical: true },
  { key: 'pcieReplay', label: 'PCIe replays', critical: false },
  { key: 'rowRemapFailure', label: 'minutes with a row-remap failure', critical: true },
  { key: 'remappedRows', label: 'rows remapped', critical: false },
  { key: 'thermal', label: 'minutes of thermal slowdown', critical: false },
] as const;
export type HealthDriftMetric = (typeof HEALTH_DRIFT_METRICS)[number]['key'];

/** One physical GPU over one window: event counts and the minutes observed. */
export interface HealthCounts {
  uuid: string;
  node: string;
  minutes: number;
  counts: Record<Exclude<HealthDriftMetric, 'remappedRows'>, number>;
  /** Correctable + uncorrectable remapped rows (a gauge): its range over the window. */
  remappedMax: number | null;
  remappedMin: number | null;
}

/** Per physical GPU (MIG instances repeat device fields: one value per GPU and minute). */
async function loadHealthCounts(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  only: { uuids: string[] } | { minEvents: number },
): Promise<HealthCounts[]> {
  const filter = 'uuids' in only ? sql`and g.uuid = any(${sql.param(only.uuids)}::text[])` : sql``;
  const having =
    'minEvents' in only
      ? sql`having greatest(count(*) filter (where xid), count(*) filter (where thermal), sum(sbe), sum(dbe),
          sum(replay), count(*) filter (where remap_failure > 0)) >= ${only.minEvents} or max(remapped) > 0`
      : sql``;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with m as (
        select g.uuid, max(n.name) as node, r.bucket, bool_or(cardinality(r.xid_codes) > 0) as xid,
          bool_or(r.clock_event_reasons & 96 <> 0) as thermal, max(r.ecc_sbe_volatile_delta) as sbe,
          max(r.ecc_dbe_volatile_delta) as dbe, max(r.pcie_replay_delta) as replay, max(r.row_remap_failure) as remap_failure,
          max(coalesce(r.correctable_remapped_rows, 0) + coalesce(r.uncorrectable_remapped_rows, 0))
            filter (where r.correctable_remapped_rows is not null or r.uncorrectable_remapped_rows is not null) as remapped
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
        where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to} ${filter}
        group by g.uuid, r.bucket)
      select uuid, max(node) as node, count(*)::int as minutes, (count(*) filter (where xid))::int as xid,
        (count(*) filter (where thermal))::int as thermal, coalesce(sum(sbe), 0)::float8 as sbe,
        coalesce(sum(dbe), 0)::float8 as dbe, coalesce(sum(replay), 0)::float8 as replay,
        (count(*) filter (where remap_failure > 0))::int as remap_failure,
        max(remapped)::float8 as remapped_max, min(remapped)::float8 as remapped_min
      from m group by uuid ${having} order by uuid`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    uuid: String(r.uuid),
    node: String(r.node),
    minutes: Number(r.minutes),
    counts: {
      xid: Number(r.xid),
      eccSbe: Number(r.sbe),
      eccDbe: Number(r.dbe),
      pcieReplay: Number(r.replay),
      rowRemapFailure: Number(r.remap_failure),
      thermal: Number(r.thermal),
    },
    remappedMax: num(r.remapped_max),
    remappedMin: num(r.remapped_min),
  }));
}

export interface HealthDriftHit {
  metric: HealthDriftMetric;
  recent: number;
  baseline: number;
  recentPerHour: number;
  baselinePerHour: number;
  pValue: number;
}

/** Each metric whose recent rate is at least `healthRateRatio` × the baseline's and significantly higher. */
export function judgeHealthDrift(
  recent: HealthCounts,
  baseline: HealthCounts | undefined,
  t: DriftThresholds,
): HealthDriftHit[] {
  const baseMinutes = baseline?.minutes ?? 0;
  if (recent.minutes === 0 || baseMinutes === 0) return [];
  const hits: HealthDriftHit[] = [];
  for (const { key } of HEALTH_DRIFT_METRICS) {
    let kRecent: number;
    let kBase: number;
    if (key === 'remappedRows') {
      if (recent.remappedMax === null) continue;
      const before = baseline?.remappedMax ?? recent.remappedMin ?? recent.remappedMax;
      kRecent = Math.max(0, recent.remappedMax - before);
      kBase = Math.max(0, (baseline?.remappedMax ?? 0) - (baseline?.remappedMin ?? 0));
    } else {
      kRecent = recent.counts[key];
      kBase = baseline?.counts[key] ?? 0;
    }
    if (kRecent < t.healthMinEvents) continue;
    const test = testPoissonRateIncrease(kRecent, recent.minutes, kBase, baseMinutes);
    if (test.pValue >= t.pValue || test.recentRate < t.healthRateRatio * test.baselineRate) continue;
    hits.push({
      metric: key,
      recent: kRecent,
      baseline: kBase,
      recentPerHour: test.recentRate * 60,
      baselinePerHour: test.baselineRate * 60,
      pValue: test.pValue,
    });
  }
  return hits;
}

async function detectHealthDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const recentFrom = new Date(at.getTime() - t.healthRecentHours * HOUR);
  const baseFrom = new Date(recentFrom.getTime() - (t.healthBaselineHours - t.healthRecentHours) * HOUR);
  const recent = await loadHealthCounts(db, cluster, recentFrom, at, { minEvents: t.healthMinEvents });
  if (recent.length === 0) return [];
  const baseline = new Map(
    (await loadHealthCounts(db, cluster, baseFrom, recentFrom, { uuids: recent.map((r) => r.uuid) })).map(
      (b) => [b.uuid, b],
    ),
  );
  const detections: Detection[] = [];
  for (const r of recent) {
    const b = baseline.get(r.uuid);
    const hits = judgeHealthDrift(r, b, t);
    if (hits.length === 0) continue;
    const critical = hits.some((h) => HEALTH_DRIFT_METRICS.find((m) => m.key === h.metric)?.critical);
    const values: Record<string, number | string | null> = {
      node: r.node,
      recentMinutes: r.minutes,
      baselineMinutes: b?.minutes ?? 0,
      pValue: sig(Math.min(...hits.map((h) => h.pValue))),
    };
    for (const h of hits) {
      values[`${h.metric}Recent`] = h.recent;
      values[`${h.metric}Baseline`] = h.baseline;
      values[`${h.metric}RecentPerHour`] = round(h.recentPerHour);
      values[`${h.metric}BaselinePerHour`] = round(h.baselinePerHour);
      values[`${h.metric}P`] = sig(h.pValue);
    }
    const labels = hits.map((h) => HEALTH_DRIFT_METRICS.find((m) => m.key === h.metric)?.label ?? h.metric);
    detections.push({
      kind: 'drift_health',
      subject: { type: 'gpu', id: r.uuid },
      severity: critical ? 'critical' : 'warning',
      title: `GPU ${r.uuid} on ${r.node}: rising ${labels.join(', ')} over the last ${t.healthRecentHours} h`,
      evidence: {
        metric: 'XIDs, volatile ECC SBE/DBE, PCIe replays, row remaps, thermal clock events (gpu_rollups)',
        window: { from: baseFrom.toISOString(), to: at.toISOString() },
        values,
        threshold: { pValue: t.pValue, rateRatio: t.healthRateRatio, minEvents: t.healthMinEvents },
        method: 'one-sided Poisson rate test (conditional binomial), recent window against baseline',
        samples: r.minutes + (b?.minutes ?? 0),
      },
      recommendation: critical
        ? `Drain ${r.node} and have GPU ${r.uuid} checked (dcgmi diag -r 3); uncorrectable memory errors corrupt results.`
        : `Watch GPU ${r.uuid} on ${r.node}; run dcgmi diag at the next drain if the rate keeps rising.`,
    });
  }
  return detections;
}

/** Config, recurring-job efficiency, spend and health drift as of `at`, each finding with its test and strength. */
export async function detectDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<{ detections: Detection[] }> {
  const config = await detectConfigDrift(db, cluster, at, t);
  const jobs = await detectJobDrift(db, cluster, at, t);
  const spend = await detectSpendDrift(db, cluster, at, t);
  const health = await detectHealthDrift(db, cluster, at, t);
  return { detections: [...config, ...jobs, ...spend, ...health] };
}
