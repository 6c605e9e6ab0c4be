import { sql } from 'drizzle-orm';
import type { Db } from '../core/db.js';
import { queryRows } from '../core/db.js';

/** The rollup columns as SQL returns them (snake_case; bigint bitmask may arrive as a string). */
export interface RollupValuesRow {
  sample_count: number;
  activity_mean: number | null;
  activity_max: number | null;
  sm_active_mean: number | null;
  tensor_active_mean: number | null;
  dram_active_mean: number | null;
  memory_used_max_bytes: number | null;
  memory_total_bytes: number | null;
  power_mean_watts: number | null;
  energy_joules: number | null;
  temperature_max_celsius: number | null;
  sm_clock_mean_hertz: number | null;
  xid_codes: number[];
  clock_event_reasons: string | number;
  pcie_tx_bytes_per_second: number | null;
  pcie_rx_bytes_per_second: number | null;
  nvlink_tx_bytes_per_second: number | null;
  nvlink_rx_bytes_per_second: number | null;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** A GPU with its newest minute; the rollup columns are all null for a GPU with no rollup yet. */
export interface GpuListRow extends Nullable<RollupValuesRow> {
  id: number;
  uuid: string;
  gpu_instance_id: number | null;
  gpu_index: number | null;
  node: string;
  cluster: string;
  model: string | null;
  mig_profile: string | null;
  pci_bus_id: string | null;
  driver_version: string | null;
  owner_labels: Record<string, string>;
  last_seen_at: string;
  bucket: string | null;
  activity_source: string | null;
}

export interface ListGpusParams {
  node?: string | undefined;
  model?: string | undefined;
  limit: number;
  offset: number;
}

/** Every GPU with its newest minute rollup (an index-backed lateral lookup per GPU). */
export async function listGpusWithLatest(db: Db, params: ListGpusParams): Promise<GpuListRow[]> {
  return queryRows<GpuListRow>(
    db,
    sql`select g.id, g.uuid, g.gpu_instance_id, g.gpu_index, n.name as node, n.cluster, g.model, g.mig_profile,
        g.pci_bus_id, g.driver_version, g.owner_labels, g.last_seen_at::text as last_seen_at,
        r.bucket::text as bucket, r.sample_count, r.activity_source, r.activity_mean, r.activity_max,
        r.sm_active_mean, r.tensor_active_mean, r.dram_active_mean, r.memory_used_max_bytes,
        r.memory_total_bytes, r.power_mean_watts, r.energy_joules, r.temperature_max_celsius,
        r.sm_clock_mean_hertz, r.xid_codes, r.clock_event_reasons, r.pcie_tx_bytes_per_second,
        r.pcie_rx_bytes_per_second, r.nvlink_tx_bytes_per_second, r.nvlink_rx_bytes_per_second
      from gpus g
      join nodes n on n.id = g.node_id
      left join lateral (
        select * from gpu_rollups r where r.gpu_id = g.id order by r.bucket desc limit 1
      ) r on true
      where (${params.node ?? null}::text is null or n.name = ${params.node ?? null})
        and (${params.model ?? null}::text is null or g.model = ${params.model ?? null})
      order by n.name, g.gpu_index nulls last, g.uuid, g.gpu_instance_id nulls first
      limit ${params.limit} offset ${params.offset}`,
  );
}

export async function countGpus(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from gpus`);
  return rows[0]?.n ?? 0;
}

/** The distinct XID codes of a group of rows, sorted (aggregate context). */
export const xidUnion = sql.raw(
  `(select coalesce(array_agg(distinct v::int order by v::int), '{}') from unnest(string_to_array(` +
    `string_agg(nullif(array_to_string(xid_codes, ','), ''), ','), ',')) v)`,
);

export interface SeriesPoint extends RollupValuesRow {
  gpu_id: number;
  t: string;
}

/** Whole-hour steps read the hourly level; any other step re-buckets minute rows. */
export function seriesTableFor(stepSeconds: number): 'gpu_rollups' | 'gpu_rollups_hourly' {
  return stepSeconds % 3600 === 0 ? 'gpu_rollups_hourly' : 'gpu_rollups';
}

/**
 * Rollups of the given GPUs between from and to, re-bucketed to `stepSeconds`: means weighted by
 * sample count, maxima of maxima, energy summed. Steps of an hour or more read the hourly level.
 */
export async function getGpuSeries(
  db: Db,
  gpuIds: number[],
  from: Date,
  to: Date,
  stepSeconds: number,
): Promise<SeriesPoint[]> {
  if (gpuIds.length === 0) return [];
  const table = seriesTableFor(stepSeconds);
  const step = `${Math.round(stepSeconds)} seconds`;
  const w = (c: string) =>
    sql.raw(
      `sum(${c} * sample_count) / nullif(sum(sample_count) filter (where ${c} is not null), 0) as ${c}`,
    );
  return queryRows<SeriesPoint>(
    db,
    sql`select gpu_id, date_bin(${step}::interval, bucket, timestamptz '2000-01-01') as t,
        sum(sample_count)::int as sample_count,
        ${w('activity_mean')}, max(activity_max) as activity_max, ${w('sm_active_mean')},
        ${w('tensor_active_mean')}, ${w('dram_active_mean')},
        max(memory_used_max_bytes) as memory_used_max_bytes, max(memory_total_bytes) as memory_total_bytes,
        ${w('power_mean_watts')}, sum(energy_joules) as energy_joules,
        max(temperature_max_celsius) as temperature_max_celsius, ${w('sm_clock_mean_hertz')},
        ${xidUnion} as xid_codes,
        bit_or(clock_event_reasons) as clock_event_reasons,
        ${w('pcie_tx_bytes_per_second')}, ${w('pcie_rx_bytes_per_second')},
        ${w('nvlink_tx_bytes_per_second')}, ${w('nvlink_rx_bytes_per_second')}
      from ${sql.raw(table)}
      where gpu_id in ${gpuIds} and bucket >= ${from} and bucket < ${to}
      group by gpu_id, t
      order by gpu_id, t`,
  );
}
