import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { getInstanceType } from './queries.js';
import type { InstanceMarket } from './types.js';

export interface PriceQuery {
  instanceType: string;
  region: string;
  /** Needed for spot prices, which are per zone. */
  availabilityZone?: string | null | undefined;
  /** The instance's market; spot prices are used only for spot instances. */
  market?: InstanceMarket | undefined;
  /** Price-book key; defaults to the GPU model DescribeInstanceTypes gave the instance type. */
  gpuModel?: string | null | undefined;
  /** When the usage happened: the price in force then is returned. */
  at: Date;
  now: Date;
  /** A price not confirmed for refreshHours × 2 comes back `stale: true` (still used, never zeroed). */
  refreshHours: number;
}

export interface FoundPrice {
  kind: 'spot' | 'on_demand' | 'price_book';
  /** On-demand and spot are per instance-hour; the price book is per GPU-hour. */
  per: 'instance_hour' | 'gpu_hour';
  /** Exact decimal string. */
  usdPerHour: string;
  /** Instance type, or the GPU model for the price book. */
  key: string;
  region: string;
  availabilityZone: string;
  effectiveFrom: Date;
  /** Last time the source confirmed this price. */
  fetchedAt: Date;
  source: string;
  stale: boolean;
}

interface Tier {
  provider: string;
  kind: FoundPrice['kind'];
  region: string;
  az: string;
  key: string;
}

/**
 * The hourly price of an instance at a time: spot (spot instances, per zone) > on-demand list > price book
 * (per GPU-hour, by GPU model). Each answer names its source; undefined = no price, which callers report
 * rather than charge $0. Billing-based tiers (actual, committed) are applied by `resolveGpuHourPrice`.
 */
export async function findPrice(db: Db, q: PriceQuery): Promise<FoundPrice | undefined> {
  const tiers: Tier[] = [];
  if (q.market === 'spot' && q.availabilityZone) {
    tiers.push({
      provider: 'aws',
      kind: 'spot',
      region: q.region,
      az: q.availabilityZone,
      key: q.instanceType,
    });
  }
  tiers.push({ provider: 'aws', kind: 'on_demand', region: q.region, az: '', key: q.instanceType });
  for (const tier of tiers) {
    const found = await findTierPrice(db, tier, q);
    if (found) return found;
  }
  const gpuModel = q.gpuModel ?? (await getInstanceType(db, q.instanceType))?.gpuModel;
  if (!gpuModel) return undefined;
  return findPriceBookPrice(db, { ...q, gpuModel });
}

/** The price book's $ per GPU-hour for a GPU model at a time (on-premises GPUs have no instance type). */
export async function findPriceBookPrice(
  db: Db,
  q: Pick<PriceQuery, 'at' | 'now' | 'refreshHours'> & { gpuModel: string },
): Promise<FoundPrice | undefined> {
  const book = await findTierPrice(
    db,
    { provider: 'config', kind: 'price_book', region: '', az: '', key: q.gpuModel },
    q,
  );
  // the price book is config: it is never stale, only absent
  return book && { ...book, stale: false };
}

/**
 * The row in force at `at`; when `at` predates every row, the earliest one (a spot history read covers only
 * recent days). Staleness is judged on the newest confirmation of any row of the key.
 */
async function findTierPrice(
  db: Db,
  t: Tier,
  q: Pick<PriceQuery, 'at' | 'now' | 'refreshHours'>,
): Promise<FoundPrice | undefined> {
  const staleBefore = new Date(q.now.getTime() - q.refreshHours * 2 * 3_600_000);
  const [row] = await queryRows<{
    usd_per_hour: string;
    effective_from: string | Date;
    source: string;
    fetched_at: string | Date;
    confirmed_at: string | Date;
  }>(
    db,
    sql`select usd_per_hour::text as usd_per_hour, effective_from, source, fetched_at,
        max(fetched_at) over () as confirmed_at
      from prices
      where provider = ${t.provider} and kind = ${t.kind} and region = ${t.region}
        and availability_zone = ${t.az} and instance_type = ${t.key}
      order by (effective_from <= ${q.at}) desc,
        case when effective_from <= ${q.at} then effective_from end desc, effective_from asc
      limit 1`,
  );
  if (!row) return undefined;
  return {
    kind: t.kind,
    per: t.kind === 'price_book' ? 'gpu_hour' : 'instance_hour',
    usdPerHour: row.usd_per_hour,
    key: t.key,
    region: t.region,
    availabilityZone: t.az,
    effectiveFrom: new Date(row.effective_from),
    fetchedAt: new Date(row.fetched_at),
    source: row.source,
    stale: new Date(row.confirmed_at) < staleBefore,
  };
}

/**
 * For each (region, instance type): `missing` when no on-demand price was ever stored (reported, never $0),
 * `stale` when the stored one was not confirmed for refreshHours × 2.
 */
export async function listPriceCoverage(
  db: Db,
  regions: readonly string[],
  instanceTypes: readonly string[],
  now: Date,
  refreshHours: number,
): Promise<{ missing: string[]; stale: string[] }> {
  const staleBefore = new Date(now.getTime() - refreshHours * 2 * 3_600_000);
  const rows = await queryRows<{ region: string; instance_type: string; confirmed_at: string | Date }>(
    db,
    sql`select region, instance_type, max(fetched_at) as confirmed_at from prices
      where provider = 'aws' and kind = 'on_demand' and region = any(${sql.param([...regions])}::text[])
        and instance_type = any(${sql.param([...instanceTypes])}::text[])
      group by region, instance_type`,
  );
  const confirmed = new Map(rows.map((r) => [`${r.region} ${r.instance_type}`, new Date(r.confirmed_at)]));
  const missing: string[] = [];
  const stale: string[] = [];
  for (const region of regions) {
    for (const type of instanceTypes) {
      const key = `${region} ${type}`;
      const at = confirmed.get(key);
      if (!at) missing.push(key);
      else if (at < staleBefore) stale.push(key);
    }
  }
  return { missing, stale };
}
