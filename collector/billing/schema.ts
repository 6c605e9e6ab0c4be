import {
  bigserial,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

const tz = { withTimezone: true, mode: 'date' } as const;
/** Money as exact decimals: 10 places covers AWS's fractional-cent unit prices; never floats. */
const money = () => numeric({ precision: 24, scale: 10 });

/**
 * One billing period of one billing account from one provider. Re-importing the same period (a restated
 * bill) replaces its lines in one transaction, so totals never double.
 */
export const billingImports = pgTable(
  'billing_imports',
  {
    id: serial().primaryKey(),
    format: text().$type<'focus' | 'cur'>().notNull(),
    provider: text().notNull(),
    billingAccountId: text().notNull(),
    billingPeriodStart: timestamp(tz).notNull(),
    billingPeriodEnd: timestamp(tz).notNull(),
    sourceFile: text().notNull(),
    /** SHA-256 of the file as read (after gunzip), to tell a restatement from a repeat. */
    sha256: text().notNull(),
    currency: text().notNull(),
    lineCount: integer().notNull(),
    billedCostTotal: money().notNull(),
    effectiveCostTotal: money(),
    importedAt: timestamp(tz).notNull().defaultNow(),
  },
  (t) => [unique('billing_imports_period_key').on(t.provider, t.billingAccountId, t.billingPeriodStart)],
);

/** One cost line as billed, in the provider's currency; FOCUS names, CUR mapped onto them. */
export const billingLines = pgTable(
  'billing_lines',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    importId: integer()
      .notNull()
      .references(() => billingImports.id, { onDelete: 'cascade' }),
    lineNumber: integer().notNull(),
    chargePeriodStart: timestamp(tz).notNull(),
    chargePeriodEnd: timestamp(tz).notNull(),
    chargeCategory: text(),
    pricingCategory: text(),
    serviceName: text(),
    resourceId: text(),
    instanceType: text(),
    region: text(),
    availabilityZone: text(),
    usageQuantity: numeric({ precision: 24, scale: 10 }),
    usageUnit: text(),
    billedCost: money().notNull(),
    effectiveCost: money(),
    listCost: money(),
    currency: text().notNull(),
    tags: jsonb().$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [
    index('billing_lines_import_id_idx').on(t.importId),
    // serves matching a node's instance to its charges over a window
    index('billing_lines_resource_period_idx').on(t.resourceId, t.chargePeriodStart),
    index('billing_lines_period_idx').on(t.chargePeriodStart),
  ],
);
