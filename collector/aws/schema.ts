import { integer, jsonb, numeric, pgTable, serial, text, timestamp, unique } from 'drizzle-orm/pg-core';

const tz = { withTimezone: true, mode: 'date' } as const;

/**
 * Hourly prices with the time they apply from, each with where it came from. `kind`: on_demand (Pricing
 * GetProducts), spot (DescribeSpotPriceHistory, per AZ), price_book (config). A price is never zero by default:
 * an instance type with no price has no row, and reports say so.
 */
export const prices = pgTable(
  'prices',
  {
    id: serial().primaryKey(),
    provider: text().notNull(),
    kind: text().$type<'on_demand' | 'spot' | 'price_book'>().notNull(),
    region: text().notNull().default(''),
    /** '' for prices that do not depend on the zone. */
    availabilityZone: text().notNull().default(''),
    /** Instance type, or for the price book the GPU model. */
    instanceType: text().notNull(),
    usdPerHour: numeric({ precision: 20, scale: 10 }).notNull(),
    effectiveFrom: timestamp(tz).notNull(),
    /** e.g. `aws-pricing:GetProducts sku=… term=JRTCKXETXF` or `config:priceBook`. */
    source: text().notNull(),
    fetchedAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [
    unique('prices_key').on(
      t.provider,
      t.kind,
      t.region,
      t.availabilityZone,
      t.instanceType,
      t.effectiveFrom,
    ),
  ],
);

/** GPU facts per instance type from DescribeInstanceTypes (keyed by name AND memory: p4de reports A100 80 GiB). */
export const instanceTypes = pgTable('instance_types', {
  name: text().primaryKey(),
  gpuModel: text(),
  gpuManufacturer: text(),
  gpuCount: integer().notNull().default(0),
  gpuMemoryMib: integer(),
  vcpus: integer(),
  memoryMib: integer(),
  source: text().notNull(),
  fetchedAt: timestamp(tz).notNull().defaultNow(),
});

/** EC2 inventory from DescribeInstances, and the node each instance is (by providerID or private DNS). */
export const cloudInstances = pgTable(
  'cloud_instances',
  {
    instanceId: text().primaryKey(),
    instanceType: text().notNull(),
    region: text().notNull(),
    availabilityZone: text(),
    privateDnsName: text(),
    node: text(),
    /** on-demand | spot | capacity-block | scheduled */
    market: text().notNull(),
    state: text().notNull(),
    launchedAt: timestamp(tz),
    tags: jsonb().$type<Record<string, string>>().notNull().default({}),
    lastSeenAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [unique('cloud_instances_node_key').on(t.node)],
);
