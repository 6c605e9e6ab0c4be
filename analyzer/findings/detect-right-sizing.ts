import { sql } from 'drizzle-orm';
import {
  ACTIVITY_STEPS,
  activityStep,
  MEMORY_STEP_BYTES,
} from '../../collector/rollup/summarize-job-usage.js';
import { type Db, queryRows } from '../../core/db.js';
import { numberToDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import { DEFAULT_TRUST, type TrustThresholds } from './data-trust.js';
import { loadNodeGpuHourUsd } from './detect-idle-gpus.js';
import {
  type GpuUsage,
  isInterruptible,
  type JobUsage,
  judgeGpuCount,
  judgeMig,
  judgeModel,
  judgeSpot,
  type ModelOffer,
  type NodeMarket,
  type RightSizingOption,
  type RightSizingThresholds,
  type RightSizingVerdict,
  rightSizingActivityBound,
  riskOf,
  round4,
  type SpotInterruption,
} from './judge-right-sizing.js';
import { resolveGpuMemoryGb } from './mig-profiles.js';

export {
  DEFAULT_RIGHT_SIZING_THRESHOLDS,
  RIGHT_SIZING_KINDS,
  type RightSizingKind,
  type RightSizingThresholds,
} from './judge-right-sizing.js';

export interface RightSizingOptions {
  /**
   * The Spot Instance Advisor's interruption bucket per region and instance type (`parseSpotAdvisor`); the
   * feed is read from `collectors.aws.spotAdvisorFile` (load-spot-advisor.ts). Without it spot risk is at least medium.
   */
  spotInterruption?: ((region: string, instanceType: string) => SpotInterruption | undefined) | undefined;
  /** When a GPU's readings are in doubt (`analyzer.dataQuality`); such a job gets no verdict. */
  trust?: TrustThresholds | undefined;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const HOUR = 3_600_000;

/**
 * Per job and per GPU over the window: minutes, minutes with an activity reading, p95 of the per-minute activity
 * maxima and of memory used, max memory. Jobs still active only. Whole hours whose job-usage summary is clean
 * (collector/rollup/summarize-job-usage.ts) are read from it; the rest of the window from the minutes. Percentiles
 * are nearest-rank to the summary's grid (activityStep; 1 MiB), the same whichever way an hour was read. With
 * `only`, jobs that cannot get a verdict are left out.
 */
export async function loadJobUsage(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  trust: TrustThresholds = DEFAULT_TRUST,
  only?: CandidateFilter,
): Promise<JobUsage[]> {
  const clean = await queryRows<{ hour: Date }>(
    db,
    sql`select hour from job_usage_hours
      where hour >= ${from} and hour + interval '1 hour' <= ${to} and summarized_version = change_version
      order by hour`,
  );
  const cleanHours = clean.map((r) => new Date(r.hour));
  const ranges = minuteRanges(from, to, cleanHours);
  // one plain range scan per uncovered stretch: an OR of ranges makes the planner scan the whole table
  const minutesOf = (columns: ReturnType<typeof sql>, active: ReturnType<typeof sql>) =>
    ranges.length === 0
      ? sql`select ${columns} from gpu_rollups r where false`
      : sql.join(
          ranges.map(
            ([a, b]) =>
              sql`select ${columns} from gpu_rollups r join ${active} a on a.id = r.job_ref
                where r.bucket >= ${a} and r.bucket < ${b}`,
          ),
          sql` union all `,
        );
  const activeJobs = sql`select id, labels from jobs
    where cluster = ${cluster} and state in ('running', 'suspended', 'completing', 'unknown')
      and (ended_at is null or ended_at > ${to})`;
  const cleanList = sql`${sql.param(cleanHours.map((h) => h.toISOString()))}::timestamptz[]`;
  const ids = only ? await listCandidateJobs(db, activeJobs, cleanList, minutesOf, only) : undefined;
  if (ids?.length === 0) return [];
  const query = sql`with active as (
        select id from (${activeJobs}) j
        ${ids ? sql`where id = any(${sql.param(ids)}::int4[])` : sql``}
      ),
      mins as (${minutesOf(sql`r.*`, sql`active`)}),
      sums as (
        select s.* from job_gpu_usage_hours s join active a on a.id = s.job_ref
        where s.hour = any(${cleanList})
      ),
      hist as (
        select job_ref, gpu_id, 0 as k, u.v::int as v, u.c::int as c
          from sums cross join lateral unnest(activity_percent, activity_counts) as u(v, c)
        union all
        select job_ref, gpu_id, 1, u.v, u.c from sums cross join lateral unnest(memory_mib, memory_counts) as u(v, c)
        union all
        select job_ref, gpu_id, 0, ${activityStep('activity_max')}::int, 1 from mins
          where activity_max is not null
        union all
        select job_ref, gpu_id, 1, round(memory_used_max_bytes / ${MEMORY_STEP_BYTES})::int, 1 from mins
          where memory_used_max_bytes is not null
      ),
      -- per GPU, then per job from that (much smaller) result: hash aggregates, no sort of the whole histogram
      hg as (select job_ref, gpu_id, k, v, sum(c) as c from hist group by job_ref, gpu_id, k, v),
      h as (
        select * from hg
        union all
        select job_ref, null, k, v, sum(c) from hg group by job_ref, k, v
      ),
      q as (
        select job_ref, gpu_id, min(v) filter (where k = 0 and run >= 0.95 * total) as p95_activity,
          min(v) filter (where k = 1 and run >= 0.95 * total) as p95_memory
        from (select h.*, sum(c) over (partition by job_ref, gpu_id, k order by v) as run,
            sum(c) over (partition by job_ref, gpu_id, k) as total from h) x
        group by job_ref, gpu_id
      ),
      scg as (
        select job_ref, gpu_id, sum(minutes) as minutes, sum(activity_minutes) as activity_minutes,
          max(activity_max) as activity_max, max(memory_max) as max_memory, max(memory_total) as memory_total,
          max(codec_max) as codec_max, sum(gpu_util_sum) as gpu_util_sum, sum(gpu_util_count) as gpu_util_count,
          sum(energy_count) as energy_count, sum(energy) as energy, sum(power_sum) as power_sum,
          sum(power_count) as power_count
        from (
          select job_ref, gpu_id, minutes, activity_minutes, activity_max, memory_used_max_bytes as memory_max,
            memory_total_bytes as memory_total, codec_max, gpu_util_sum, gpu_util_count, energy_count,
            energy_joules as energy, power_sum_watts as power_sum, power_count
          from sums
          union all
          select job_ref, gpu_id, 1, (activity_max is not null)::int, activity_max, memory_used_max_bytes,
            memory_total_bytes, greatest(coalesce(encoder_mean, 0), coalesce(decoder_mean, 0)), gpu_util_mean,
            (gpu_util_mean is not null)::int, (energy_joules is not null)::int, energy_joules, power_mean_watts,
            (power_mean_watts is not null)::int
          from mins
        ) x
        group by job_ref, gpu_id
      ),
      sc as (
        select * from scg
        union all
        select job_ref, null, sum(minutes), sum(activity_minutes), max(activity_max), max(max_memory),
          max(memory_total), max(codec_max), sum(gpu_util_sum), sum(gpu_util_count), sum(energy_count),
          sum(energy), sum(power_sum), sum(power_count)
        from scg group by job_ref
      )
      select sc.job_ref, sc.gpu_id, sc.minutes, sc.activity_minutes, sc.max_memory, sc.memory_total, sc.codec_max,
        q.p95_activity::float8 / ${ACTIVITY_STEPS} as p95_activity, q.p95_memory::float8 * ${MEMORY_STEP_BYTES} as p95_memory,
        -- data in doubt, as data-trust.ts defines it: the GR engine at 0 under GPU_UTIL load, or an energy
        -- counter stalled under power
        coalesce(sc.activity_max = 0 and sc.gpu_util_sum / nullif(sc.gpu_util_count, 0) >= ${trust.grZeroGpuUtil}, false)
          or (sc.energy_count >= ${trust.minSamples} and coalesce(sc.energy, 0) = 0
            and sc.power_sum / nullif(sc.power_count, 0) > 0)
          as suspect,
        g.uuid, g.model, g.mig_profile, n.name as node, j.job_id, j.team, j.gpus_allocated, j.labels
      from sc join jobs j on j.id = sc.job_ref
        left join q on q.job_ref = sc.job_ref and q.gpu_id is not distinct from sc.gpu_id
        left join gpus g on g.id = sc.gpu_id left join nodes n on n.id = g.node_id
      order by sc.job_ref, sc.gpu_id nulls first`;
  // the week's histograms are aggregated in memory (tens of MB at 10,000 GPUs), not in temporary files
  const rows = await db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await t.execute(sql`select set_config('work_mem', '64MB', true)`);
    return queryRows<Record<string, unknown>>(t, query);
  });
  return toJobUsage(rows);
}

