import {
  type _InstanceType,
  type EC2Client,
  paginateDescribeSpotPriceHistory,
  type SpotPrice,
} from '@aws-sdk/client-ec2';
import { parseSpotPrices } from './parse-spot-prices.js';
import type { PriceRow } from './types.js';

/** How far back to read: spot prices change rarely, and the newest point may be days old. */
const LOOKBACK_MS = 7 * 24 * 3_600_000;

/** Linux spot prices for the given types, every AZ of the client's region, newest per (AZ, type). */
export async function fetchSpotPrices(
  ec2: EC2Client,
  region: string,
  instanceTypes: readonly string[],
  now: Date,
): Promise<{ rows: PriceRow[]; issues: string[] }> {
  if (instanceTypes.length === 0) return { rows: [], issues: [] };
  const history: SpotPrice[] = [];
  const pages = paginateDescribeSpotPriceHistory(
    { client: ec2 },
    {
      InstanceTypes: [...instanceTypes] as _InstanceType[],
      ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
      StartTime: new Date(now.getTime() - LOOKBACK_MS),
      EndTime: now,
      MaxResults: 1000,
    },
  );
  for await (const page of pages) history.push(...(page.SpotPriceHistory ?? []));
  return parseSpotPrices(region, history);
}
