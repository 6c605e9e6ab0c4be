import type { PriceBookConfig } from '../../core/config.js';
import { divideDecimal, numberToDecimal } from '../../core/decimal.js';
import type { PriceRow } from './types.js';

/**
 * Price-book rows from config: $ per GPU-hour by GPU model (kind price_book, provider `config`, no region).
 * Effective from `now`; re-applying an unchanged book adds nothing (see upsertPrices). A configured 0 is kept:
 * it is an explicit statement (owned, fully depreciated hardware), unlike an API's missing price.
 */
export function buildPriceBookRows(book: PriceBookConfig, now: Date): PriceRow[] {
  return Object.entries(book.gpuHourUsd).map(([gpuModel, usd]) => ({
    provider: 'config',
    kind: 'price_book',
    region: '',
    availabilityZone: '',
    instanceType: gpuModel,
    usdPerHour: numberToDecimal(usd),
    effectiveFrom: now,
    source: `config:priceBook.gpuHourUsd[${gpuModel}]`,
  }));
}

/** $ per node-hour on top of its GPUs: the node's own entry, else `*`, else none. */
export function resolveNodeOverheadHourUsd(book: PriceBookConfig, node: string): string | undefined {
  const usd = book.nodeOverheadHourUsd[node] ?? book.nodeOverheadHourUsd['*'];
  return usd === undefined ? undefined : numberToDecimal(usd);
}

export type GpuHourPriceTier = 'billing_actual' | 'committed' | 'spot' | 'on_demand' | 'price_book';

/** One candidate price. Instance-hour prices are spread over the instance's GPUs. */
export interface PriceCandidate {
  usdPerHour: string;
  per: 'instance_hour' | 'gpu_hour';
  source: string;
  stale?: boolean | undefined;
}

export interface GpuHourPriceInputs {
  /** From the imported bill: billed cost / GPU-hours of the matched instance. */
  billingActual?: PriceCandidate | undefined;
  /** Effective (amortized RI / Savings Plan / committed-use) cost from the bill. */
  committed?: PriceCandidate | undefined;
  spot?: PriceCandidate | undefined;
  /** The list (on-demand) price. */
  onDemand?: PriceCandidate | undefined;
  priceBook?: PriceCandidate | undefined;
  /** GPUs of the instance, to turn an instance-hour price into a GPU-hour price. */
  gpuCount?: number | undefined;
}

export interface GpuHourPrice {
  tier: GpuHourPriceTier;
  usdPerGpuHour: string;
  source: string;
  stale: boolean;
}

const PRECEDENCE: readonly GpuHourPriceTier[] = [
  'billing_actual',
  'committed',
  'spot',
  'on_demand',
  'price_book',
];
const FIELD: Record<GpuHourPriceTier, keyof GpuHourPriceInputs> = {
  billing_actual: 'billingActual',
  committed: 'committed',
  spot: 'spot',
  on_demand: 'onDemand',
  price_book: 'priceBook',
};

/**
 * The GPU-hour price to charge, by one precedence: billing actual > committed/effective > spot > list
 * (on-demand) > price book. The first tier present wins, stale or not (a stale price beats a guess, and the
 * row says so). An instance-hour price without a GPU count is skipped: it cannot be turned into GPU-hours.
 * Undefined = unpriced, which the caller reports; it is never $0.
 */
export function resolveGpuHourPrice(inputs: GpuHourPriceInputs): GpuHourPrice | undefined {
  for (const tier of PRECEDENCE) {
    const candidate = inputs[FIELD[tier]] as PriceCandidate | undefined;
    if (!candidate) continue;
    let usdPerGpuHour = candidate.usdPerHour;
    if (candidate.per === 'instance_hour') {
      if (!inputs.gpuCount || inputs.gpuCount <= 0) continue;
      usdPerGpuHour = divideDecimal(candidate.usdPerHour, inputs.gpuCount);
    }
    return { tier, usdPerGpuHour, source: candidate.source, stale: candidate.stale ?? false };
  }
  return undefined;
}