/** Which jobs can get a verdict at all: read the full usage only for those. */
export interface CandidateFilter {
  /** No GPU-count, MIG or model verdict is possible when the job's p95 activity exceeds this. */
  activityAtMost: number;
  /** Spot verdicts depend on the labels, not on activity. */
  isInterruptible: (labels: Record<string, string>) => boolean;
}

/**
 * A window's p95 is at least the smallest p95 of any part of it (each part has 5 % of its minutes at or over its
 * own p95, so the whole has too): per job, the floor over its GPU-hours — stored for summarized hours, computed
 * for the rest — rules out most busy jobs before their histograms are merged.
 */
async function listCandidateJobs(
  db: Db,
  activeJobs: ReturnType<typeof sql>,
  cleanList: ReturnType<typeof sql>,
  minutesOf: (columns: ReturnType<typeof sql>, active: ReturnType<typeof sql>) => ReturnType<typeof sql>,
  only: CandidateFilter,
): Promise<number[]> {
  const rows = await queryRows<{ id: number; labels: Record<string, string> | null; low: number | null }>(
    db,
    sql`with active as (${activeJobs}),
      floors as (
        select s.job_ref, min(s.activity_p95) as low
        from job_gpu_usage_hours s join active a on a.id = s.job_ref
        where s.hour = any(${cleanList}) group by s.job_ref
        union all
        select job_ref, min(p95) from (
          select job_ref, percentile_disc(0.95) within group (order by ${activityStep('activity_max')})::float8
            / ${ACTIVITY_STEPS} as p95
          from (${minutesOf(sql`r.job_ref, r.gpu_id, r.bucket, r.activity_max`, sql`active`)}) m
          where activity_max is not null
          group by job_ref, gpu_id, date_trunc('hour', bucket)) x
        group by job_ref
      )
      select a.id, a.labels, min(f.low) as low from active a left join floors f on f.job_ref = a.id
      group by a.id, a.labels`,
  );
  return rows
    .filter(
      (r) => r.low === null || Number(r.low) <= only.activityAtMost || only.isInterruptible(r.labels ?? {}),
    )
    .map((r) => Number(r.id));
}

