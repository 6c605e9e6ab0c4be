import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { numberToDecimal } from '../../core/decimal.js';
import { migUnitsPerMinute, UNITS_PER_GPU_MINUTE } from '../cost/split-node-hour.js';
import type { Detection } from './apply-detections.js';
import { DEFAULT_TRUST, frozenSeries, isGrEngineFault, type TrustThresholds } from './data-trust.js';

export interface IdleThresholds {
  windowMinutes: number;
  /** Never a verdict from fewer minutes than this. */
  minSamples: number;
  activityMax: number;
  /** PCIe + NVLink, both directions. */
  ioBytesPerSecond: number;
  /** Memory in use above this while no compute runs: memory held (a leaked notebook, a stuck process). */
  memoryHeldBytes: number;
  warnMinutes: number;
  criticalMinutes: number;
  /** How far back the idle run is traced for escalation. */
  traceMinutes: number;
}

export const IDLE_KINDS = ['idle_gpu_allocated', 'idle_gpu_memory_held', 'idle_gpu_unallocated'] as const;
export type IdleKind = (typeof IDLE_KINDS)[number];

/** One GPU (or MIG instance) over the window, aggregated in SQL. */
export interface GpuWindow {
  gpuId: number;
  uuid: string;
  gpuInstanceId: number | null;
  node: string;
  model: string | null;
  migProfile: string | null;
  minutes: number;
  /** Minutes with an activity reading (GR_ENGINE_ACTIVE or GPU_UTIL). */
  activityMinutes: number;
  activityMax: number | null;
  /** DCGM_FI_DEV_GPU_UTIL kept beside GR_ENGINE_ACTIVE: the two disagreeing is a known DCGM fault. */
  gpuUtilMax: number | null;
  encoderMax: number | null;
  decoderMax: number | null;
  ioMaxBytesPerSecond: number | null;
  memoryUsedMaxBytes: number | null;
  powerMeanWatts: number | null;
  /** Distinct (activity, power) pairs: 1 over many minutes, with no energy counter to ask, is a frozen series. */
  distinctReadings: number;
  /** Minutes with an energy-counter increase computed, and the joules they add up to. */
  energyMinutes: number;
  energyJoules: number | null;
  heldMinutes: number;
  jobs: number;
  jobRef: number | null;
  jobId: string | null;
  team: string | null;
}

/** `suspect`: the data itself is in doubt (missing or frozen), not merely busy. */
export type IdleVerdict = { idle: false; reason: string; suspect: boolean } | { idle: true; kind: IdleKind };

/**
 * The idle test for one GPU window. Not idle (and said why) when the data cannot support a verdict: too few
 * minutes, no activity reading (a MIG instance whose GPU_UTIL is N/A without profiling), a frozen series, or a
 * job change inside the window (a GPU between two jobs for two minutes is not idle capacity).
 */
export function judgeIdle(
  w: GpuWindow,
  t: IdleThresholds,
  trust: TrustThresholds = DEFAULT_TRUST,
): IdleVerdict {
  const no = (reason: string, suspect = false): IdleVerdict => ({ idle: false, reason, suspect });
  if (w.minutes < t.minSamples) return no('too few minutes');
  if (w.activityMinutes < w.minutes || w.activityMax === null) {
    return no('no activity reading for some minutes', true);
  }
  if (frozenSeries(w, trust)) return no('frozen series', true);
  if (w.activityMax >= t.activityMax) return no('busy');
  if (isGrEngineFault(w.activityMax, w.gpuUtilMax, trust)) {
    return no('GR_ENGINE_ACTIVE reads idle while GPU_UTIL reads busy', true);
  }
  if ((w.gpuUtilMax ?? 0) >= t.activityMax) return no('busy by GPU_UTIL');
  if ((w.encoderMax ?? 0) > 0 || (w.decoderMax ?? 0) > 0) return no('encoder or decoder busy');
  if ((w.ioMaxBytesPerSecond ?? 0) >= t.ioBytesPerSecond) return no('PCIe or NVLink traffic');
  if (w.heldMinutes === 0) return { idle: true, kind: 'idle_gpu_unallocated' };
  if (w.heldMinutes < w.minutes || w.jobs > 1) return no('job changed in the window');
  if ((w.memoryUsedMaxBytes ?? 0) >= t.memoryHeldBytes) return { idle: true, kind: 'idle_gpu_memory_held' };
  return { idle: true, kind: 'idle_gpu_allocated' };
}

