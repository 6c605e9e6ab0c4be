import type { SpotPrice } from '@aws-sdk/client-ec2';
import { DECIMAL, isZeroDecimal, type PriceRow } from './types.js';

/**
 * DescribeSpotPriceHistory entries → one spot price row per (AZ, instance type): the newest point, effective
 * from its own timestamp. Entries without a zone, a parseable price or a timestamp are reported, never priced 0.
 */
export function parseSpotPrices(
  region: string,
  history: readonly SpotPrice[],
): { rows: PriceRow[]; issues: string[] } {
  const newest = new Map<string, PriceRow>();
  const issues: string[] = [];
  for (const point of history) {
    const { AvailabilityZone: az, InstanceType: type, SpotPrice: usd, Timestamp: at } = point;
    if (!az || !type || !at) {
      issues.push(`${region}: spot point without zone, type or timestamp`);
      continue;
    }
    if (usd === undefined || !DECIMAL.test(usd) || isZeroDecimal(usd)) {
      issues.push(`${az} ${type}: unusable spot price "${usd ?? ''}"`);
      continue;
    }
    const key = `${az}\u0000${type}`;
    const current = newest.get(key);
    if (current && current.effectiveFrom.getTime() >= at.getTime()) continue;
    newest.set(key, {
      provider: 'aws',
      kind: 'spot',
      region,
      availabilityZone: az,
      instanceType: type,
      usdPerHour: usd,
      effectiveFrom: at,
      source: `aws-ec2:DescribeSpotPriceHistory ${point.ProductDescription ?? ''}`.trim(),
    });
  }
  return { rows: [...newest.values()], issues };
}
