import { err, ok, type Result } from '../../core/result.js';
import { DECIMAL, isZeroDecimal } from './types.js';

/** One on-demand hourly price read from a Pricing GetProducts `PriceList` item. */
export interface OnDemandPrice {
  sku: string;
  offerTermCode: string;
  rateCode: string;
  /** Decimal string, e.g. `32.7726000000`; never zero. */
  usdPerHour: string;
  effectiveFrom: Date;
  instanceType: string;
  regionCode: string;
  capacityStatus: string;
  marketOption: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (obj: Json, key: string): string | undefined =>
  typeof obj[key] === 'string' ? (obj[key] as string) : undefined;

/**
 * Parses one PriceList item (a JSON string). Capacity Block entries (marketoption CapacityBlock, operation
 * `RunInstances:CB`) carry $0.00 and a $0.00 rate is never a real on-demand price, so both come back as an
 * issue: a missing price must be reported, never read as free.
 */
export function parsePriceListItem(text: string): Result<OnDemandPrice, string> {
  let item: unknown;
  try {
    item = JSON.parse(text);
  } catch {
    return err(`PriceList item is not valid JSON (${text.slice(0, 60)}…)`);
  }
  if (!isObject(item) || !isObject(item.product) || !isObject(item.product.attributes)) {
    return err('PriceList item has no product.attributes');
  }
  const attrs = item.product.attributes;
  const sku = str(item.product, 'sku') ?? '?';
  const instanceType = str(attrs, 'instanceType');
  if (!instanceType) return err(`sku ${sku}: no instanceType attribute`);
  const marketOption = str(attrs, 'marketoption') ?? 'OnDemand';
  const where = `sku ${sku} ${instanceType}`;
  if (marketOption !== 'OnDemand' || str(attrs, 'operation')?.endsWith(':CB')) {
    return err(`${where}: skipped ${marketOption} entry (Capacity Block prices are not on-demand prices)`);
  }
  const dimension = findHourlyDimension(item.terms);
  if (!dimension.ok) return err(`${where}: ${dimension.error}`);
  const { term, rateCode, usd } = dimension.value;
  if (isZeroDecimal(usd)) return err(`${where}: skipped $0.00 rate ${rateCode}`);
  const effective = new Date(str(term, 'effectiveDate') ?? '');
  if (Number.isNaN(effective.getTime())) return err(`${where}: no valid effectiveDate`);
  return ok({
    sku,
    offerTermCode: str(term, 'offerTermCode') ?? '',
    rateCode,
    usdPerHour: usd,
    effectiveFrom: effective,
    instanceType,
    regionCode: str(attrs, 'regionCode') ?? '',
    capacityStatus: str(attrs, 'capacitystatus') ?? '',
    marketOption,
  });
}

/** The single OnDemand term's hourly USD price dimension. */
function findHourlyDimension(terms: unknown): Result<{ term: Json; rateCode: string; usd: string }, string> {
  const onDemand = isObject(terms) && isObject(terms.OnDemand) ? Object.values(terms.OnDemand) : [];
  for (const term of onDemand) {
    if (!isObject(term) || !isObject(term.priceDimensions)) continue;
    for (const [key, dim] of Object.entries(term.priceDimensions)) {
      if (!isObject(dim) || str(dim, 'unit') !== 'Hrs') continue;
      const usd = isObject(dim.pricePerUnit) ? str(dim.pricePerUnit, 'USD') : undefined;
      if (usd === undefined) return err(`rate ${key} has no USD price`);
      if (!DECIMAL.test(usd)) return err(`rate ${key} has a malformed USD price "${usd}"`);
      return ok({ term, rateCode: str(dim, 'rateCode') ?? key, usd });
    }
  }
  return err('no OnDemand hourly (Hrs) price dimension');
}
