import { err, ok, type Result } from '../../core/result.js';
import {
  checkNegativeCosts,
  findInstanceType,
  Header,
  isCurrencyCode,
  type RowReader as Reader,
  RowReader,
} from './map-fields.js';
import type { RowMapper } from './types.js';

/**
 * FOCUS 1.0–1.2 (and the 1.0-preview names `Region`, `UsageQuantity`, `UsageUnit`). Later versions only add
 * columns, so one mapping serves them all; unknown columns are ignored. `ServiceProviderName` (1.3) stands in
 * for `ProviderName`.
 */
export function createFocusRowMapper(names: readonly string[], file: string): Result<RowMapper, string> {
  const h = new Header(names);
  const required = {
    billedCost: h.find('BilledCost'),
    account: h.find('BillingAccountId'),
    currency: h.find('BillingCurrency'),
    periodStart: h.find('BillingPeriodStart'),
    periodEnd: h.find('BillingPeriodEnd'),
    chargeStart: h.find('ChargePeriodStart'),
    chargeEnd: h.find('ChargePeriodEnd'),
    provider: h.find('ProviderName', 'ServiceProviderName'),
  };
  const missing = Object.entries(required).find(([, c]) => c === undefined);
  if (missing) return err(`${file}: missing required FOCUS column ${columnLabel(missing[0])}`);
  const c = required as { [K in keyof typeof required]: NonNullable<(typeof required)[K]> };
  const o = {
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
  };
  return ok((fields, lineNumber) => {
    const r = new RowReader(file, lineNumber, fields);
    const currency = r.required(c.currency);
    if (currency !== '' && !isCurrencyCode(currency)) r.fail(c.currency, currency, 'is not an ISO 4217 code');
    const billedCost = r.decimal(c.billedCost);
    if (billedCost === null && !r.skipped) r.fail(c.billedCost, '', 'is empty');
    const effectiveCost = r.decimal(o.effectiveCost);
    const listCost = r.decimal(o.listCost);
    const chargeCategory = r.text(o.chargeCategory);
    const line = {
      lineNumber,
      provider: r.required(c.provider),
      billingAccountId: r.required(c.account),
      billingPeriodStartMs: r.time(c.periodStart),
      billingPeriodEndMs: r.time(c.periodEnd),
      chargePeriodStartMs: r.time(c.chargeStart),
      chargePeriodEndMs: r.time(c.chargeEnd),
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
    const mayBeNegative =
      chargeCategory === 'Credit' ||
      chargeCategory === 'Adjustment' ||
      r.text(o.chargeClass) === 'Correction';
    checkNegativeCosts(
      r,
      [
        [c.billedCost, billedCost],
        [o.effectiveCost, effectiveCost],
        [o.listCost, listCost],
      ],
      mayBeNegative,
    );
    return { line: r.skipped ? undefined : line, issues: r.issues };
  });
}

function columnLabel(key: string): string {
  const labels: Record<string, string> = {
    billedCost: 'BilledCost',
    account: 'BillingAccountId',
    currency: 'BillingCurrency',
    periodStart: 'BillingPeriodStart',
    periodEnd: 'BillingPeriodEnd',
    chargeStart: 'ChargePeriodStart',
    chargeEnd: 'ChargePeriodEnd',
    provider: 'ProviderName',
  };
  return labels[key] ?? key;
}

type Col = ReturnType<Header['find']>;

/** SkuPriceDetails (1.1+) may name it; else AWS's x_UsageType; else the description ("… g5.4xlarge Instance Hour"). */
function readInstanceType(r: Reader, details: Col, usageType: Col, description: Col): string | null {
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
function parseFocusTags(r: Reader, column: Col): Record<string, string> {
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
