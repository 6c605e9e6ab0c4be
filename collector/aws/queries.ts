import { sql } from 'drizzle-orm';
import { chunks } from '../../core/chunks.js';
import { type Db, queryRows } from '../../core/db.js';
import {
  type CloudInstanceRecord,
  DECIMAL,
  type InstanceMarket,
  type InstanceTypeFacts,
  isZeroDecimal,
  type PriceRow,
} from './types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const priceKey = (r: PriceRow) =>
  [r.provider, r.kind, r.region, r.availabilityZone, r.instanceType, r.effectiveFrom.toISOString()].join(
    '\u0000',
  );

/**
 * Stores prices with effective dates. A price equal to the one already in force at its effective date adds no
 * row (only `fetched_at` moves, so staleness tracks the last confirmation); a changed price adds a row from its
 * own effective date, and a restated price at the same date replaces it. An API price of zero is never written:
 * callers report a missing price instead, and this refuses one as a bug (a configured price-book 0 is kept).
 */
export async function upsertPrices(db: Db, rows: readonly PriceRow[], now: Date) {
  const summary = { written: 0, unchanged: 0 };
  const unique = [...new Map(rows.map((r) => [priceKey(r), r])).values()];
  if (
    unique.some(
      (r) => !DECIMAL.test(r.usdPerHour) || (r.kind !== 'price_book' && isZeroDecimal(r.usdPerHour)),
    )
  ) {
    throw new Error('upsertPrices: refusing a malformed price, or a zero one from a price API');
  }
  for (const part of chunks(unique, 2000)) {
    const col = (type: string, pick: (r: PriceRow) => unknown) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    const [counts] = await queryRows<{ written: number; unchanged: number }>(
      db,
      sql`with input as (
          select * from unnest(${sql.join(
            [
              col('text[]', (r) => r.provider),
              col('text[]', (r) => r.kind),
              col('text[]', (r) => r.region),
              col('text[]', (r) => r.availabilityZone),
              col('text[]', (r) => r.instanceType),
              col('numeric[]', (r) => r.usdPerHour),
              col('timestamptz[]', (r) => r.effectiveFrom.toISOString()),
              col('text[]', (r) => r.source),
            ],
            sql`, `,
          )}) as t(provider, kind, region, az, instance_type, usd, effective_from, source)
        ), prev as (
          select i.*, p.id as prev_id, p.usd_per_hour as prev_usd from input i
          left join lateral (select id, usd_per_hour from prices p
            where p.provider = i.provider and p.kind = i.kind and p.region = i.region
              and p.availability_zone = i.az and p.instance_type = i.instance_type
              and p.effective_from <= i.effective_from
            order by p.effective_from desc limit 1) p on true
        ), touched as (
          update prices p set fetched_at = ${now} from prev
          where p.id = prev.prev_id and prev.prev_usd = prev.usd returning p.id
        ), inserted as (
          insert into prices (provider, kind, region, availability_zone, instance_type, usd_per_hour,
            effective_from, source, fetched_at)
          select provider, kind, region, az, instance_type, usd, effective_from, source, ${now} from prev
          where prev_usd is distinct from usd
          on conflict on constraint prices_key do update set usd_per_hour = excluded.usd_per_hour,
            source = excluded.source, fetched_at = excluded.fetched_at
          returning id
        )
        select (select count(*) from inserted)::int as written, (select count(*) from touched)::int as unchanged`,
    );
    summary.written += counts?.written ?? 0;
    summary.unchanged += counts?.unchanged ?? 0;
  }
  return summary;
}

/** Inserts or replaces GPU facts by instance type name. */
export async function upsertInstanceTypes(db: Db, facts: readonly InstanceTypeFacts[], now: Date) {
  for (const part of chunks(facts, 2000)) {
    const col = (type: string, pick: (f: InstanceTypeFacts) => unknown) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    await db.execute(sql`insert into instance_types (name, gpu_model, gpu_manufacturer, gpu_count, gpu_memory_mib,
        vcpus, memory_mib, source, fetched_at)
      select *, ${now}::timestamptz from unnest(${sql.join(
        [
          col('text[]', (f) => f.name),
          col('text[]', (f) => f.gpuModel),
          col('text[]', (f) => f.gpuManufacturer),
          col('int4[]', (f) => f.gpuCount),
          col('int4[]', (f) => f.gpuMemoryMib),
          col('int4[]', (f) => f.vcpus),
          col('int4[]', (f) => f.memoryMib),
          col('text[]', (f) => f.source),
        ],
        sql`, `,
      )})
      on conflict (name) do update set gpu_model = excluded.gpu_model, gpu_manufacturer = excluded.gpu_manufacturer,
        gpu_count = excluded.gpu_count, gpu_memory_mib = excluded.gpu_memory_mib, vcpus = excluded.vcpus,
        memory_mib = excluded.memory_mib, source = excluded.source, fetched_at = excluded.fetched_at`);
  }
}