/** The parts of [from, to) not covered by the clean whole hours (sorted), to be read from the minutes. */
export function minuteRanges(from: Date, to: Date, cleanHours: readonly Date[]): [Date, Date][] {
  const out: [Date, Date][] = [];
  let cursor = from.getTime();
  for (const h of cleanHours) {
    if (h.getTime() > cursor) out.push([new Date(cursor), h]);
    cursor = Math.max(cursor, h.getTime() + HOUR);
  }
  if (cursor < to.getTime()) out.push([new Date(cursor), to]);
  return out;
}

function toJobUsage(rows: readonly Record<string, unknown>[]): JobUsage[] {
  const jobs = new Map<number, JobUsage>();
  for (const r of rows) {
    const jobRef = Number(r.job_ref);
    if (r.gpu_id === null || r.gpu_id === undefined) {
      jobs.set(jobRef, {
        jobRef,
        jobId: String(r.job_id),
        team: (r.team as string | null) ?? null,
        gpusAllocated: Number(r.gpus_allocated),
        labels: (r.labels as Record<string, string> | null) ?? {},
        p95Activity: round(num(r.p95_activity)),
        p95MemoryBytes: round(num(r.p95_memory), 0),
        gpus: [],
      });
      continue;
    }
    const gpu: GpuUsage = {
      gpuId: Number(r.gpu_id),
      uuid: String(r.uuid),
      node: String(r.node),
      model: (r.model as string | null) ?? null,
      migProfile: (r.mig_profile as string | null) ?? null,
      minutes: Number(r.minutes),
      activityMinutes: Number(r.activity_minutes),
      p95Activity: round(num(r.p95_activity)),
      p95MemoryBytes: round(num(r.p95_memory), 0),
      maxMemoryBytes: num(r.max_memory),
      memoryTotalBytes: num(r.memory_total),
      codecMax: num(r.codec_max),
      suspect: Boolean(r.suspect),
    };
    jobs.get(jobRef)?.gpus.push(gpu);
  }
  return [...jobs.values()];
}

