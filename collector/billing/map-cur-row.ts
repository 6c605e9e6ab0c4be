import { err, ok, type Result } from '../../core/result.js';
import { checkNegativeCosts, findInstanceType, Header, isCurrencyCode, RowReader } from './map-fields.js';
import type { MappedRow, RowMapper } from './types.js';

/** CUR line item types whose costs are negative by nature. */
const NEGATIVE_TYPES = new Set([
  'Credit',
  'Refund',
  'BundledDiscount',
  'Discount',
  'EdpDiscount',
  'PrivateRateDiscount',
  'DistributorDiscount',
  'SavingsPlanNegation',
  'RiVolumeDiscount',
]);

/** LineItemType → FOCUS ChargeCategory (as AWS's own FOCUS export maps them). */
const CHARGE_CATEGORY: Record<string, string> = {
  Usage: 'Usage',
  DiscountedUsage: 'Usage',
  SavingsPlanCoveredUsage: 'Usage',
  SavingsPlanNegation: 'Usage',
  Fee: 'Purchase',
  RIFee: 'Purchase',
  SavingsPlanUpfrontFee: 'Purchase',
  SavingsPlanRecurringFee: 'Purchase',
  Tax: 'Tax',
  Credit: 'Credit',
  Refund: 'Credit',
  BundledDiscount: 'Credit',
  Discount: 'Credit',
  EdpDiscount: 'Credit',
  PrivateRateDiscount: 'Credit',
  DistributorDiscount: 'Credit',
  RiVolumeDiscount: 'Credit',
};

/** pricing/term → FOCUS PricingCategory. */
const PRICING_CATEGORY: Record<string, string> = {
  OnDemand: 'Standard',
  Spot: 'Dynamic',
  Reserved: 'Committed',
};

/** Legacy CUR (`lineItem/UsageStartDate`) and CUR 2.0 (`line_item_usage_start_date`) names side by side. */
function columns(h: Header) {
  return {
    required: {
      'lineItem/UsageStartDate': h.find('lineItem/UsageStartDate', 'line_item_usage_start_date'),
      'lineItem/UsageEndDate': h.find('lineItem/UsageEndDate', 'line_item_usage_end_date'),
      'lineItem/UnblendedCost': h.find('lineItem/UnblendedCost', 'line_item_unblended_cost'),
      'lineItem/CurrencyCode': h.find('lineItem/CurrencyCode', 'line_item_currency_code'),
      'lineItem/LineItemType': h.find('lineItem/LineItemType', 'line_item_line_item_type'),
      'bill/PayerAccountId': h.find('bill/PayerAccountId', 'bill_payer_account_id'),
      'bill/BillingPeriodStartDate': h.find('bill/BillingPeriodStartDate', 'bill_billing_period_start_date'),
      'bill/BillingPeriodEndDate': h.find('bill/BillingPeriodEndDate', 'bill_billing_period_end_date'),
    },
    optional: {
      netCost: h.find('lineItem/NetUnblendedCost', 'line_item_net_unblended_cost'),
      listCost: h.find('pricing/publicOnDemandCost', 'pricing_public_on_demand_cost'),
      term: h.find('pricing/term', 'pricing_term'),
      service: h.find(
        'product/ProductName',
        'product_product_name',
        'product_servicename',
        'product/servicename',
      ),
      resourceId: h.find('lineItem/ResourceId', 'line_item_resource_id'),
      instanceType: h.find('product/instanceType', 'product_instance_type'),
      usageType: h.find('lineItem/UsageType', 'line_item_usage_type'),
      region: h.find('product/regionCode', 'product_region_code', 'product/region', 'product_region'),
      zone: h.find('lineItem/AvailabilityZone', 'line_item_availability_zone'),
      quantity: h.find('lineItem/UsageAmount', 'line_item_usage_amount'),
      unit: h.find('pricing/unit', 'pricing_unit'),
      tags: h.find('resource_tags'),
    },
    tagColumns: [...h.withPrefix('resourceTags/'), ...h.withPrefix('resource_tags_')],
  };
}

export function createCurRowMapper(names: readonly string[], file: string): Result<RowMapper, string> {
  const { required, optional: o, tagColumns } = columns(new Header(names));
  const missing = Object.entries(required).find(([, c]) => c === undefined);
  if (missing) return err(`${file}: missing required CUR column ${missing[0]}`);
  const c = required as Required;
  return ok((fields, lineNumber) => mapCurRow(new RowReader(file, lineNumber, fields), c, o, tagColumns));
}

type Columns = ReturnType<typeof columns>;
type Required = { [K in keyof Columns['required']]: NonNullable<Columns['required'][K]> };

function mapCurRow(
  r: RowReader,
  c: Required,
  o: Columns['optional'],
  tags: Columns['tagColumns'],
): MappedRow {
  const currency = r.required(c['lineItem/CurrencyCode']);
  if (currency !== '' && !isCurrencyCode(currency)) {
    r.fail(c['lineItem/CurrencyCode'], currency, 'is not an ISO 4217 code');
  }
  const type = r.required(c['lineItem/LineItemType']);
  const billedCost = r.decimal(c['lineItem/UnblendedCost']);
  if (billedCost === null && !r.skipped) r.fail(c['lineItem/UnblendedCost'], '', 'is empty');
  const effectiveCost = r.decimal(o.netCost);
  const listCost = r.decimal(o.listCost);
  const term = r.text(o.term);
  const usageType = r.text(o.usageType);
  const line = {
    lineNumber: r.line,
    provider: 'AWS',
    billingAccountId: r.required(c['bill/PayerAccountId']),
    billingPeriodStartMs: r.time(c['bill/BillingPeriodStartDate']),
    billingPeriodEndMs: r.time(c['bill/BillingPeriodEndDate']),
    chargePeriodStartMs: r.time(c['lineItem/UsageStartDate']),
    chargePeriodEndMs: r.time(c['lineItem/UsageEndDate']),
    chargeCategory: CHARGE_CATEGORY[type] ?? type,
    pricingCategory: term === null ? null : (PRICING_CATEGORY[term] ?? term),
    serviceName: r.text(o.service),
    resourceId: r.text(o.resourceId),
    instanceType: r.text(o.instanceType) ?? findInstanceType(usageType),
    region: r.text(o.region),
    availabilityZone: r.text(o.zone),
    usageQuantity: r.decimal(o.quantity),
    usageUnit: r.text(o.unit),
    billedCost: billedCost ?? 0n,
    effectiveCost,
    listCost,
    currency,
    tags: readTags(r, tags, o.tags),
  };
  checkNegativeCosts(
    r,
    [
      [c['lineItem/UnblendedCost'], billedCost],
      [o.netCost, effectiveCost],
    ],
    NEGATIVE_TYPES.has(type),
  );
  return { line: r.skipped ? undefined : line, issues: r.issues };
}

/** `resourceTags/user:team` → `team`; CUR 2.0 `resource_tags` is a JSON map keyed `user_team`. */
function readTags(
  r: RowReader,
  tagColumns: { key: string; at: number }[],
  json: ReturnType<Header['find']>,
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { key, at } of tagColumns) {
    const v = r.text({ name: key, at });
    if (v !== null) tags[key.replace(/^user:|^user_/, '')] = v;
  }
  const text = r.text(json);
  if (text !== null && json) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v === 'string') tags[k.replace(/^user_/, '')] = v;
      }
    } catch {
      r.warn(json, text, 'is not a JSON object; tags dropped');
    }
  }
  return tags;
}
