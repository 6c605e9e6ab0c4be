import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { type Decimal, formatDecimal } from '../../core/decimal.js';
import type { BillingFormat, BillingLine } from './types.js';

export interface BillingPeriodKey {
  provider: string;
  billingAccountId: string;
  billingPeriodStartMs: number;
  billingPeriodEndMs: number;
}

/**
 * Takes the import row of a period (creating it with zero totals) and deletes the lines a previous import
 * stored for it: a restated bill replaces, never adds. Call inside the transaction that writes the new lines.
 */
export async function claimBillingPeriod(
  db: Db,
  key: BillingPeriodKey,
  meta: { format: BillingFormat; sourceFile: string; currency: string; now: Date },
): Promise<number> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`insert into billing_imports (format, provider, billing_account_id, billing_period_start, billing_period_end,
        source_file, sha256, currency, line_count, billed_cost_total, effective_cost_total, imported_at)
      values (${meta.format}, ${key.provider}, ${key.billingAccountId},
        ${new Date(key.billingPeriodStartMs).toISOString()}::timestamptz,
        ${new Date(key.billingPeriodEndMs).toISOString()}::timestamptz, ${meta.sourceFile}, '', ${meta.currency},
        0, 0, null, ${meta.now.toISOString()}::timestamptz)
      on conflict on constraint billing_imports_period_key do update set format = excluded.format,
        billing_period_end = excluded.billing_period_end, source_file = excluded.source_file, sha256 = '',
        currency = excluded.currency, line_count = 0, billed_cost_total = 0, effective_cost_total = null,
        imported_at = excluded.imported_at
      returning id`,
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('billing_imports upsert returned no id');
  await db.execute(sql`delete from billing_lines where import_id = ${id}`);
  return id;
}

/** Sets what is known once the whole file was read: its hash, line count and exact totals. */
export async function finishBillingPeriod(
  db: Db,
  importId: number,
  done: { sha256: string; lineCount: number; billedCostTotal: Decimal; effectiveCostTotal: Decimal | null },
): Promise<void> {
  const effective = done.effectiveCostTotal === null ? null : formatDecimal(done.effectiveCostTotal);
  await db.execute(sql`update billing_imports set sha256 = ${done.sha256}, line_count = ${done.lineCount},
      billed_cost_total = ${formatDecimal(done.billedCostTotal)}::numeric,
      effective_cost_total = ${effective}::numeric
    where id = ${importId}`);
}

const iso = (ms: number) => new Date(ms).toISOString();
const money = (d: Decimal | null) => (d === null ? null : formatDecimal(d));

/** One statement per call, one array per column through unnest(); numerics travel as exact text. */
export async function insertBillingLines(db: Db, importId: number, lines: readonly BillingLine[]) {
  if (lines.length === 0) return;
  const col = (type: string, pick: (l: BillingLine) => unknown) =>
    sql`${sql.param(lines.map(pick))}::${sql.raw(type)}`;
  await db.execute(sql`insert into billing_lines (import_id, line_number, charge_period_start, charge_period_end,
      charge_category, pricing_category, service_name, resource_id, instance_type, region, availability_zone,
      usage_quantity, usage_unit, billed_cost, effective_cost, list_cost, currency, tags)
    select ${importId}::int4, line_number, cps, cpe, charge_category, pricing_category, service_name, resource_id,
      instance_type, region, availability_zone, usage_quantity, usage_unit, billed_cost, effective_cost, list_cost,
      currency, tags::jsonb
    from unnest(${sql.join(
      [
        col('int4[]', (l) => l.lineNumber),
        col('timestamptz[]', (l) => iso(l.chargePeriodStartMs)),
        col('timestamptz[]', (l) => iso(l.chargePeriodEndMs)),
        col('text[]', (l) => l.chargeCategory),
        col('text[]', (l) => l.pricingCategory),
        col('text[]', (l) => l.serviceName),
        col('text[]', (l) => l.resourceId),
        col('text[]', (l) => l.instanceType),
        col('text[]', (l) => l.region),
        col('text[]', (l) => l.availabilityZone),
        col('numeric[]', (l) => money(l.usageQuantity)),
        col('text[]', (l) => l.usageUnit),
        col('numeric[]', (l) => formatDecimal(l.billedCost)),
        col('numeric[]', (l) => money(l.effectiveCost)),
        col('numeric[]', (l) => money(l.listCost)),
        col('text[]', (l) => l.currency),
        col('text[]', (l) => JSON.stringify(l.tags)),
      ],
      sql`, `,
    )}) as t(line_number, cps, cpe, charge_category, pricing_category, service_name, resource_id, instance_type,
      region, availability_zone, usage_quantity, usage_unit, billed_cost, effective_cost, list_cost, currency, tags)`);
}