export async function loadGpuWindows(db: Db, cluster: string, from: Date, to: Date): Promise<GpuWindow[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    // aggregated per GPU first, then joined: grouping by text columns and joining jobs per minute row cost more
    sql`with w as (
        select r.gpu_id, count(*)::int as minutes,
          (count(*) filter (where r.activity_max is not null))::int as activity_minutes,
          max(r.activity_max) as activity_max, max(r.gpu_util_max) as gpu_util_max, max(r.encoder_mean) as encoder_max,
          max(r.decoder_mean) as decoder_max,
          max(coalesce(r.pcie_tx_bytes_per_second, 0) + coalesce(r.pcie_rx_bytes_per_second, 0)
            + coalesce(r.nvlink_tx_bytes_per_second, 0) + coalesce(r.nvlink_rx_bytes_per_second, 0)) as io_max,
          max(r.memory_used_max_bytes) as memory_used_max, avg(r.power_mean_watts) as power_mean,
          count(distinct (r.activity_mean, r.power_mean_watts))::int as distinct_readings,
          count(r.energy_joules)::int as energy_minutes, sum(r.energy_joules) as energy_joules,
          (count(*) filter (where r.job_ref is not null))::int as held_minutes,
          count(distinct r.job_ref)::int as jobs, max(r.job_ref) as job_ref
        from gpu_rollups r
        where r.bucket >= ${from} and r.bucket < ${to}
          and r.gpu_id in (select g.id from gpus g join nodes n on n.id = g.node_id where n.cluster = ${cluster})
        group by r.gpu_id)
      select w.*, g.uuid, g.gpu_instance_id, n.name as node, g.model, g.mig_profile, j.job_id, j.team
      from w join gpus g on g.id = w.gpu_id join nodes n on n.id = g.node_id left join jobs j on j.id = w.job_ref`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    gpuId: Number(r.gpu_id),
    uuid: String(r.uuid),
    gpuInstanceId: num(r.gpu_instance_id),
    node: String(r.node),
    model: (r.model as string | null) ?? null,
    migProfile: (r.mig_profile as string | null) ?? null,
    minutes: Number(r.minutes),
    activityMinutes: Number(r.activity_minutes),
    activityMax: num(r.activity_max),
    gpuUtilMax: num(r.gpu_util_max),
    encoderMax: num(r.encoder_max),
    decoderMax: num(r.decoder_max),
    ioMaxBytesPerSecond: num(r.io_max),
    memoryUsedMaxBytes: num(r.memory_used_max),
    powerMeanWatts: num(r.power_mean),
    distinctReadings: Number(r.distinct_readings),
    energyMinutes: Number(r.energy_minutes),
    energyJoules: num(r.energy_joules),
    heldMinutes: Number(r.held_minutes),
    jobs: Number(r.jobs),
    jobRef: num(r.job_ref),
    jobId: (r.job_id as string | null) ?? null,
    team: (r.team as string | null) ?? null,
  }));
}

/**
 * Minutes each GPU has been idle up to `at`, traced back at most `traceMinutes`: from the newest minute that was
 * not idle (activity, codec or I/O over the thresholds), or the first minute in the trace.
 */
async function loadIdleMinutes(
  db: Db,
  gpuIds: readonly number[],
  at: Date,
  t: IdleThresholds,
): Promise<Map<number, number>> {
  if (gpuIds.length === 0) return new Map();
  const from = new Date(at.getTime() - t.traceMinutes * 60_000);
  const rows = await queryRows<{ gpu_id: number; busy_until: Date | string | null; first: Date | string }>(
    db,
    // one primary-key range scan per idle GPU: the cost follows the idle GPUs, not the table's size
    sql`select i.gpu_id, x.first, x.busy_until
      from unnest(${sql.param([...gpuIds])}::int[]) as i(gpu_id), lateral (
        select min(bucket) as first,
          max(bucket) filter (where coalesce(activity_max, 1) >= ${t.activityMax}
            or coalesce(encoder_mean, 0) > 0 or coalesce(decoder_mean, 0) > 0
            or coalesce(pcie_tx_bytes_per_second, 0) + coalesce(pcie_rx_bytes_per_second, 0)
              + coalesce(nvlink_tx_bytes_per_second, 0) + coalesce(nvlink_rx_bytes_per_second, 0) >= ${t.ioBytesPerSecond})
            as busy_until
        from gpu_rollups where gpu_id = i.gpu_id and bucket >= ${from} and bucket < ${at}) x
      where x.first is not null`,
  );
  return new Map(
    rows.map((r) => {
      const since = r.busy_until ? new Date(r.busy_until).getTime() + 60_000 : new Date(r.first).getTime();
      return [r.gpu_id, Math.round((at.getTime() - since) / 60_000)];
    }),
  );
}

