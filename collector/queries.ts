import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../core/db.js';
import { queryRows } from '../core/db.js';
import type { GpuLabels } from './dcgm/normalize.js';
import { xidUnion } from './read-queries.js';
import type { RollupRow } from './rollup/accumulate.js';
import { collectorTargets, gpuRollups, gpus, nodes } from './schema.js';

const CHUNK = 1000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function upsertNodes(
  db: Db,
  cluster: string,
  names: string[],
  seenAt: Date,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks([...new Set(names)])) {
    const rows = await db
      .insert(nodes)
      .values(part.map((name) => ({ cluster, name, firstSeenAt: seenAt, lastSeenAt: seenAt })))
      .onConflictDoUpdate({
        target: [nodes.cluster, nodes.name],
        set: { lastSeenAt: sql`greatest(${nodes.lastSeenAt}, excluded.last_seen_at)` },
      })
      .returning({ id: nodes.id, name: nodes.name });
    for (const row of rows) ids.set(row.name, row.id);
  }
  return ids;
}

export interface GpuUpsert {
  key: string;
  nodeId: number;
  gpu: GpuLabels;
  seenAt: Date;
}

/** Inserts or refreshes GPUs; returns the id for each key. */
export async function upsertGpus(db: Db, items: GpuUpsert[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks(items)) {
    const byIdentity = new Map(part.map((i) => [`${i.nodeId}/${i.gpu.uuid}/${i.gpu.gpuInstanceId}`, i.key]));
    const rows = await db
      .insert(gpus)
      .values(
        part.map((i) => ({
          nodeId: i.nodeId,
          uuid: i.gpu.uuid,
          gpuInstanceId: i.gpu.gpuInstanceId,
          gpuIndex: i.gpu.gpuIndex,
          device: i.gpu.device,
          model: i.gpu.model,
          pciBusId: i.gpu.pciBusId,
          migProfile: i.gpu.migProfile,
          driverVersion: i.gpu.driverVersion,
          ownerLabels: i.gpu.owner,
          firstSeenAt: i.seenAt,
          lastSeenAt: i.seenAt,
        })),
      )
      .onConflictDoUpdate({
        target: [gpus.nodeId, gpus.uuid, gpus.gpuInstanceId],
        set: {
          gpuIndex: sql`excluded.gpu_index`,
          device: sql`excluded.device`,
          model: sql`excluded.model`,
          pciBusId: sql`excluded.pci_bus_id`,
          migProfile: sql`excluded.mig_profile`,
          driverVersion: sql`excluded.driver_version`,
          ownerLabels: sql`excluded.owner_labels`,
          lastSeenAt: sql`greatest(${gpus.lastSeenAt}, excluded.last_seen_at)`,
        },
      })
      .returning({ id: gpus.id, nodeId: gpus.nodeId, uuid: gpus.uuid, gpuInstanceId: gpus.gpuInstanceId });
    for (const row of rows) {
      const key = byIdentity.get(`${row.nodeId}/${row.uuid}/${row.gpuInstanceId}`);
      if (key) ids.set(key, row.id);
    }
  }
  return ids;
}

const rollupValueColumns = [
  'sampleCount',
  'activitySource',
  'activityMean',
  'activityMax',
  'smActiveMean',
  'smActiveMax',
  'tensorActiveMean',
  'tensorActiveMax',
  'dramActiveMean',
  'dramActiveMax',
  'encoderMean',
  'decoderMean',
  'memoryUsedMaxBytes',
  'memoryTotalBytes',
  'powerMeanWatts',
  'energyJoules',
  'temperatureMaxCelsius',
  'smClockMeanHertz',
  'xidCodes',
  'clockEventReasons',
  'pcieTxBytesPerSecond',
  'pcieRxBytesPerSecond',
  'nvlinkTxBytesPerSecond',
  'nvlinkRxBytesPerSecond',
] as const;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Upserts minute rollups. A row replaces a stored one only if it saw at least as many samples,
 * so a replayed batch rewrites identical values and a restarted collector's partial minute
 * never overwrites a fuller one.
 */
export async function upsertRollups(
  db: Db,
  rows: readonly (RollupRow & { gpuId: number })[],
): Promise<number> {
  const set = Object.fromEntries(rollupValueColumns.map((c) => [c, sql.raw(`excluded.${snake(c)}`)]));
  let written = 0;
  for (const part of chunks(rows)) {
    await db
      .insert(gpuRollups)
      .values(
        part.map((r) => {
          const values: Record<string, unknown> = { gpuId: r.gpuId, bucket: new Date(r.bucketMs) };
          for (const c of rollupValueColumns) values[c] = r[c];
          return values as typeof gpuRollups.$inferInsert;
        }),
      )
      .onConflictDoUpdate({
        target: [gpuRollups.gpuId, gpuRollups.bucket],
        set,
        setWhere: sql`excluded.sample_count >= ${gpuRollups.sampleCount}`,
      });
    written += part.length;
  }
  return written;
}

