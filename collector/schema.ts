import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { jobs } from './jobs/schema.js';

const tz = { withTimezone: true, mode: 'date' } as const;

export const nodes = pgTable(
  'nodes',
  {
    id: serial().primaryKey(),
    cluster: text().notNull(),
    name: text().notNull(),
    firstSeenAt: timestamp(tz).notNull().defaultNow(),
    lastSeenAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [unique('nodes_cluster_name_key').on(t.cluster, t.name)],
);

/** A physical GPU (gpuInstanceId null) or one MIG GPU instance of it. */
export const gpus = pgTable(
  'gpus',
  {
    id: serial().primaryKey(),
    nodeId: integer()
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    uuid: text().notNull(),
    gpuInstanceId: integer(),
    gpuIndex: integer(),
    device: text(),
    model: text(),
    pciBusId: text(),
    migProfile: text(),
    driverVersion: text(),
    /** Owner labels exactly as the exporter gave them (pod, namespace, container, hpc_job). */
    ownerLabels: jsonb().$type<Record<string, string>>().notNull().default({}),
    firstSeenAt: timestamp(tz).notNull().defaultNow(),
    lastSeenAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [
    unique('gpus_node_uuid_instance_key').on(t.nodeId, t.uuid, t.gpuInstanceId).nullsNotDistinct(),
    // serves GET /api/v1/gpus/{uuid}/series
    index('gpus_uuid_idx').on(t.uuid),
  ],
);

const rollupColumns = () => ({
  gpuId: integer()
    .notNull()
    .references(() => gpus.id, { onDelete: 'cascade' }),
  bucket: timestamp(tz).notNull(),
  sampleCount: integer().notNull(),
  /** 'gr_engine_active' or 'gpu_util': which DCGM field the activity columns came from. */
  activitySource: text(),
  activityMean: doublePrecision(),
  activityMax: doublePrecision(),
  smActiveMean: doublePrecision(),
  smActiveMax: doublePrecision(),
  tensorActiveMean: doublePrecision(),
  tensorActiveMax: doublePrecision(),
  dramActiveMean: doublePrecision(),
  dramActiveMax: doublePrecision(),
  encoderMean: doublePrecision(),
  decoderMean: doublePrecision(),
  memoryUsedMaxBytes: doublePrecision(),
  memoryTotalBytes: doublePrecision(),
  powerMeanWatts: doublePrecision(),
  energyJoules: doublePrecision(),
  temperatureMaxCelsius: doublePrecision(),
  smClockMeanHertz: doublePrecision(),
  xidCodes: integer().array().notNull().default(sql`'{}'::integer[]`),
  clockEventReasons: bigint({ mode: 'number' }).notNull().default(0),
  pcieTxBytesPerSecond: doublePrecision(),
  pcieRxBytesPerSecond: doublePrecision(),
  nvlinkTxBytesPerSecond: doublePrecision(),
  nvlinkRxBytesPerSecond: doublePrecision(),
  /** DCGM_FI_DEV_GPU_UTIL (0–1) even when activity came from GR_ENGINE_ACTIVE: GR reading 0 under load is a known fault. */
  gpuUtilMean: doublePrecision(),
  gpuUtilMax: doublePrecision(),
  memoryTemperatureMaxCelsius: doublePrecision(),
  powerLimitWatts: doublePrecision(),
  /** Counter increases in the bucket (PCIe replays, volatile single-/double-bit ECC errors); resets add nothing. */
  pcieReplayDelta: doublePrecision(),
  eccSbeVolatileDelta: doublePrecision(),
  eccDbeVolatileDelta: doublePrecision(),
  /** 1 when DCGM_FI_DEV_ROW_REMAP_FAILURE was set during the bucket. */
  rowRemapFailure: integer(),
  uncorrectableRemappedRows: doublePrecision(),
  correctableRemappedRows: doublePrecision(),
});

/**
 * One row per GPU per minute, written as an idempotent upsert keyed by (gpu, bucket). The owner columns are
 * what the exporter's labels said during that minute; job_ref and attribution are filled in afterwards by
 * the attribution tick (and cleared whenever the row is rewritten, so it is looked at again).
 */
export const gpuRollups = pgTable(
  'gpu_rollups',
  {
    ...rollupColumns(),
    /** 'slurm' (hpc_job label) or 'pod' (pod + namespace labels), null when the exporter named no owner. */
    ownerKind: text(),
    /** The Slurm job id, or `namespace/pod`. */
    ownerRef: text(),
    jobRef: integer().references(() => jobs.id, { onDelete: 'set null' }),
    /** 'exporter_label' | 'scheduler' | 'unattributed'; null until the attribution tick has looked. */
    attribution: text(),
  },
  (t) => [
    primaryKey({ columns: [t.gpuId, t.bucket] }),
    // serves retention deletes and fleet-wide window scans
    index('gpu_rollups_bucket_idx').on(t.bucket),
    // serves per-job efficiency summaries
    index('gpu_rollups_job_ref_idx').on(t.jobRef).where(sql`job_ref is not null`),
  ],
);

/** The same shape per hour, derived from gpu_rollups, for long windows and long retention. */
export const gpuRollupsHourly = pgTable('gpu_rollups_hourly', rollupColumns(), (t) => [
  primaryKey({ columns: [t.gpuId, t.bucket] }),
  index('gpu_rollups_hourly_bucket_idx').on(t.bucket),
]);

/**
 * Per job, GPU and hour, the minutes of `gpu_rollups` summed up for week-long look-backs (right-sizing): activity
 * (activity_max, on activityStep's grid) and memory used in MiB as sparse histograms — parallel arrays of value and count,
 * at most 60 entries — from which any percentile is read to that step, plus the sums the trust rules need.
 */
export const jobGpuUsageHours = pgTable(
  'job_gpu_usage_hours',
  {
    jobRef: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    gpuId: integer()
      .notNull()
      .references(() => gpus.id, { onDelete: 'cascade' }),
    hour: timestamp(tz).notNull(),
    minutes: integer().notNull(),
    activityMinutes: integer().notNull(),
    activityPercent: smallint().array().notNull(),
    activityCounts: smallint().array().notNull(),
    memoryMib: integer().array().notNull(),
    memoryCounts: smallint().array().notNull(),
    /** The hour's own p95 activity on the same grid: a floor for any window's p95 that contains the hour. */
    activityP95: doublePrecision('activity_p95'),
    activityMax: doublePrecision(),
    memoryUsedMaxBytes: doublePrecision(),
    memoryTotalBytes: doublePrecision(),
    codecMax: doublePrecision(),
    gpuUtilSum: doublePrecision(),
    gpuUtilCount: integer().notNull(),
    energyCount: integer().notNull(),
    energyJoules: doublePrecision(),
    powerSumWatts: doublePrecision(),
    powerCount: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.jobRef, t.gpuId, t.hour] }),
    // serves the look-back's read of clean hours and their replacement
    index('job_gpu_usage_hours_hour_idx').on(t.hour),
  ],
);