/**
 * The instance behind each node, with the on-demand and spot prices of its type in force at `at` (the earliest
 * when `at` predates them, as `findPrice` does). Spot: the node's zone, else the newest in the region.
 */
export async function loadNodeMarkets(db: Db, nodes: readonly string[], at: Date) {
  if (nodes.length === 0) return new Map<string, Omit<NodeMarket, 'jobGpus'>>();
  const inForce = sql`order by (p.effective_from <= ${at}) desc,
    case when p.effective_from <= ${at} then p.effective_from end desc, p.effective_from asc`;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select c.node, c.instance_type, c.region, c.market, it.gpu_count, od.usd as on_demand, sp.usd as spot
      from cloud_instances c left join instance_types it on it.name = c.instance_type
        left join lateral (select p.usd_per_hour::float8 as usd from prices p
          where p.provider = 'aws' and p.kind = 'on_demand' and p.region = c.region and p.availability_zone = ''
            and p.instance_type = c.instance_type ${inForce} limit 1) od on true
        left join lateral (select p.usd_per_hour::float8 as usd from prices p
          where p.provider = 'aws' and p.kind = 'spot' and p.region = c.region and p.instance_type = c.instance_type
          order by (p.availability_zone = coalesce(c.availability_zone, '')) desc, (p.effective_from <= ${at}) desc,
            case when p.effective_from <= ${at} then p.effective_from end desc, p.usd_per_hour desc
          limit 1) sp on true
      where c.node = any(${sql.param([...nodes])}::text[])`,
  );
  return new Map(
    rows.map((r) => [
      String(r.node),
      {
        node: String(r.node),
        instanceType: String(r.instance_type),
        region: String(r.region),
        market: String(r.market),
        gpuCount: num(r.gpu_count),
        onDemandUsd: num(r.on_demand),
        spotUsd: num(r.spot),
      },
    ]),
  );
}

/**
 * GPU models one could move to: per region and model the cheapest on-demand $ per GPU-hour (instance price /
 * GPUs), and the price book's models (no region). Memory from DescribeInstanceTypes, else from the model name.
 */
export async function loadModelOffers(db: Db, at: Date): Promise<ModelOffer[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with latest as (
        select distinct on (p.kind, p.region, p.instance_type) p.kind, p.region, p.instance_type,
          p.usd_per_hour::float8 as usd
        from prices p
        where p.kind in ('on_demand', 'price_book') and p.availability_zone = '' and p.effective_from <= ${at}
        order by p.kind, p.region, p.instance_type, p.effective_from desc
      )
      select distinct on (l.region, coalesce(it.gpu_model, l.instance_type))
        coalesce(it.gpu_model, l.instance_type) as gpu_model, it.gpu_memory_mib,
        case when l.kind = 'on_demand' then l.instance_type end as instance_type, l.region,
        case when l.kind = 'on_demand' then l.usd / it.gpu_count else l.usd end as usd_per_gpu_hour
      from latest l left join instance_types it on l.kind = 'on_demand' and it.name = l.instance_type
      where l.kind = 'price_book' or it.gpu_count > 0
      order by l.region, coalesce(it.gpu_model, l.instance_type), usd_per_gpu_hour`,
  );
  return rows.flatMap((r) => {
    const model = String(r.gpu_model);
    const mib = num(r.gpu_memory_mib);
    const gb = mib === null ? resolveGpuMemoryGb(model) : undefined;
    const memoryBytes = mib !== null ? mib * 2 ** 20 : gb === undefined ? null : gb * 1e9;
    if (memoryBytes === null) return [];
    const offer: ModelOffer = {
      gpuModel: model,
      memoryBytes,
      usdPerGpuHour: Number(r.usd_per_gpu_hour),
      instanceType: (r.instance_type as string | null) ?? null,
      region: String(r.region),
    };
    return [offer];
  });
}