/** $ per GPU-hour of each node over the window, from the cost allocation (bill, or price × telemetry). */
export async function loadNodeGpuHourUsd(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
): Promise<Map<string, number>> {
  const rows = await queryRows<{ node: string; usd: number | null }>(
    db,
    sql`select node, (sum(cost) / nullif(sum(gpu_capacity * case when billed then 1 else present_minutes / 60.0 end), 0))::float8 as usd
      from cost_node_hours
      where cluster = ${cluster} and hour >= ${new Date(from.getTime() - 3_600_000)} and hour < ${to} and cost is not null
      group by node`,
  );
  return new Map(rows.flatMap((r) => (r.usd === null ? [] : [[r.node, r.usd] as [string, number]])));
}

const TITLES: Record<IdleKind, string> = {
  idle_gpu_allocated: 'GPU held by a job and idle',
  idle_gpu_memory_held: 'GPU memory held with no compute',
  idle_gpu_unallocated: 'GPU powered and billed but unallocated and idle',
};

/** Idle GPUs as of `at`, each with evidence, escalation by idle duration, and its cost over the window and per month. */
export async function detectIdleGpus(
  db: Db,
  cluster: string,
  at: Date,
  t: IdleThresholds,
  trust: TrustThresholds = DEFAULT_TRUST,
): Promise<{ detections: Detection[]; judged: number; suspect: number }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const windows = await loadGpuWindows(db, cluster, from, at);
  const idle: { w: GpuWindow; kind: IdleKind }[] = [];
  let suspect = 0;
  for (const w of windows) {
    const v = judgeIdle(w, t, trust);
    if (v.idle) idle.push({ w, kind: v.kind });
    else if (v.suspect) suspect++;
  }
  const idleMinutes = await loadIdleMinutes(
    db,
    idle.map((i) => i.w.gpuId),
    at,
    t,
  );
  const prices = await loadNodeGpuHourUsd(db, cluster, from, at);
  const detections = idle.map(({ w, kind }): Detection => {
    const minutes = Math.max(idleMinutes.get(w.gpuId) ?? w.minutes, w.minutes);
    const fraction = migUnitsPerMinute(w.migProfile, w.model) / UNITS_PER_GPU_MINUTE;
    const usdPerHour = prices.get(w.node);
    const windowCost = usdPerHour === undefined ? null : (usdPerHour * fraction * w.minutes) / 60;
    const monthly = usdPerHour === undefined ? null : usdPerHour * fraction * 24 * 30;
    const severity =
      minutes >= t.criticalMinutes ? 'critical' : minutes >= t.warnMinutes ? 'warning' : 'info';
    const id = w.gpuInstanceId === null ? w.uuid : `${w.uuid}/${w.gpuInstanceId}`;
    const held = kind !== 'idle_gpu_unallocated';
    return {
      kind,
      subject: { type: 'gpu', id },
      severity,
      title: `${TITLES[kind]} for ${minutes} min on ${w.node}${held && w.jobId ? ` (job ${w.jobId})` : ''}`,
      evidence: {
        metric:
          'activity (DCGM_FI_PROF_GR_ENGINE_ACTIVE, else DCGM_FI_DEV_GPU_UTIL/100), encoder, decoder, PCIe + NVLink bytes/s',
        window: { from: from.toISOString(), to: at.toISOString() },
        values: {
          activityMax: w.activityMax,
          encoderMax: w.encoderMax,
          decoderMax: w.decoderMax,
          ioMaxBytesPerSecond: w.ioMaxBytesPerSecond,
          memoryUsedMaxBytes: w.memoryUsedMaxBytes,
          // rounded: a mean summed in no fixed order by parallel workers must not read as a change every pass
          powerMeanWatts: w.powerMeanWatts === null ? null : Number(w.powerMeanWatts.toFixed(1)),
          idleMinutes: minutes,
          node: w.node,
          job: w.jobId,
          team: w.team,
        },
        threshold: {
          activityMax: t.activityMax,
          ioBytesPerSecond: t.ioBytesPerSecond,
          minSamples: t.minSamples,
          ...(kind === 'idle_gpu_memory_held' ? { memoryHeldBytes: t.memoryHeldBytes } : {}),
        },
        samples: w.minutes,
      },
      impactCostUsd: windowCost === null ? null : numberToDecimal(round6(windowCost)),
      impactMonthlyUsd: monthly === null ? null : numberToDecimal(round6(monthly)),
      recommendation: held
        ? `Release the GPU${w.jobId ? ` from job ${w.jobId}` : ''} or give it work; it has done nothing for ${minutes} minutes.`
        : `Reclaim the idle capacity on ${w.node}: scale the pool down or schedule work onto it.`,
      recommend: {
        action: held ? 'release_gpu' : 'reclaim_gpu',
        expectedMonthlySavingsUsd: monthly === null ? null : numberToDecimal(round6(monthly)),
        risk: kind === 'idle_gpu_memory_held' ? 'medium' : 'low',
        details: { node: w.node, job: w.jobId },
        ttlHours: 1,
      },
    };
  });
  return { detections, judged: windows.length, suspect };
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
