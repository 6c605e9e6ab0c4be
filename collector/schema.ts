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
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

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
});

/** One row per GPU per minute, written as an idempotent upsert keyed by (gpu, bucket). */
export const gpuRollups = pgTable('gpu_rollups', rollupColumns(), (t) => [
  primaryKey({ columns: [t.gpuId, t.bucket] }),
  // serves retention deletes and fleet-wide window scans
  index('gpu_rollups_bucket_idx').on(t.bucket),
]);

/** The same shape per hour, derived from gpu_rollups, for long windows and long retention. */
export const gpuRollupsHourly = pgTable('gpu_rollups_hourly', rollupColumns(), (t) => [
  primaryKey({ columns: [t.gpuId, t.bucket] }),
  index('gpu_rollups_hourly_bucket_idx').on(t.bucket),
]);

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