/**
 * Which hours `job_gpu_usage_hours` holds and whether they are current: every write or re-attribution of a
 * minute bumps `change_version`; a summary records the version it read. Equal versions: the summary is clean.
 */
export const jobUsageHours = pgTable('job_usage_hours', {
  hour: timestamp(tz).primaryKey(),
  changeVersion: integer().notNull().default(1),
  summarizedVersion: integer(),
  summarizedAt: timestamp(tz),
});

export const collectorTargets = pgTable('collector_targets', {
  kind: text().notNull(),
  url: text().notNull().primaryKey(),
  node: text(),
  up: boolean().notNull(),
  lastAttemptAt: timestamp(tz),
  lastSuccessAt: timestamp(tz),
  lastError: text(),
  lastDurationSeconds: doublePrecision(),
  lastSampleCount: integer(),
  lastIssueCount: integer(),
  consecutiveFailures: integer().notNull().default(0),
});

/** An InfiniBand port (device = HCA, port = port number) or an NVLink (device = GPU UUID, port = link, -1 = all). */
export const links = pgTable(
  'links',
  {
    id: serial().primaryKey(),
    nodeId: integer()
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    linkType: text().$type<'infiniband' | 'nvlink'>().notNull(),
    device: text().notNull(),
    port: integer().notNull(),
    rateBitsPerSecond: doublePrecision(),
    state: text(),
    physState: text(),
    /** GPU indices this HCA serves (from config or `nvidia-smi topo -m`). */
    gpuIndices: integer().array().notNull().default(sql`'{}'::integer[]`),
    firstSeenAt: timestamp(tz).notNull().defaultNow(),
    lastSeenAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [unique('links_node_type_device_port_key').on(t.nodeId, t.linkType, t.device, t.port)],
);

/** One row per link per minute, an idempotent upsert keyed by (link, bucket) like gpu_rollups. */
export const linkRollups = pgTable(
  'link_rollups',
  {
    linkId: integer()
      .notNull()
      .references(() => links.id, { onDelete: 'cascade' }),
    bucket: timestamp(tz).notNull(),
    sampleCount: integer().notNull(),
    txBytesPerSecondMean: doublePrecision(),
    txBytesPerSecondMax: doublePrecision(),
    rxBytesPerSecondMean: doublePrecision(),
    rxBytesPerSecondMax: doublePrecision(),
    utilizationMax: doublePrecision(),
    /** port_xmit_wait ticks per second: time the port had data to send but no credits (congestion). */
    xmitWaitPerSecond: doublePrecision(),
    /** Error counter increases in the minute, by counter name. */
    errorDeltas: jsonb().$type<Record<string, number>>().notNull().default({}),
    errorsTotal: doublePrecision().notNull().default(0),
    linkDowned: integer().notNull().default(0),
    stateChanges: integer().notNull().default(0),
    /** The link went down or changed state often enough within the flap window. */
    flapping: boolean().notNull().default(false),
    /** Readings whose counters were saturated, reset or implausible: their rates were left out, not guessed. */
    counterIssues: integer().notNull().default(0),
    /** NVLink readings of zero traffic on a busy GPU of a multi-GPU job (a known DCGM fault), not believed. */
    suspectSamples: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.bucket] }), index('link_rollups_bucket_idx').on(t.bucket)],
);
