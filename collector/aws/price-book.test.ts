import { describe, expect, it } from 'vitest';
import { divideDecimal, numberToDecimal } from '../../core/decimal.js';
import { buildPriceBookRows, resolveGpuHourPrice, resolveNodeOverheadHourUsd } from './price-book.js';

const book = {
  currency: 'USD' as const,
  gpuHourUsd: { 'NVIDIA H100 80GB HBM3': 3.1, 'NVIDIA T4 16GB': 0 },
  nodeOverheadHourUsd: { '*': 0.4, 'dgx-01': 1.25 },
};
const now = new Date('2026-12-01T00:00:00Z');

describe('buildPriceBookRows', () => {
  it('writes one price_book row per GPU model, provider config, exact decimals, a configured 0 kept', () => {
    expect(buildPriceBookRows(book, now)).toEqual([
      {
        provider: 'config',
        kind: 'price_book',
        region: '',
        availabilityZone: '',
        instanceType: 'NVIDIA H100 80GB HBM3',
        usdPerHour: '3.1000000000',
        effectiveFrom: now,
        source: 'config:priceBook.gpuHourUsd[NVIDIA H100 80GB HBM3]',
      },
      expect.objectContaining({ instanceType: 'NVIDIA T4 16GB', usdPerHour: '0.0000000000' }),
    ]);
  });

  it('takes a node overhead by name, else `*`', () => {
    expect(resolveNodeOverheadHourUsd(book, 'dgx-01')).toBe('1.2500000000');
    expect(resolveNodeOverheadHourUsd(book, 'gpu-7')).toBe('0.4000000000');
    expect(resolveNodeOverheadHourUsd({ ...book, nodeOverheadHourUsd: {} }, 'gpu-7')).toBeUndefined();
  });
});

describe('resolveGpuHourPrice', () => {
  const c = (usdPerHour: string, per: 'instance_hour' | 'gpu_hour', source: string, stale = false) => ({
    usdPerHour,
    per,
    source,
    stale,
  });
  const all = {
    billingActual: c('30.0000000000', 'instance_hour', 'bill'),
    committed: c('20.0000000000', 'instance_hour', 'ri'),
    spot: c('9.6107000000', 'instance_hour', 'spot'),
    onDemand: c('32.7726000000', 'instance_hour', 'list'),
    priceBook: c('2.5', 'gpu_hour', 'book'),
    gpuCount: 8,
  };

  it('applies billing actual > committed > spot > list > price book, one tier dropped at a time', () => {
    const tiers: string[] = [];
    const inputs: Record<string, unknown> = { ...all };
    for (const key of ['billingActual', 'committed', 'spot', 'onDemand', 'priceBook']) {
      tiers.push(resolveGpuHourPrice(inputs as typeof all)?.tier ?? 'none');
      delete inputs[key];
    }
    tiers.push(resolveGpuHourPrice(inputs as typeof all)?.tier ?? 'none');
    expect(tiers).toEqual(['billing_actual', 'committed', 'spot', 'on_demand', 'price_book', 'none']);
  });

  it('spreads an instance-hour price over the GPUs exactly and keeps the stale flag', () => {
    const price = resolveGpuHourPrice({
      onDemand: c('32.7726000000', 'instance_hour', 'list', true),
      gpuCount: 8,
    });
    expect(price).toEqual({ tier: 'on_demand', usdPerGpuHour: '4.0965750000', source: 'list', stale: true });
  });

  it('skips an instance-hour price when the GPU count is unknown rather than guess', () => {
    expect(resolveGpuHourPrice({ onDemand: all.onDemand, priceBook: all.priceBook })?.tier).toBe(
      'price_book',
    );
  });
});

describe('decimal helpers', () => {
  it('divides to 10 places, rounding half up, without floats', () => {
    expect(divideDecimal('1', 3)).toBe('0.3333333333');
    expect(divideDecimal('2', 3)).toBe('0.6666666667');
    expect(divideDecimal('98.32', 8)).toBe('12.2900000000');
    expect(numberToDecimal(0.1 + 0.2)).toBe('0.3000000000');
  });
});
