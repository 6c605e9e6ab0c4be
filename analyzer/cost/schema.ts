import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { billingImports } from '../../collector/billing/schema.js';

const tz = { withTimezone: true, mode: 'date' } as const;
const money = () => numeric({ precision: 24, scale: 10 });

/**
 * What each hour cost and who it is charged to. Rebuilt per hour (idempotent), so a late job record, a
 * restated bill or a new price rewrites the hour instead of adding to it. `kind`:
 * - `usage`: GPU-minutes a job held and used;
 * - `idle`: GPU-minutes a job held while the GPU was idle (allocated-but-idle);
 * - `unallocated`: GPU capacity no job held (or minutes with no telemetry on a billed node);
 * - `other`: billing lines no node covers (other services, untracked instances), owned by their tags.
 * `cost` is null only for `unpriced` rows: GPU-hours with no price anywhere, reported and never charged $0.
 */
const allocationColumns = () => ({
  id: bigserial({ mode: 'number' }).primaryKey(),
  cluster: text().notNull(),
  kind: text().$type<AllocationKind>().notNull(),
  /** '' when the row is not a node's (kind other). */
  node: text().notNull().default(''),
  jobRef: integer(),
  jobId: text(),
  jobName: text(),
  user: text(),
  team: text(),
  project: text(),
  namespace: text(),
  gpuModel: text(),
  /** GPU-hours the cost covers (MIG slices weighted by their fraction of the GPU). */
  gpuHours: doublePrecision().notNull().default(0),
  cost: money(),
  currency: text().notNull(),
  /** billing_actual | committed | spot | on_demand | price_book | tags | unpriced */
  priceTier: text().notNull(),
  priceSource: text().notNull(),
  /** For `other`: the service the billing line was for. */
  serviceName: text(),
});

export type AllocationKind = 'usage' | 'idle' | 'unallocated' | 'other';

export const costAllocations = pgTable(
  'cost_allocations',
  { hour: timestamp(tz).notNull(), ...allocationColumns() },
  (t) => [index('cost_allocations_cluster_hour_idx').on(t.cluster, t.hour)],
);

/** The same rows summed per UTC day: a month's report reads ~30× fewer rows. Rebuilt from the hourly rows. */
export const costAllocationsDaily = pgTable(
  'cost_allocations_daily',
  { day: timestamp(tz).notNull(), ...allocationColumns() },
  (t) => [index('cost_allocations_daily_cluster_day_idx').on(t.cluster, t.day)],
);

/**
 * One node-hour: what it cost, by which price, and the telemetry estimate beside the bill, so reports can show
 * how far estimates were from the bill (the reconciliation adjustment).
 */
export const costNodeHours = pgTable(
  'cost_node_hours',
  {
    cluster: text().notNull(),
    node: text().notNull(),
    hour: timestamp(tz).notNull(),
    instanceId: text(),
    instanceType: text(),
    gpuModel: text(),
    gpuCapacity: doublePrecision().notNull(),
    /** Minutes of the hour with telemetry from the node. */
    presentMinutes: integer().notNull(),
    cost: money(),
    /** The price-based estimate, also when the hour was billed (null: no price). */
    estimatedCost: money(),
    billed: boolean().notNull(),
    currency: text().notNull(),
    priceTier: text().notNull(),
    priceSource: text().notNull(),
    stale: boolean().notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.cluster, t.node, t.hour] }),
    index('cost_node_hours_hour_idx').on(t.hour),
    // the report's unpriced list reads only these
    index('cost_node_hours_unpriced_idx').on(t.cluster, t.hour).where(sql`cost is null`),
  ],
);

/** Which billing import the allocation has taken in, and as of which import time: a restatement re-applies. */
export const costBillingApplied = pgTable('cost_billing_applied', {
  importId: integer()
    .primaryKey()
    .references(() => billingImports.id, { onDelete: 'cascade' }),
  importedAt: timestamp(tz).notNull(),
  appliedAt: timestamp(tz).notNull().defaultNow(),
});

/**
 * `cost_node_hours` summed per node and UTC day, for the report's reconciliation, stale-price count and unpriced
 * GPU-hours over long windows (a month of a 1,250-node fleet is 900k node-hours but 37k node-days).
 */
export const costNodeDays = pgTable(
  'cost_node_days',
  {
    cluster: text().notNull(),
    node: text().notNull(),
    day: timestamp(tz).notNull(),
    gpuModel: text(),
    /** Billed node-hours that also had a price-based estimate, and both sums over them. */
    reconciledNodeHours: integer().notNull(),
    reconciledEstimate: money(),
    reconciledBilled: money(),
    staleNodeHours: integer().notNull(),
    unpricedGpuHours: doublePrecision().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cluster, t.node, t.day] }),
    index('cost_node_days_cluster_day_idx').on(t.cluster, t.day),
  ],
);

/**
 * What each job cost per UTC day, its usage and idle side by side, summed over nodes: the by-job report of a
 * month reads this (a row per job-day) instead of every node-kind row of `cost_allocations_daily`.
 */
export const costJobDays = pgTable(
  'cost_job_days',
  {
    cluster: text().notNull(),
    day: timestamp(tz).notNull(),
    jobRef: integer().notNull(),
    jobId: text(),
    gpuModel: text(),
    currency: text().notNull(),
    priceTier: text().notNull(),
    cost: money(),
    idleCost: money(),
    gpuHours: doublePrecision().notNull(),
    idleGpuHours: doublePrecision().notNull(),
  },
  (t) => [index('cost_job_days_cluster_day_idx').on(t.cluster, t.day)],
);