/** Recomputes the hourly level from minute rows for [from, to): idempotent, safe to repeat. */
export async function rollupHourly(db: Db, from: Date, to: Date): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with upserted as (
      insert into gpu_rollups_hourly as h (gpu_id, bucket, sample_count, activity_source, activity_mean, activity_max,
        sm_active_mean, sm_active_max, tensor_active_mean, tensor_active_max, dram_active_mean, dram_active_max,
        encoder_mean, decoder_mean, memory_used_max_bytes, memory_total_bytes, power_mean_watts, energy_joules,
        temperature_max_celsius, sm_clock_mean_hertz, xid_codes, clock_event_reasons, pcie_tx_bytes_per_second,
        pcie_rx_bytes_per_second, nvlink_tx_bytes_per_second, nvlink_rx_bytes_per_second)
      select gpu_id, date_trunc('hour', bucket), sum(sample_count), max(activity_source),
        sum(activity_mean * sample_count) / nullif(sum(sample_count) filter (where activity_mean is not null), 0),
        max(activity_max),
        sum(sm_active_mean * sample_count) / nullif(sum(sample_count) filter (where sm_active_mean is not null), 0),
        max(sm_active_max),
        sum(tensor_active_mean * sample_count) / nullif(sum(sample_count) filter (where tensor_active_mean is not null), 0),
        max(tensor_active_max),
        sum(dram_active_mean * sample_count) / nullif(sum(sample_count) filter (where dram_active_mean is not null), 0),
        max(dram_active_max),
        sum(encoder_mean * sample_count) / nullif(sum(sample_count) filter (where encoder_mean is not null), 0),
        sum(decoder_mean * sample_count) / nullif(sum(sample_count) filter (where decoder_mean is not null), 0),
        max(memory_used_max_bytes), max(memory_total_bytes),
        sum(power_mean_watts * sample_count) / nullif(sum(sample_count) filter (where power_mean_watts is not null), 0),
        sum(energy_joules), max(temperature_max_celsius),
        sum(sm_clock_mean_hertz * sample_count) / nullif(sum(sample_count) filter (where sm_clock_mean_hertz is not null), 0),
        ${xidUnion},
        bit_or(clock_event_reasons),
        avg(pcie_tx_bytes_per_second), avg(pcie_rx_bytes_per_second),
        avg(nvlink_tx_bytes_per_second), avg(nvlink_rx_bytes_per_second)
      from gpu_rollups r
      where bucket >= ${from} and bucket < ${to}
      group by gpu_id, date_trunc('hour', bucket)
      on conflict (gpu_id, bucket) do update set
        ${sql.raw(rollupValueColumns.map((c) => `${snake(c)} = excluded.${snake(c)}`).join(', '))}
      returning 1
    ) select count(*)::int as n from upserted`,
  );
  return rows[0]?.n ?? 0;
}

export async function deleteExpiredRollups(
  db: Db,
  minuteBefore: Date,
  hourlyBefore: Date,
): Promise<{ minute: number; hourly: number }> {
  const rows = await queryRows<{ minute: number; hourly: number }>(
    db,
    sql`with m as (delete from gpu_rollups where bucket < ${minuteBefore} returning 1),
      h as (delete from gpu_rollups_hourly where bucket < ${hourlyBefore} returning 1)
      select (select count(*) from m)::int as minute, (select count(*) from h)::int as hourly`,
  );
  return rows[0] ?? { minute: 0, hourly: 0 };
}

export interface TargetStatus {
  kind: 'dcgm' | 'prometheus';
  url: string;
  node: string | null;
  up: boolean;
  lastAttemptAt: Date;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastDurationSeconds: number;
  lastSampleCount: number | null;
  lastIssueCount: number | null;
  consecutiveFailures: number;
}

export async function upsertTargetStatuses(db: Db, statuses: TargetStatus[]): Promise<void> {
  for (const part of chunks(statuses)) {
    await db
      .insert(collectorTargets)
      .values(part)
      .onConflictDoUpdate({
        target: collectorTargets.url,
        set: {
          kind: sql`excluded.kind`,
          node: sql`excluded.node`,
          up: sql`excluded.up`,
          lastAttemptAt: sql`excluded.last_attempt_at`,
          lastSuccessAt: sql`coalesce(excluded.last_success_at, ${collectorTargets.lastSuccessAt})`,
          lastError: sql`excluded.last_error`,
          lastDurationSeconds: sql`excluded.last_duration_seconds`,
          lastSampleCount: sql`excluded.last_sample_count`,
          lastIssueCount: sql`excluded.last_issue_count`,
          consecutiveFailures: sql`excluded.consecutive_failures`,
        },
      });
  }
}

export async function listTargets(db: Db) {
  return db.select().from(collectorTargets).orderBy(collectorTargets.kind, collectorTargets.url);
}

export async function findGpuIds(db: Db, uuid: string, gpuInstanceId: number | null): Promise<number[]> {
  const rows = await db
    .select({ id: gpus.id })
    .from(gpus)
    .where(
      and(
        eq(gpus.uuid, uuid),
        gpuInstanceId === null ? isNull(gpus.gpuInstanceId) : eq(gpus.gpuInstanceId, gpuInstanceId),
      ),
    );
  return rows.map((r) => r.id);
}
