import { and, eq, isNull, sql } from 'drizzle-orm';
import { chunks } from '../core/chunks.js';
import type { Db } from '../core/db.js';
import { queryRows } from '../core/db.js';
import type { GpuLabels } from './dcgm/normalize.js';
import { xidUnion } from './read-queries.js';
import type { RollupRow } from './rollup/accumulate.js';
import { markJobUsageHoursChanged } from './rollup/summarize-job-usage.js';
import { collectorTargets, gpus, nodes } from './schema.js';

export async function upsertNodes(
  db: Db,
  cluster: string,
  names: string[],
  seenAt: Date,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks([...new Set(names)], 1000)) {
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

/** Inserts or refreshes GPUs; returns the id for each key. One array per column, as in upsertRollups. */
export async function upsertGpus(db: Db, items: GpuUpsert[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks(items, 5000)) {
    const byIdentity = new Map(part.map((i) => [`${i.nodeId}/${i.gpu.uuid}/${i.gpu.gpuInstanceId}`, i.key]));
    const col = <T>(type: string, pick: (i: GpuUpsert) => T) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    const rows = await queryRows<{
      id: number;
      node_id: number;
      uuid: string;
      gpu_instance_id: number | null;
    }>(
      db,
      sql`insert into gpus as g (node_id, uuid, gpu_instance_id, gpu_index, device, model, pci_bus_id, mig_profile,
          driver_version, owner_labels, first_seen_at, last_seen_at)
        select node_id, uuid, gpu_instance_id, gpu_index, device, model, pci_bus_id, mig_profile, driver_version,
          owner_labels::jsonb, seen_at, seen_at
        from unnest(${sql.join(
          [
            col('int4[]', (i) => i.nodeId),
            col('text[]', (i) => i.gpu.uuid),
            col('int4[]', (i) => i.gpu.gpuInstanceId),
            col('int4[]', (i) => i.gpu.gpuIndex),
            col('text[]', (i) => i.gpu.device),
            col('text[]', (i) => i.gpu.model),
            col('text[]', (i) => i.gpu.pciBusId),
            col('text[]', (i) => i.gpu.migProfile),
            col('text[]', (i) => i.gpu.driverVersion),
            col('text[]', (i) => JSON.stringify(i.gpu.owner)),
            col('timestamptz[]', (i) => i.seenAt.toISOString()),
          ],
          sql`, `,
        )}) as t(node_id, uuid, gpu_instance_id, gpu_index, device, model, pci_bus_id, mig_profile, driver_version,
          owner_labels, seen_at)
        on conflict (node_id, uuid, gpu_instance_id) do update set
          gpu_index = excluded.gpu_index, device = excluded.device, model = excluded.model,
          pci_bus_id = excluded.pci_bus_id, mig_profile = excluded.mig_profile,
          driver_version = excluded.driver_version, owner_labels = excluded.owner_labels,
          last_seen_at = greatest(g.last_seen_at, excluded.last_seen_at)
        returning id, node_id, uuid, gpu_instance_id`,
    );
    for (const row of rows) {
      const key = byIdentity.get(`${row.node_id}/${row.uuid}/${row.gpu_instance_id}`);
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
  'gpuUtilMean',
  'gpuUtilMax',
  'memoryTemperatureMaxCelsius',
  'powerLimitWatts',
  'pcieReplayDelta',
  'eccSbeVolatileDelta',
  'eccDbeVolatileDelta',
  'rowRemapFailure',
  'uncorrectableRemappedRows',
  'correctableRemappedRows',
] as const;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Minute rows only: an hour can span several owners, so the hourly level has no owner. */
const ownerColumns = ['ownerKind', 'ownerRef'] as const;

type RollupColumn = (typeof rollupValueColumns)[number] | (typeof ownerColumns)[number];

/** Postgres array type each rollup column travels as (one array per column, see upsertRollups). */
const columnArrayTypes: Record<RollupColumn, string> = {
  sampleCount: 'int4[]',
  activitySource: 'text[]',
  xidCodes: 'text[]',
  clockEventReasons: 'int8[]',
  activityMean: 'float8[]',
  activityMax: 'float8[]',
  smActiveMean: 'float8[]',
  smActiveMax: 'float8[]',
  tensorActiveMean: 'float8[]',
  tensorActiveMax: 'float8[]',
  dramActiveMean: 'float8[]',
  dramActiveMax: 'float8[]',
  encoderMean: 'float8[]',
  decoderMean: 'float8[]',
  memoryUsedMaxBytes: 'float8[]',
  memoryTotalBytes: 'float8[]',
  powerMeanWatts: 'float8[]',
  energyJoules: 'float8[]',
  temperatureMaxCelsius: 'float8[]',
  smClockMeanHertz: 'float8[]',
  pcieTxBytesPerSecond: 'float8[]',
  pcieRxBytesPerSecond: 'float8[]',
  nvlinkTxBytesPerSecond: 'float8[]',
  nvlinkRxBytesPerSecond: 'float8[]',
  gpuUtilMean: 'float8[]',
  gpuUtilMax: 'float8[]',
  memoryTemperatureMaxCelsius: 'float8[]',
  powerLimitWatts: 'float8[]',
  pcieReplayDelta: 'float8[]',
  eccSbeVolatileDelta: 'float8[]',
  eccDbeVolatileDelta: 'float8[]',
  rowRemapFailure: 'int4[]',
  uncorrectableRemappedRows: 'float8[]',
  correctableRemappedRows: 'float8[]',
  ownerKind: 'text[]',
  ownerRef: 'text[]',
};

/**
 * Upserts minute rollups. A row replaces a stored one only if it saw at least as many samples,
 * so a replayed batch rewrites identical values and a restarted collector's partial minute
 * never overwrites a fuller one. Rows travel as one array per column through unnest(): 38
 * parameters instead of 38 per row, which keeps 10,000-row batches cheap to build and to plan.
 */
export async function upsertRollups(
  db: Db,
  rows: readonly (RollupRow & { gpuId: number })[],
): Promise<number> {
  const valueColumns = [...rollupValueColumns, ...ownerColumns];
  const columns = ['gpuId', 'bucket', ...valueColumns].map(snake).join(', ');
  // a rewritten minute may have another owner: clear its attribution so the attribution tick looks again
  const updates = [
    ...valueColumns.map((c) => `${snake(c)} = excluded.${snake(c)}`),
    'job_ref = null',
    'attribution = null',
  ].join(', ');
  for (const part of chunks(rows, 5000)) {
    const arrays = [
      sql`${sql.param(part.map((r) => r.gpuId))}::int4[]`,
      sql`${sql.param(part.map((r) => new Date(r.bucketMs).toISOString()))}::timestamptz[]`,
      ...valueColumns.map((c) => {
        const values =
          c === 'xidCodes' ? part.map((r) => `{${r.xidCodes.join(',')}}`) : part.map((r) => r[c]);
        return sql`${sql.param(values)}::${sql.raw(columnArrayTypes[c])}`;
      }),
    ];
    await db.execute(sql`insert into gpu_rollups (${sql.raw(columns)})
      select gpu_id, bucket, ${sql.raw(valueColumns.map((c) => (c === 'xidCodes' ? 'xid_codes::int4[]' : snake(c))).join(', '))}
      from unnest(${sql.join(arrays, sql`, `)}) as t(${sql.raw(columns)})
      on conflict (gpu_id, bucket) do update set ${sql.raw(updates)}
      where excluded.sample_count >= gpu_rollups.sample_count`);
  }
  await markJobUsageHoursChanged(
    db,
    rows.map((r) => new Date(r.bucketMs)),
  );
  return rows.length;
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
        pcie_rx_bytes_per_second, nvlink_tx_bytes_per_second, nvlink_rx_bytes_per_second, gpu_util_mean,
        gpu_util_max, memory_temperature_max_celsius, power_limit_watts, pcie_replay_delta, ecc_sbe_volatile_delta,
        ecc_dbe_volatile_delta, row_remap_failure, uncorrectable_remapped_rows, correctable_remapped_rows)
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
        avg(nvlink_tx_bytes_per_second), avg(nvlink_rx_bytes_per_second),
        sum(gpu_util_mean * sample_count) / nullif(sum(sample_count) filter (where gpu_util_mean is not null), 0),
        max(gpu_util_max), max(memory_temperature_max_celsius),
        sum(power_limit_watts * sample_count) / nullif(sum(sample_count) filter (where power_limit_watts is not null), 0),
        sum(pcie_replay_delta), sum(ecc_sbe_volatile_delta), sum(ecc_dbe_volatile_delta),
        max(row_remap_failure), max(uncorrectable_remapped_rows), max(correctable_remapped_rows)
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
      h as (delete from gpu_rollups_hourly where bucket < ${hourlyBefore} returning 1),
      -- job-usage summaries live as long as the minutes they sum
      s as (delete from job_gpu_usage_hours where hour < ${minuteBefore}),
      v as (delete from job_usage_hours where hour < ${minuteBefore})
      select (select count(*) from m)::int as minute, (select count(*) from h)::int as hourly`,
  );
  return rows[0] ?? { minute: 0, hourly: 0 };
}

export interface TargetStatus {
  kind: 'dcgm' | 'prometheus' | 'slurm' | 'kubernetes' | 'infiniband' | 'node_exporter' | 'aws' | 'billing';
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
  for (const part of chunks(statuses, 5000)) {
    const col = <T>(type: string, pick: (s: TargetStatus) => T) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    await db.execute(sql`insert into collector_targets as c (kind, url, node, up, last_attempt_at, last_success_at,
        last_error, last_duration_seconds, last_sample_count, last_issue_count, consecutive_failures)
      select * from unnest(${sql.join(
        [
          col('text[]', (s) => s.kind),
          col('text[]', (s) => s.url),
          col('text[]', (s) => s.node),
          col('bool[]', (s) => s.up),
          col('timestamptz[]', (s) => iso(s.lastAttemptAt)),
          col('timestamptz[]', (s) => iso(s.lastSuccessAt)),
          col('text[]', (s) => s.lastError),
          col('float8[]', (s) => s.lastDurationSeconds),
          col('int4[]', (s) => s.lastSampleCount),
          col('int4[]', (s) => s.lastIssueCount),
          col('int4[]', (s) => s.consecutiveFailures),
        ],
        sql`, `,
      )})
      on conflict (url) do update set kind = excluded.kind, node = excluded.node, up = excluded.up,
        last_attempt_at = excluded.last_attempt_at,
        last_success_at = coalesce(excluded.last_success_at, c.last_success_at),
        last_error = excluded.last_error, last_duration_seconds = excluded.last_duration_seconds,
        last_sample_count = excluded.last_sample_count, last_issue_count = excluded.last_issue_count,
        consecutive_failures = excluded.consecutive_failures`);
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

/** Names of the nodes telemetry has seen in a cluster (to match cloud instances and billing lines to them). */
export async function listNodeNames(db: Db, cluster: string): Promise<string[]> {
  const rows = await db.select({ name: nodes.name }).from(nodes).where(eq(nodes.cluster, cluster));
  return rows.map((r) => r.name);
}