/** Right-sizing findings as of `at` over the look-back: GPU count, MIG, GPU model and spot, per active job. */
export async function detectRightSizing(
  db: Db,
  cluster: string,
  at: Date,
  t: RightSizingThresholds,
  options: RightSizingOptions = {},
): Promise<{ detections: Detection[] }> {
  const from = new Date(at.getTime() - t.lookbackDays * 86_400_000);
  const jobs = await loadJobUsage(db, cluster, from, at, options.trust, {
    activityAtMost: rightSizingActivityBound(t),
    isInterruptible: (labels) => isInterruptible(labels, t),
  });
  if (jobs.length === 0) return { detections: [] };
  const prices = await loadNodeGpuHourUsd(db, cluster, from, at);
  const markets = await loadNodeMarkets(db, [...new Set(jobs.flatMap((j) => j.gpus.map((g) => g.node)))], at);
  const offers = await loadModelOffers(db, at);
  const interruption = options.spotInterruption ?? (() => undefined);
  const window = { from: from.toISOString(), to: at.toISOString() };
  const detections: Detection[] = [];
  for (const job of jobs) {
    // a verdict needs data worth trusting on every GPU
    if (job.gpus.some((g) => g.suspect)) continue;
    const usd = jobGpuHourUsd(job, prices);
    const nodes = jobNodeMarkets(job, markets);
    const regions = new Set(nodes.map((n) => n.region));
    const reachable = offers.filter((o) => o.region === '' || regions.size === 0 || regions.has(o.region));
    const count = judgeGpuCount(job, usd, t);
    const gpusAfter =
      count.finding === 'Overprovisioned'
        ? job.gpusAllocated - Number(count.option.extra.idleGpus)
        : job.gpusAllocated;
    const mig = judgeMig(job, usd, t);
    const verdicts: RightSizingVerdict[] = [
      count,
      mig,
      // MIG keeps the hardware and saves more: a model change is only proposed where MIG is not
      ...(mig.finding === 'Overprovisioned' ? [] : [judgeModel(job, usd, reachable, gpusAfter, t)]),
      judgeSpot(job, nodes, interruption, t),
    ];
    for (const v of verdicts) {
      if (v.finding === 'Overprovisioned') detections.push(toDetection(job, v.option, usd, window, t));
    }
  }
  return { detections };
}

/** Mean $ per GPU-hour of the nodes the job's GPUs sit on (priced ones only); null when none is priced. */
function jobGpuHourUsd(job: JobUsage, prices: ReadonlyMap<string, number>): number | null {
  const known = job.gpus.flatMap((g) => {
    const p = prices.get(g.node);
    return p === undefined ? [] : [p];
  });
  return known.length === 0 ? null : known.reduce((s, p) => s + p, 0) / known.length;
}

function jobNodeMarkets(
  job: JobUsage,
  markets: ReadonlyMap<string, Omit<NodeMarket, 'jobGpus'>>,
): NodeMarket[] {
  const perNode = new Map<string, number>();
  for (const g of job.gpus) perNode.set(g.node, (perNode.get(g.node) ?? 0) + 1);
  return [...perNode].flatMap(([node, jobGpus]) => {
    const m = markets.get(node);
    return m ? [{ ...m, jobGpus }] : [];
  });
}

