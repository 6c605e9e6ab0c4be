import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { frozenSeries, isGrEngineFault } from './data-trust.js';

export const DATA_QUALITY_KINDS = [
  'data_gr_engine_zero',
  'data_frozen_series',
  'data_missing_profiling',
  'data_target_down',
  'data_scrape_slow',
  'data_unattributed',
  'data_nvlink_suspect',
] as const;
type Thresholds = AnalyzerConfig['dataQuality'];

/** One GPU's readings over the window, as far as trusting them goes. */
export interface GpuDataWindow {
  uuid: string;
  gpuInstanceId: number | null;
  node: string;
  minutes: number;
  /** Minutes whose activity came from GR_ENGINE_ACTIVE, and its highest reading in them. */
  grMinutes: number;
  grMax: number | null;
  gpuUtilMean: number | null;
  profiledMinutes: number;
  /** A whole GPU split into MIG instances reports profiling per instance, not itself. */
  migParent: boolean;
  energyMinutes: number;
  energyJoules: number | null;
  powerMeanWatts: number | null;
  distinctReadings: number;
}

const round = (v: number | null, places: number) => (v === null ? null : Number(v.toFixed(places)));

export type DataVerdict = { kind: (typeof DATA_QUALITY_KINDS)[number]; reason: string };

/** What is wrong with one GPU's data, if anything; several can be. */
export function judgeGpuData(w: GpuDataWindow, t: Thresholds): DataVerdict[] {
  const out: DataVerdict[] = [];
  if (w.minutes < t.minSamples) return out;
  if (w.grMinutes >= t.minSamples && isGrEngineFault(w.grMax, w.gpuUtilMean, t)) {
    out.push({
      kind: 'data_gr_engine_zero',
      reason: `GR_ENGINE_ACTIVE reads 0 while GPU_UTIL averages ${Math.round((w.gpuUtilMean ?? 0) * 100)} %`,
    });
  }
  const frozen = frozenSeries(w, t);
  if (frozen) {
    out.push({
      kind: 'data_frozen_series',
      reason:
        frozen === 'stalled'
          ? `the energy counter has not moved in ${w.energyMinutes} minutes while ${Math.round(w.powerMeanWatts ?? 0)} W is drawn`
          : `the same reading for ${w.minutes} minutes`,
    });
  }
  if (w.gpuInstanceId === null && !w.migParent && w.profiledMinutes === 0) {
    out.push({
      kind: 'data_missing_profiling',
      reason: 'no DCGM profiling fields (GR engine, SM, tensor, DRAM)',
    });
  }
  return out;
}

