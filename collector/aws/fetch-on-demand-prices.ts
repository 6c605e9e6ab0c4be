import { type Filter, type PricingClient, paginateGetProducts } from '@aws-sdk/client-pricing';
import { type OnDemandPrice, parsePriceListItem } from './parse-price-list.js';
import type { PriceRow } from './types.js';

export interface OnDemandPricesRead {
  rows: PriceRow[];
  /** Items skipped (Capacity Block, $0.00, malformed) and instance types with no price: reported, never $0. */
  issues: string[];
}

/**
 * The filters that select the single on-demand Linux price of one instance type in one region. Without
 * `marketoption=OnDemand` p4d-class types also return their $0.00 Capacity Block entries.
 */
export function buildOnDemandFilters(region: string, instanceType: string): Filter[] {
  const match = (Field: string, Value: string): Filter => ({ Type: 'TERM_MATCH', Field, Value });
  return [
    match('ServiceCode', 'AmazonEC2'),
    match('regionCode', region),
    match('instanceType', instanceType),
    match('operatingSystem', 'Linux'),
    match('tenancy', 'Shared'),
    match('preInstalledSw', 'NA'),
    match('capacitystatus', 'Used'),
    match('marketoption', 'OnDemand'),
  ];
}

/** GetProducts for one (region, instance type), every page. API errors (throttling included) throw. */
export async function fetchOnDemandPrices(
  pricing: PricingClient,
  region: string,
  instanceType: string,
): Promise<OnDemandPricesRead> {
  const found: OnDemandPrice[] = [];
  const issues: string[] = [];
  const pages = paginateGetProducts(
    { client: pricing },
    {
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      Filters: buildOnDemandFilters(region, instanceType),
    },
  );
  for await (const page of pages) {
    const items = Array.isArray(page.PriceList) ? page.PriceList : [];
    for (const item of items) {
      const parsed = parsePriceListItem(typeof item === 'string' ? item : JSON.stringify(item));
      if (parsed.ok) found.push(parsed.value);
      else issues.push(`${region} ${instanceType}: ${parsed.error}`);
    }
  }
  const matching = found.filter((p) => p.instanceType === instanceType && p.regionCode === region);
  if (matching.length === 0)
    issues.push(`${region} ${instanceType}: no on-demand price (not priced, never $0)`);
  return { rows: dedupeOnDemand(matching).map((p) => toPriceRow(p, region)), issues };
}

/** One price per effective date; AWS sometimes repeats an item across pages. */
function dedupeOnDemand(prices: OnDemandPrice[]): OnDemandPrice[] {
  const byDate = new Map<number, OnDemandPrice>();
  for (const p of prices) byDate.set(p.effectiveFrom.getTime(), p);
  return [...byDate.values()];
}

function toPriceRow(p: OnDemandPrice, region: string): PriceRow {
  return {
    provider: 'aws',
    kind: 'on_demand',
    region,
    availabilityZone: '',
    instanceType: p.instanceType,
    usdPerHour: p.usdPerHour,
    effectiveFrom: p.effectiveFrom,
    source: `aws-pricing:GetProducts sku=${p.sku} term=${p.offerTermCode} rate=${p.rateCode}`,
  };
}