const TITLES: Record<RightSizingOption['kind'], string> = {
  right_size_gpus: 'Job holds GPUs it does not use',
  right_size_mig: 'Job would fit a MIG slice',
  right_size_model: 'Job would fit a cheaper GPU model',
  right_size_spot: 'Interruptible job runs on on-demand instances',
};

function toDetection(
  job: JobUsage,
  o: RightSizingOption,
  usd: number | null,
  window: { from: string; to: string },
  t: RightSizingThresholds,
): Detection {
  const monthly = o.monthlySavingsUsd === null ? null : numberToDecimal(round6(o.monthlySavingsUsd));
  const hours = Math.max(...job.gpus.map((g) => g.minutes)) / 60;
  const windowCost =
    o.monthlySavingsUsd === null
      ? null
      : numberToDecimal(round6((o.monthlySavingsUsd / t.hoursPerMonth) * hours));
  const action = o.kind === 'right_size_spot' ? 'move_to_spot' : 'right_size';
  return {
    kind: o.kind,
    subject: { type: 'job', id: job.jobId },
    severity: (o.monthlySavingsUsd ?? 0) >= t.warnMonthlySavingsUsd ? 'warning' : 'info',
    title: `${TITLES[o.kind]}: job ${job.jobId} (${o.current.shape} → ${o.recommended.shape})`,
    evidence: {
      metric:
        'p95 of per-minute activity maxima (DCGM_FI_PROF_GR_ENGINE_ACTIVE, else DCGM_FI_DEV_GPU_UTIL/100) and of memory used (DCGM_FI_DEV_FB_USED)',
      window,
      values: {
        finding: 'Overprovisioned',
        reasonCodes: o.reasonCodes.join(','),
        job: job.jobId,
        team: job.team,
        gpusAllocated: job.gpusAllocated,
        jobP95Activity: job.p95Activity,
        jobP95MemoryBytes: job.p95MemoryBytes,
        currentShape: o.current.shape,
        currentP95Activity: o.current.p95Activity,
        currentP95MemoryRatio: o.current.p95MemoryRatio,
        recommendedShape: o.recommended.shape,
        projectedP95Activity: o.recommended.p95Activity,
        projectedP95MemoryRatio: o.recommended.p95MemoryRatio,
        performanceRisk: o.performanceRisk,
        migrationEffort: o.migrationEffort,
        usdPerGpuHour: usd === null ? null : round4(usd),
        monthlySavingsUsd: monthly,
        ...o.extra,
      },
      threshold: {
        lookbackDays: t.lookbackDays,
        minHours: t.minHours,
        idleActivityP95: t.idleActivityP95,
        memoryHeadroom: t.memoryHeadroom,
        ...(o.kind === 'right_size_mig' ? { migComputeFill: t.migComputeFill } : {}),
        ...(o.kind === 'right_size_model' ? { modelActivityP95Max: t.modelActivityP95Max } : {}),
        ...(o.kind === 'right_size_spot' ? { interruptibleLabels: t.interruptibleLabels.join(',') } : {}),
      },
      samples: job.gpus.reduce((s, g) => s + g.minutes, 0),
    },
    impactCostUsd: windowCost,
    impactMonthlyUsd: monthly,
    recommendation: `Move job ${job.jobId} from ${o.current.shape} to ${o.recommended.shape}${
      monthly === null ? '' : `, saving about $${Number(monthly).toFixed(2)} a month`
    } (performance risk ${o.performanceRisk} of 4, migration effort ${o.migrationEffort}).`,
    recommend: {
      action,
      expectedMonthlySavingsUsd: monthly,
      risk: riskOf(o.performanceRisk),
      details: {
        current: o.current,
        recommended: o.recommended,
        reasonCodes: o.reasonCodes,
        performanceRisk: o.performanceRisk,
        migrationEffort: o.migrationEffort,
        ...o.extra,
      },
      ttlHours: t.ttlHours,
    },
  };
}

function round(v: number | null, places = 4): number | null {
  if (v === null) return null;
  const f = 10 ** places;
  return Math.round(v * f) / f;
}
const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
