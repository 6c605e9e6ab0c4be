import type { Db } from '../../core/db.js';
import { AppError } from '../../core/errors.js';
import { type LinkSummaryRow, listLinkSummaries } from '../link-queries.js';
import { findJobs, type JobRow, listJobGpus, listJobs } from './read-queries.js';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const isoOrNull = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Allocated GPU-hours: what the scheduler reserved, whatever the GPUs did with it. */
function allocatedGpuHours(row: JobRow, nowMs: number): number | null {
  if (row.started_at === null) return null;
  const end = row.ended_at === null ? nowMs : new Date(row.ended_at).getTime();
  return (row.gpus_allocated * Math.max(0, end - new Date(row.started_at).getTime())) / 3_600_000;
}

export function toJobSummary(row: JobRow, nowMs: number) {
  return {
    id: row.job_id,
    source: row.source,
    cluster: row.cluster,
    name: row.name,
    user: row.user,
    account: row.account,
    namespace: row.namespace,
    partition: row.partition,
    team: row.team,
    project: row.project,
    state: row.state,
    rawState: row.raw_state,
    submittedAt: isoOrNull(row.submitted_at),
    startedAt: isoOrNull(row.started_at),
    endedAt: isoOrNull(row.ended_at),
    gpusRequested: row.gpus_requested,
    gpusAllocated: row.gpus_allocated,
    gpuType: row.gpu_type,
    nodes: row.nodes,
    gpuHours: allocatedGpuHours(row, nowMs),
    efficiency: {
      measuredGpuHours: Number(row.measured_gpu_minutes) / 60,
      activityMeanRatio: num(row.activity_mean),
      memoryPeakBytes: num(row.memory_used_max_bytes),
      energyJoules: num(row.energy_joules),
      schedulerGpuUtilizationPercent: num(row.scheduler_gpu_utilization_percent),
      schedulerGpuMemoryBytes: num(row.scheduler_gpu_memory_bytes),
    },
  };
}

export interface JobListParams {
  from?: string | undefined;
  to?: string | undefined;
  user?: string | undefined;
  team?: string | undefined;
  state?: string | undefined;
  source?: 'slurm' | 'kubernetes' | undefined;
  limit: number;
  nowMs: number;
}

export async function listJobViews(db: Db, params: JobListParams) {
  const to = params.to === undefined ? new Date(params.nowMs) : new Date(params.to);
  const from = params.from === undefined ? new Date(to.getTime() - 86_400_000) : new Date(params.from);
  if (from >= to) throw new AppError('VALIDATION', 'from must be before to');
  const { nowMs, from: _f, to: _t, ...filters } = params;
  const rows = await listJobs(db, { ...filters, from, to });
  return {
    data: rows.map((r) => toJobSummary(r, nowMs)),
    window: { from: from.toISOString(), to: to.toISOString() },
  };
}

export function toLinkView(row: LinkSummaryRow) {
  return {
    node: row.node,
    cluster: row.cluster,
    type: row.link_type,
    device: row.device,
    port: row.port,
    rateBitsPerSecond: num(row.rate_bits_per_second),
    state: row.state,
    physState: row.phys_state,
    gpuIndices: row.gpu_indices,
    lastSeenAt: new Date(row.last_seen_at).toISOString(),
    window: {
      minutes: Number(row.minutes),
      txBytesPerSecondMean: num(row.tx_bytes_per_second_mean),
      rxBytesPerSecondMean: num(row.rx_bytes_per_second_mean),
      txBytesPerSecondMax: num(row.tx_bytes_per_second_max),
      rxBytesPerSecondMax: num(row.rx_bytes_per_second_max),
      utilizationMaxRatio: num(row.utilization_max),
      xmitWaitPerSecondMean: num(row.xmit_wait_per_second_mean),
      errorsTotal: num(row.errors_total) ?? 0,
      errorDeltas: row.error_deltas ?? {},
      stateChanges: num(row.state_changes) ?? 0,
      linkDowned: num(row.link_downed) ?? 0,
      flappingMinutes: num(row.flapping_minutes) ?? 0,
      suspectMinutes: num(row.suspect_minutes) ?? 0,
      counterIssueMinutes: num(row.counter_issue_minutes) ?? 0,
    },
  };
}

/** One job with its GPUs (allocated and measured) and the fabric links its GPUs used while it ran. */
export async function getJobView(
  db: Db,
  jobId: string,
  source: 'slurm' | 'kubernetes' | undefined,
  nowMs: number,
) {
  const rows = await findJobs(db, jobId, source);
  if (rows.length === 0) throw new AppError('NOT_FOUND', `no job ${jobId}`);
  if (rows.length > 1) {
    const where = rows.map((r) => `${r.source} in ${r.cluster}`).join(', ');
    throw new AppError('CONFLICT', `job id ${jobId} is ambiguous (${where}): add ?source=`);
  }
  const row = rows[0]!;
  const gpus = await listJobGpus(db, row.id);
  const from = row.started_at === null ? null : new Date(row.started_at);
  const to = row.ended_at === null ? new Date(nowMs) : new Date(row.ended_at);
  const links =
    from === null || from >= to
      ? []
      : await listLinkSummaries(db, {
          from,
          to,
          nodes: row.nodes,
          gpuIndices: gpus.map((g) => g.gpu_index).filter((i) => i !== null),
          limit: 1000,
        });
  return {
    ...toJobSummary(row, nowMs),
    owners: row.owners,
    gpus: gpus.map((g) => ({
      node: g.node,
      index: g.gpu_index,
      uuid: g.gpu_uuid,
      migProfile: g.mig_profile,
      model: g.model,
      measuredMinutes: Number(g.measured_minutes),
      activityMeanRatio: num(g.activity_mean),
      memoryPeakBytes: num(g.memory_used_max_bytes),
    })),
    links: links.map(toLinkView),
  };
}