/** GPU facts of one instance type, or undefined when DescribeInstanceTypes has not reported it. */
export async function getInstanceType(db: Db, name: string): Promise<InstanceTypeFacts | undefined> {
  const [row] = await queryRows<{
    name: string;
    gpu_model: string | null;
    gpu_manufacturer: string | null;
    gpu_count: number;
    gpu_memory_mib: number | null;
    vcpus: number | null;
    memory_mib: number | null;
    source: string;
  }>(db, sql`select * from instance_types where name = ${name}`);
  if (!row) return undefined;
  return {
    name: row.name,
    gpuModel: row.gpu_model,
    gpuManufacturer: row.gpu_manufacturer,
    gpuCount: row.gpu_count,
    gpuMemoryMib: row.gpu_memory_mib,
    vcpus: row.vcpus,
    memoryMib: row.memory_mib,
    source: row.source,
  };
}

/**
 * Inserts or updates instances by id. A node belongs to one instance: a node the batch assigns is first taken
 * from any other row holding it (a reused private IP), all in one step so swaps never collide on the unique
 * node key. An instance no node claims now keeps the node it had: billing lines of a terminated instance
 * arrive hours later and still need it. Instances EC2 stopped listing keep their last row.
 */
export async function upsertCloudInstances(db: Db, records: readonly CloudInstanceRecord[], now: Date) {
  if (records.length === 0) return;
  const claimed = records.filter((r) => r.node !== null);
  await db.transaction(async (tx) => {
    const txDb = tx as unknown as Db;
    await txDb.execute(sql`update cloud_instances c set node = null
      where c.node = any(${sql.param(claimed.map((r) => r.node))}::text[])
        and (c.instance_id, c.node) not in (select * from unnest(
          ${sql.param(claimed.map((r) => r.instanceId))}::text[], ${sql.param(claimed.map((r) => r.node))}::text[]))`);
    for (const part of chunks(records, 2000)) {
      const col = (type: string, pick: (r: CloudInstanceRecord) => unknown) =>
        sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
      await txDb.execute(sql`insert into cloud_instances (instance_id, instance_type, region, availability_zone,
          private_dns_name, node, market, state, launched_at, tags, last_seen_at)
        select id, type, region, az, dns, node, market, state, launched_at, tags::jsonb, ${now}::timestamptz
        from unnest(${sql.join(
          [
            col('text[]', (r) => r.instanceId),
            col('text[]', (r) => r.instanceType),
            col('text[]', (r) => r.region),
            col('text[]', (r) => r.availabilityZone),
            col('text[]', (r) => r.privateDnsName),
            col('text[]', (r) => r.node),
            col('text[]', (r) => r.market),
            col('text[]', (r) => r.state),
            col('timestamptz[]', (r) => iso(r.launchedAt)),
            col('text[]', (r) => JSON.stringify(r.tags)),
          ],
          sql`, `,
        )}) as t(id, type, region, az, dns, node, market, state, launched_at, tags)
        on conflict (instance_id) do update set instance_type = excluded.instance_type, region = excluded.region,
          availability_zone = excluded.availability_zone, private_dns_name = excluded.private_dns_name,
          node = coalesce(excluded.node, cloud_instances.node), market = excluded.market, state = excluded.state,
          launched_at = excluded.launched_at, tags = excluded.tags, last_seen_at = excluded.last_seen_at`);
    }
  });
}

type StoredInstance = CloudInstanceRecord & { lastSeenAt: Date };

function toStoredInstance(row: Record<string, unknown>): StoredInstance {
  return {
    instanceId: String(row.instance_id),
    instanceType: String(row.instance_type),
    region: String(row.region),
    availabilityZone: (row.availability_zone as string | null) ?? null,
    privateDnsName: (row.private_dns_name as string | null) ?? null,
    node: (row.node as string | null) ?? null,
    market: row.market as InstanceMarket,
    state: String(row.state),
    launchedAt: row.launched_at ? new Date(row.launched_at as string) : null,
    tags: (row.tags as Record<string, string>) ?? {},
    lastSeenAt: new Date(row.last_seen_at as string),
  };
}

/** The instance a node is, for its type, zone and market. */
export async function getCloudInstanceByNode(db: Db, node: string): Promise<StoredInstance | undefined> {
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`select * from cloud_instances where node = ${node}`,
  );
  return row && toStoredInstance(row);
}

/** Every stored instance (billing ResourceId = instanceId ↔ node), terminated ones included. */
export async function listCloudInstances(db: Db): Promise<StoredInstance[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select * from cloud_instances order by instance_id`,
  );
  return rows.map(toStoredInstance);
}

/** Names of instance types DescribeInstanceTypes reported with GPUs. */
export async function listGpuInstanceTypeNames(db: Db): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select name from instance_types where gpu_count > 0 order by name`,
  );
  return rows.map((r) => r.name);
}
