import type { Db } from '../core/db.js';
import { AppError } from '../core/errors.js';
import { findGpuIds, listTargets } from './queries.js';
import {
  countGpus,
  type GpuListRow,
  getGpuSeries,
  type ListGpusParams,
  listGpusWithLatest,
  type RollupValuesRow,
  seriesTableFor,
} from './read-queries.js';

type RollupFields = RollupValuesRow & { activity_source?: string | null };

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRollupValues(bucket: string, r: RollupFields) {
  return {
    bucket: new Date(bucket).toISOString(),
    sampleCount: Number(r.sample_count ?? 0),
    activitySource: (r.activity_source ?? null) as 'gr_engine_active' | 'gpu_util' | null,
    activityMeanRatio: num(r.activity_mean),
    activityMaxRatio: num(r.activity_max),
    smActiveMeanRatio: num(r.sm_active_mean),
    tensorActiveMeanRatio: num(r.tensor_active_mean),
    dramActiveMeanRatio: num(r.dram_active_mean),
    memoryUsedMaxBytes: num(r.memory_used_max_bytes),
    memoryTotalBytes: num(r.memory_total_bytes),
    powerMeanWatts: num(r.power_mean_watts),
    energyJoules: num(r.energy_joules),
    temperatureMaxCelsius: num(r.temperature_max_celsius),
    smClockMeanHertz: num(r.sm_clock_mean_hertz),
    xidCodes: (r.xid_codes ?? []).map(Number),
    clockEventReasons: Number(r.clock_event_reasons ?? 0),
    pcieTxBytesPerSecond: num(r.pcie_tx_bytes_per_second),
    pcieRxBytesPerSecond: num(r.pcie_rx_bytes_per_second),
    nvlinkTxBytesPerSecond: num(r.nvlink_tx_bytes_per_second),
    nvlinkRxBytesPerSecond: num(r.nvlink_rx_bytes_per_second),
  };
}

function toGpu(row: GpuListRow) {
  return {
    uuid: row.uuid,
    gpuInstanceId: row.gpu_instance_id,
    node: row.node,
    cluster: row.cluster,
    index: row.gpu_index,
    model: row.model,
    migProfile: row.mig_profile,
    pciBusId: row.pci_bus_id,
    driverVersion: row.driver_version,
    owner: row.owner_labels ?? {},
    lastSeenAt: new Date(row.last_seen_at).toISOString(),
    latest:
      row.bucket === null
        ? null
        : toRollupValues(row.bucket, {
            ...row,
            sample_count: row.sample_count ?? 0,
            xid_codes: row.xid_codes ?? [],
            clock_event_reasons: row.clock_event_reasons ?? 0,
          }),
  };
}

export async function listGpus(db: Db, params: ListGpusParams) {
  const [rows, total] = await Promise.all([listGpusWithLatest(db, params), countGpus(db)]);
  return { data: rows.map(toGpu), page: { limit: params.limit, offset: params.offset, total } };
}

export interface SeriesParams {
  from?: string | undefined;
  to?: string | undefined;
  step: number;
  gpuInstanceId?: number | undefined;
  nowMs: number;
}

const MAX_POINTS = 11_000;

export async function getGpuSeriesView(db: Db, uuid: string, params: SeriesParams) {
  const to = params.to ? new Date(params.to) : new Date(params.nowMs);
  const from = params.from ? new Date(params.from) : new Date(to.getTime() - 3_600_000);
  if (from >= to) throw new AppError('VALIDATION', 'from: must be before to');
  if (params.step % 60 !== 0) throw new AppError('VALIDATION', 'step: must be a multiple of 60 seconds');
  const points = (to.getTime() - from.getTime()) / 1000 / params.step;
  if (points > MAX_POINTS) {
    throw new AppError(
      'VALIDATION',
      `step: ${Math.ceil(points)} points requested; at most ${MAX_POINTS} (raise step)`,
    );
  }
  const gpuInstanceId = params.gpuInstanceId ?? null;
  const ids = await findGpuIds(db, uuid, gpuInstanceId);
  if (ids.length === 0)
    throw new AppError(
      'NOT_FOUND',
      `no GPU ${uuid}${gpuInstanceId === null ? '' : ` instance ${gpuInstanceId}`}`,
    );
  const rows = await getGpuSeries(db, ids, from, to, params.step);
  return {
    uuid,
    gpuInstanceId,
    from: from.toISOString(),
    to: to.toISOString(),
    stepSeconds: params.step,
    source: seriesTableFor(params.step),
    points: rows.map((r) => toRollupValues(r.t, r)),
  };
}

export async function listTargetViews(db: Db) {
  const rows = await listTargets(db);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    data: rows.map((r) => ({
      ...r,
      lastAttemptAt: iso(r.lastAttemptAt),
      lastSuccessAt: iso(r.lastSuccessAt),
    })),
  };
}