async function loadGpuDataWindows(db: Db, cluster: string, from: Date, to: Date): Promise<GpuDataWindow[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select g.uuid, g.gpu_instance_id, n.name as node, count(*)::int as minutes,
        (count(*) filter (where r.activity_source = 'gr_engine_active'))::int as gr_minutes,
        max(r.activity_max) filter (where r.activity_source = 'gr_engine_active') as gr_max,
        avg(r.gpu_util_mean) as gpu_util_mean, count(r.sm_active_mean)::int as profiled,
        exists (select 1 from gpus c where c.node_id = g.node_id and c.uuid = g.uuid and c.gpu_instance_id is not null)
          as mig_parent,
        count(r.energy_joules)::int as energy_minutes, sum(r.energy_joules) as energy_joules,
        avg(r.power_mean_watts) as power_mean,
        count(distinct (r.activity_mean, r.power_mean_watts))::int as distinct_readings
      from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
      where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to}
      group by g.id, g.uuid, g.gpu_instance_id, g.node_id, n.name`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    uuid: String(r.uuid),
    gpuInstanceId: num(r.gpu_instance_id),
    node: String(r.node),
    minutes: Number(r.minutes),
    grMinutes: Number(r.gr_minutes),
    grMax: num(r.gr_max),
    gpuUtilMean: num(r.gpu_util_mean),
    profiledMinutes: Number(r.profiled),
    migParent: Boolean(r.mig_parent),
    energyMinutes: Number(r.energy_minutes),
    energyJoules: num(r.energy_joules),
    powerMeanWatts: num(r.power_mean),
    distinctReadings: Number(r.distinct_readings),
  }));
}

export interface TargetRow {
  kind: string;
  url: string;
  node: string | null;
  up: boolean;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastDurationSeconds: number | null;
  consecutiveFailures: number;
}

/** A target down for `targetDownFailures` scrapes in a row, or answering in more than `scrapeSlowShare` of its timeout. */
export function judgeTarget(
  r: TargetRow,
  timeoutSeconds: number | undefined,
  t: Thresholds,
): (DataVerdict & { severity: Detection['severity'] }) | undefined {
  if (!r.up && r.consecutiveFailures >= t.targetDownFailures) {
    return {
      kind: 'data_target_down',
      severity: 'critical',
      reason: `${r.consecutiveFailures} failed scrapes in a row${r.lastError ? `: ${r.lastError}` : ''}`,
    };
  }
  if (r.up && timeoutSeconds && (r.lastDurationSeconds ?? 0) >= timeoutSeconds * t.scrapeSlowShare) {
    return {
      kind: 'data_scrape_slow',
      severity: 'warning',
      reason: `the scrape took ${r.lastDurationSeconds?.toFixed(1)} s of a ${timeoutSeconds} s timeout`,
    };
  }
  return undefined;
}

/**
 * Data the other detectors should not trust, or lack: the GR-engine fault, frozen series, missing profiling
 * fields, targets down or near their scrape timeout, GPU-minutes an owner label named but no job matched, NVLink
 * readings of zero under load. `scrapeTimeoutSeconds` by target kind comes from the collectors' config.
 */
export async function detectDataQuality(
  db: Db,
  cluster: string,
  at: Date,
  t: Thresholds,
  scrapeTimeoutSeconds: Readonly<Record<string, number>> = {},
): Promise<{ detections: Detection[] }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const window = { from: from.toISOString(), to: at.toISOString() };
  const detections: Detection[] = [];

  const missingByNode = new Map<string, string[]>();
  for (const w of await loadGpuDataWindows(db, cluster, from, at)) {
    const id = w.gpuInstanceId === null ? w.uuid : `${w.uuid}/${w.gpuInstanceId}`;
    for (const v of judgeGpuData(w, t)) {
      // missing profiling is a node's exporter configuration: one finding per node, not one per GPU
      if (v.kind === 'data_missing_profiling') {
        missingByNode.set(w.node, [...(missingByNode.get(w.node) ?? []), id]);
        continue;
      }
      detections.push({
        kind: v.kind,
        subject: { type: 'gpu', id },
        severity: 'warning',
        title: `GPU ${id} on ${w.node}: ${v.reason}; no idle or bottleneck verdict from it`,
        evidence: {
          metric:
            v.kind === 'data_gr_engine_zero'
              ? 'DCGM_FI_PROF_GR_ENGINE_ACTIVE against DCGM_FI_DEV_GPU_UTIL'
              : 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION increase, distinct (activity, power) readings',
          window,
          values: {
            grEngineActiveMax: w.grMax,
            // means and sums rounded: PostgreSQL's parallel aggregation adds in no fixed order, and a last-digit
            // difference would count as a changed finding on every pass
            gpuUtilMean: round(w.gpuUtilMean, 3),
            energyJoules: round(w.energyJoules, 0),
            powerMeanWatts: round(w.powerMeanWatts, 1),
            distinctReadings: w.distinctReadings,
            node: w.node,
          },
          threshold: {
            grZeroGpuUtil: t.grZeroGpuUtil,
            minSamples: t.minSamples,
            frozenMinutes: t.frozenMinutes,
          },
          samples: w.minutes,
        },
        recommendation:
          v.kind === 'data_gr_engine_zero'
            ? `Restart dcgm-exporter (or nv-hostengine) on ${w.node}: its profiling module reads 0 under load, a known DCGM fault.`
            : `Restart dcgm-exporter on ${w.node}: it repeats stale readings.`,
      });
    }
  }
  for (const [node, ids] of missingByNode) {
    detections.push({
      kind: 'data_missing_profiling',
      subject: { type: 'node', id: node },
      severity: 'info',
      title: `${node}: ${ids.length} GPU(s) export no DCGM profiling fields; idle detection falls back to GPU_UTIL`,
      evidence: {
        metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE, SM_ACTIVE, PIPE_TENSOR_ACTIVE, DRAM_ACTIVE present',
        window,
        values: { gpus: ids.length, first: ids.sort()[0] ?? null },
        threshold: { profiledMinutes: 1 },
      },
      recommendation:
        'Enable the DCP fields in dcgm-exporter (dcp-metrics-included.csv) so activity, tensor and memory-bandwidth classes are measured.',
    });
  }

  const targets = await queryRows<Record<string, unknown>>(
    db,
    sql`select kind, url, node, up, last_success_at, last_error, last_duration_seconds, consecutive_failures
      from collector_targets`,
  );
  for (const r of targets) {
    const row: TargetRow = {
      kind: String(r.kind),
      url: String(r.url),
      node: (r.node as string | null) ?? null,
      up: Boolean(r.up),
      lastSuccessAt: r.last_success_at ? new Date(r.last_success_at as string) : null,
      lastError: (r.last_error as string | null) ?? null,
      lastDurationSeconds: r.last_duration_seconds === null ? null : Number(r.last_duration_seconds),
      consecutiveFailures: Number(r.consecutive_failures),
    };
    const v = judgeTarget(row, scrapeTimeoutSeconds[row.kind], t);
    if (!v) continue;
    detections.push({
      kind: v.kind,
      subject: { type: 'node', id: row.node ?? row.url },
      severity: v.severity,
      title: `${row.kind} target ${row.url}: ${v.reason}`,
      evidence: {
        metric: 'collector target status (up, consecutive failures, last scrape duration)',
        window,
        values: {
          kind: row.kind,
          url: row.url,
          up: row.up ? 1 : 0,
          consecutiveFailures: row.consecutiveFailures,
          lastDurationSeconds: row.lastDurationSeconds,
          lastSuccessAt: row.lastSuccessAt?.toISOString() ?? null,
        },
        threshold: {
          targetDownFailures: t.targetDownFailures,
          scrapeSlowShare: t.scrapeSlowShare,
          ...(scrapeTimeoutSeconds[row.kind]
            ? { timeoutSeconds: scrapeTimeoutSeconds[row.kind] as number }
            : {}),
        },
      },
      recommendation:
        v.kind === 'data_target_down'
          ? `Check the exporter on ${row.node ?? row.url}: while it is down its GPUs have no data and no verdicts.`
          : `Raise the scrape timeout or lighten the exporter on ${row.node ?? row.url} (fewer fields, longer interval).`,
    });
  }

  // GPU-minutes whose exporter named an owner (pod or Slurm job) that no job record matched
  const unattributed = await queryRows<{ node: string; minutes: number; unattributed: number }>(
    db,
    sql`select n.name as node, count(*)::int as minutes,
        (count(*) filter (where r.attribution = 'unattributed'))::int as unattributed
      from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
      where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${at} and r.owner_kind is not null
      group by n.name`,
  );
  for (const u of unattributed) {
    const share = u.minutes === 0 ? 0 : u.unattributed / u.minutes;
    if (share < t.unattributedShare || u.unattributed === 0) continue;
    detections.push({
      kind: 'data_unattributed',
      subject: { type: 'node', id: u.node },
      severity: 'warning',
      title: `${u.node}: ${Math.round(share * 100)} % of owned GPU-minutes match no job`,
      evidence: {
        metric: 'GPU-minutes with an exporter owner label (pod, hpc_job) and no matching job record',
        window,
        values: {
          ownedMinutes: u.minutes,
          unattributedMinutes: u.unattributed,
          share: Math.round(share * 1000) / 1000,
        },
        threshold: { unattributedShare: t.unattributedShare },
        samples: u.minutes,
      },
      recommendation:
        'Check the job collectors (sacct, the Kubernetes watch): their cost goes to no one until matched.',
    });
  }

  const nvlink = await queryRows<{ node: string; device: string; suspect: number; minutes: number }>(
    db,
    sql`select n.name as node, l.device, sum(lr.suspect_samples)::int as suspect, count(*)::int as minutes
      from link_rollups lr join links l on l.id = lr.link_id join nodes n on n.id = l.node_id
      where n.cluster = ${cluster} and l.link_type = 'nvlink' and l.port = -1
        and lr.bucket >= ${from} and lr.bucket < ${at}
      group by n.name, l.device having sum(lr.suspect_samples) > 0`,
  );
  for (const l of nvlink) {
    detections.push({
      kind: 'data_nvlink_suspect',
      subject: { type: 'link', id: `${l.node}/nvlink/${l.device}/-1` },
      severity: 'warning',
      title: `NVLink of ${l.device} on ${l.node} reads zero traffic while its multi-GPU job is busy`,
      evidence: {
        metric: 'DCGM_FI_PROF_NVLINK_TX/RX_BYTES against the job peers',
        window,
        values: { suspectSamples: l.suspect, minutes: l.minutes },
        threshold: { suspectSamples: 1 },
        samples: l.minutes,
      },
      recommendation: `Check dcgm-exporter on ${l.node}: NVLink counters of zero under a busy multi-GPU job are a known DCGM fault.`,
    });
  }
  return { detections };
}
