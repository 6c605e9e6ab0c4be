import { err, ok, type Result } from '../../core/result.js';
import { checkNegativeCosts, findInstanceType, Header, isCurrencyCode, RowReader } from './map-fields.js';
import type { MappedRow, RowMapper } from './types.js';

/**
 * FOCUS 1.0–1.2 (and the 1.0-preview names `Region`, `UsageQuantity`, `UsageUnit`). Later versions only add
 * columns, so one mapping serves them all; unknown columns are ignored. `ServiceProviderName` (1.3) stands in
 * for `ProviderName`.
 */
function focusColumns(h: Header) {
  return {
    required: {
      BilledCost: h.find('BilledCost'),
      BillingAccountId: h.find('BillingAccountId'),
      BillingCurrency: h.find('BillingCurrency'),
      BillingPeriodStart: h.find('BillingPeriodStart'),
      BillingPeriodEnd: h.find('BillingPeriodEnd'),
      ChargePeriodStart: h.find('ChargePeriodStart'),
      ChargePeriodEnd: h.find('ChargePeriodEnd'),
      ProviderName: h.find('ProviderName', 'ServiceProviderName'),
    },
    optional: {
      effectiveCost: h.find('EffectiveCost'),
      listCost: h.find('ListCost'),
      chargeCategory: h.find('ChargeCategory'),
      chargeClass: h.find('ChargeClass'),
      pricingCategory: h.find('PricingCategory'),
      serviceName: h.find('ServiceName'),
      resourceId: h.find('ResourceId'),
      region: h.find('RegionId', 'Region'),
      zone: h.find('AvailabilityZone'),
      quantity: h.find('ConsumedQuantity', 'UsageQuantity'),
      unit: h.find('ConsumedUnit', 'UsageUnit'),
      tags: h.find('Tags'),
      usageType: h.find('x_UsageType', 'x_usage_type'),
      skuDetails: h.find('SkuPriceDetails'),
      description: h.find('ChargeDescription'),
    },
  };
}

type Columns = ReturnType<typeof focusColumns>;
type Required = { [K in keyof Columns['required']]: NonNullable<Columns['required'][K]> };

export function createFocusRowMapper(names: readonly string[], file: string): Result<RowMapper, string> {
  const { required, optional } = focusColumns(new Header(names));
  const missing = Object.entries(required).find(([, c]) => c === undefined);
  if (missing) return err(`${file}: missing required FOCUS column ${missing[0]}`);
  const c = required as Required;
  return ok((fields, lineNumber) => mapFocusRow(new RowReader(file, lineNumber, fields), c, optional));
}

function mapFocusRow(r: RowReader, c: Required, o: Columns['optional']): MappedRow {
  const currency = r.required(c.BillingCurrency);
  if (currency !== '' && !isCurrencyCode(currency))
    r.fail(c.BillingCurrency, currency, 'is not an ISO 4217 code');
  const billedCost = r.decimal(c.BilledCost);
  if (billedCost === null && !r.skipped) r.fail(c.BilledCost, '', 'is empty');
  const effectiveCost = r.decimal(o.effectiveCost);
  const listCost = r.decimal(o.listCost);
  const chargeCategory = r.text(o.chargeCategory);
  const line = {
    lineNumber: r.line,
    provider: r.required(c.ProviderName),
    billingAccountId: r.required(c.BillingAccountId),
    billingPeriodStartMs: r.time(c.BillingPeriodStart),
    billingPeriodEndMs: r.time(c.BillingPeriodEnd),
    chargePeriodStartMs: r.time(c.ChargePeriodStart),
    chargePeriodEndMs: r.time(c.ChargePeriodEnd),
    chargeCategory,
    pricingCategory: r.text(o.pricingCategory),
    serviceName: r.text(o.serviceName),
    resourceId: r.text(o.resourceId),
    instanceType: readInstanceType(r, o.skuDetails, o.usageType, o.description),
    region: r.text(o.region),
    availabilityZone: r.text(o.zone),
    usageQuantity: r.decimal(o.quantity),
    usageUnit: r.text(o.unit),
    billedCost: billedCost ?? 0n,
    effectiveCost,
    listCost,
    currency,
    tags: parseFocusTags(r, o.tags),
  };
  // credits and adjustments are negative by nature; ChargeClass=Correction fixes an earlier period
  const mayBeNegative =
    chargeCategory === 'Credit' || chargeCategory === 'Adjustment' || r.text(o.chargeClass) === 'Correction';
  const costs = [
    [c.BilledCost, billedCost],
    [o.effectiveCost, effectiveCost],
    [o.listCost, listCost],
  ] as const;
  checkNegativeCosts(r, costs, mayBeNegative);
  return { line: r.skipped ? undefined : line, issues: r.issues };
}

type Col = ReturnType<Header['find']>;

/** SkuPriceDetails (1.1+) may name it; else AWS's x_UsageType; else the description ("… g5.4xlarge Instance Hour"). */
function readInstanceType(r: RowReader, details: Col, usageType: Col, description: Col): string | null {
  const json = r.text(details);
  if (json?.includes('nstance')) {
    try {
      const parsed = JSON.parse(json) as Record<string, unknown>;
      const v = parsed.InstanceType ?? parsed.x_InstanceType ?? parsed.instanceType;
      if (typeof v === 'string' && v !== '') return v;
    } catch {
      // malformed details are not worth an issue: the type is a convenience, the cost is what matters
    }
  }
  return findInstanceType(r.text(usageType), r.text(description));
}

/** FOCUS Tags is a JSON object; values that are not strings are kept as their JSON text. */
function parseFocusTags(r: RowReader, column: Col): Record<string, string> {
  const text = r.text(column);
  if (text === null || !column) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    r.warn(column, text, 'is not a JSON object; tags dropped');
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    r.warn(column, text, 'is not a JSON object; tags dropped');
    return {};
  }
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) tags[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return tags;
}
