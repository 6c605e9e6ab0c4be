import { sql } from 'drizzle-orm';
import { resolveNodeOverheadHourUsd } from '../../collector/aws/price-book.js';
import { type FoundPrice, findPrice, findPriceBookPrice } from '../../collector/aws/price-queries.js';
import type { CostsConfig, PriceBookConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import { formatDecimal, parseDecimal } from '../../core/decimal.js';
import {
  type BilledCharge,
  type GpuHourUsageRow,
  type JobInfo,
  loadGpuHourUsage,
  loadInstanceCharges,
  loadJobInfo,
  loadNodeInstances,
  loadOtherCharges,
  type NodeInstance,
  nodeHourKey,
  nodePresence,
} from './load-allocation-inputs.js';
import type { AllocationKind } from './schema.js';
import {
  migUnitsPerMinute,
  type NodeHourUsage,
  prorateToHours,
  splitNodeHour,
  UNITS_PER_GPU_MINUTE,
} from './split-node-hour.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface AllocateOptions {
  db: Db;
  cluster: string;
  costs: CostsConfig;
  priceBook: PriceBookConfig;
  teamTags: readonly string[];
  projectTags: readonly string[];
  /** AWS price refresh period: a price unconfirmed for twice this is flagged stale (still used). */
  priceRefreshHours: number;
  now: Date;
}

export interface AllocationRow {
  hourMs: number;
  kind: AllocationKind;
  node: string;
  jobRef: number | null;
  job: JobInfo | undefined;
  team: string | null;
  project: string | null;
  gpuModel: string | null;
  gpuHours: number;
  /** Scaled decimal; null = unpriced. */
  cost: bigint | null;
  currency: string;
  priceTier: string;
  priceSource: string;
  serviceName: string | null;
}

export interface NodeHourCost {
  node: string;
  hourMs: number;
  instance: NodeInstance | undefined;
  gpuModel: string | null;
  gpuCapacity: number;
  presentMinutes: number;
  cost: bigint | null;
  estimatedCost: bigint | null;
  billed: boolean;
  currency: string;
  priceTier: string;
  priceSource: string;
  stale: boolean;
}

export interface AllocationResult {
  rows: AllocationRow[];
  nodeHours: NodeHourCost[];
}

/**
 * Computes every hour of [from, to) (whole UTC hours) for one cluster: each node-hour's cost (the bill where
 * one covers it, else price × telemetry, else unpriced), split GPU-first over the jobs that held its GPUs, plus
 * billing lines no node covers, owned by their tags. Pure of writes; `writeAllocation` stores the result.
 */
export async function computeAllocation(o: AllocateOptions, from: Date, to: Date): Promise<AllocationResult> {
  const usage = await loadGpuHourUsage(o.db, o.cluster, from, to, o.costs.idleActivityThreshold);
  const presence = nodePresence(usage);
  const instances = await loadNodeInstances(o.db);
  const instanceIds = [...instances.values()].map((i) => i.instanceId);
  const charges = await loadInstanceCharges(o.db, instanceIds, from, to);
  const jobs = await loadJobInfo(o.db, [
    ...new Set(usage.flatMap((u) => (u.jobRef === null ? [] : [u.jobRef]))),
  ]);

  const byNodeHour = groupUsage(usage);
  // a billed instance is a node-hour even with no telemetry: its cost is then unallocated capacity
  for (const [node, instance] of instances) {
    for (const charge of charges.get(instance.instanceId) ?? []) {
      for (const piece of prorateToHours(0n, charge.startMs, charge.endMs)) {
        if (piece.hourMs < from.getTime() || piece.hourMs >= to.getTime()) continue;
        const key = nodeHourKey(node, piece.hourMs);
        if (!byNodeHour.has(key)) byNodeHour.set(key, { node, hourMs: piece.hourMs, rows: [] });
      }
    }
  }

  const prices = new PriceCache(o);
  const rows: AllocationRow[] = [];
  const nodeHours: NodeHourCost[] = [];
  for (const [key, group] of byNodeHour) {
    const instance = instances.get(group.node);
    const present = presence.get(key) ?? 0;
    const nh = await costNodeHour(o, prices, group, instance, present, charges);
    nodeHours.push(nh.nodeHour);
    for (const split of splitNodeHour(nh.nodeHour.cost, nh.capacityUnits, nh.usage, nh.nodeHour.gpuModel)) {
      const job = split.jobRef === null ? undefined : jobs.get(split.jobRef);
      rows.push({
        hourMs: group.hourMs,
        kind: split.kind,
        node: group.node,
        jobRef: split.jobRef,
        job,
        team: job?.team ?? null,
        project: job?.project ?? null,
        gpuModel: split.gpuModel,
        gpuHours: split.units / UNITS_PER_GPU_MINUTE / 60,
        cost: split.cost,
        currency: nh.nodeHour.currency,
        priceTier: nh.nodeHour.priceTier,
        priceSource: nh.nodeHour.priceSource,
        serviceName: null,
      });
    }
  }
  rows.push(
    ...(await otherRows(o, instanceIds, from, to)).filter(
      (r) => r.hourMs >= from.getTime() && r.hourMs < to.getTime(),
    ),
  );
  return { rows, nodeHours };
}

interface NodeHourGroup {
  node: string;
  hourMs: number;
  rows: GpuHourUsageRow[];
}

function groupUsage(usage: readonly GpuHourUsageRow[]): Map<string, NodeHourGroup> {
  const out = new Map<string, NodeHourGroup>();
  for (const u of usage) {
    const key = nodeHourKey(u.node, u.hourMs);
    let g = out.get(key);
    if (!g) {
      g = { node: u.node, hourMs: u.hourMs, rows: [] };
      out.set(key, g);
    }
    g.rows.push(u);
  }
  return out;
}

async function costNodeHour(
  o: AllocateOptions,
  prices: PriceCache,
  group: NodeHourGroup,
  instance: NodeInstance | undefined,
  present: number,
  charges: Map<string, BilledCharge[]>,
): Promise<{ nodeHour: NodeHourCost; capacityUnits: number; usage: NodeHourUsage[] }> {
  const physical = new Map<string, string | null>();
  const held = new Map<string, NodeHourUsage>();
  for (const r of group.rows) {
    physical.set(r.uuid, r.model);
    const per = migUnitsPerMinute(r.migProfile, r.model);
    const k = `${r.jobRef ?? ''}\u0000${r.model ?? ''}`;
    const h = held.get(k) ?? { jobRef: r.jobRef, gpuModel: r.model, units: 0, idleUnits: 0 };
    h.units += r.minutes * per;
    h.idleUnits += r.idleMinutes * per;
    held.set(k, h);
  }
  const mainModel = mostCommon([...physical.values()]) ?? instance?.gpuModel ?? null;
  const gpuCount = instance?.gpuCount ?? physical.size;
  const at = new Date(group.hourMs);

  const estimate = await estimateNodeHour(o, prices, group.node, instance, physical, gpuCount, present, at);
  const billed = instance ? billedInHour(charges.get(instance.instanceId) ?? [], group.hourMs) : undefined;
  const base = {
    node: group.node,
    hourMs: group.hourMs,
    instance,
    gpuModel: mainModel,
    gpuCapacity: gpuCount,
    presentMinutes: present,
    estimatedCost: estimate?.cost ?? null,
  };
  if (billed) {
    return {
      nodeHour: {
        ...base,
        cost: billed.cost,
        billed: true,
        currency: billed.currency,
        priceTier: billed.committed ? 'committed' : 'billing_actual',
        priceSource: `billing:ResourceId=${instance?.instanceId}`,
        stale: false,
      },
      // the bill covers the whole hour: minutes without telemetry are unallocated capacity
      capacityUnits: gpuCount * 60 * UNITS_PER_GPU_MINUTE,
      usage: [...held.values()],
    };
  }
  return {
    nodeHour: {
      ...base,
      cost: estimate?.cost ?? null,
      billed: false,
      currency: 'USD',
      priceTier: estimate?.tier ?? 'unpriced',
      priceSource: estimate?.source ?? `no price for ${instance?.instanceType ?? mainModel ?? 'unknown GPU'}`,
      stale: estimate?.stale ?? false,
    },
    capacityUnits: gpuCount * present * UNITS_PER_GPU_MINUTE,
    usage: [...held.values()],
  };
}

function billedInHour(
  charges: readonly BilledCharge[],
  hourMs: number,
): { cost: bigint; currency: string; committed: boolean } | undefined {
  let cost = 0n;
  let found = false;
  let committed = true;
  let currency = '';
  for (const c of charges) {
    for (const piece of prorateToHours(parseDecimal(c.billed) ?? 0n, c.startMs, c.endMs)) {
      if (piece.hourMs !== hourMs) continue;
      found = true;
      cost += piece.cost;
      committed &&= c.pricingCategory === 'Committed';
      // the allocation keeps one currency per node-hour; a report refuses to add different ones
      currency = currency && currency !== c.currency ? 'MIXED' : c.currency;
    }
  }
  return found ? { cost, currency, committed } : undefined;
}

/**
 * The price-based cost of a node-hour, for the minutes the node was seen: an instance's spot or on-demand price
 * (price book by its GPU model as a fallback), else the price book per GPU model plus node overhead. Undefined
 * when any part has no price: reported as unpriced, never $0.
 */
async function estimateNodeHour(
  o: AllocateOptions,
  prices: PriceCache,
  node: string,
  instance: NodeInstance | undefined,
  physical: Map<string, string | null>,
  gpuCount: number,
  present: number,
  at: Date,
): Promise<{ cost: bigint; tier: string; source: string; stale: boolean } | undefined> {
  if (instance) {
    const p = await prices.instance(instance, at);
    if (!p) return undefined;
    const hourly = (parseDecimal(p.usdPerHour) ?? 0n) * BigInt(p.per === 'gpu_hour' ? gpuCount : 1);
    return { cost: mulDiv(hourly, present, 60), tier: p.kind, source: p.source, stale: p.stale };
  }
  let hourly = 0n;
  const sources = new Set<string>();
  for (const model of physical.values()) {
    if (!model) return undefined;
    const p = await prices.book(model, at);
    if (!p) return undefined;
    hourly += parseDecimal(p.usdPerHour) ?? 0n;
    sources.add(p.source);
  }
  const overhead = resolveNodeOverheadHourUsd(o.priceBook, node);
  if (overhead !== undefined) {
    hourly += parseDecimal(overhead) ?? 0n;
    sources.add('config:priceBook.nodeOverheadHourUsd');
  }
  if (sources.size === 0) return undefined;
  return {
    cost: mulDiv(hourly, present, 60),
    tier: 'price_book',
    source: [...sources].join(' + '),
    stale: false,
  };
}

class PriceCache {
  private readonly cache = new Map<string, Promise<FoundPrice | undefined>>();
  constructor(private readonly o: AllocateOptions) {}

  instance(i: NodeInstance, at: Date) {
    return this.get(
      `i\u0000${i.instanceType}\u0000${i.region}\u0000${i.availabilityZone}\u0000${i.market}`,
      at,
      () =>
        findPrice(this.o.db, {
          instanceType: i.instanceType,
          region: i.region,
          availabilityZone: i.availabilityZone,
          market: i.market === 'spot' ? 'spot' : 'on-demand',
          gpuModel: i.gpuModel,
          at,
          now: this.o.now,
          refreshHours: this.o.priceRefreshHours,
        }),
    );
  }

  book(model: string, at: Date) {
    return this.get(`b\u0000${model}`, at, () =>
      findPriceBookPrice(this.o.db, {
        gpuModel: model,
        at,
        now: this.o.now,
        refreshHours: this.o.priceRefreshHours,
      }),
    );
  }

  private get(key: string, at: Date, load: () => Promise<FoundPrice | undefined>) {
    const k = `${key}\u0000${at.getTime()}`;
    let p = this.cache.get(k);
    if (!p) {
      p = load();
      this.cache.set(k, p);
    }
    return p;
  }
}

async function otherRows(
  o: AllocateOptions,
  nodeInstanceIds: readonly string[],
  from: Date,
  to: Date,
): Promise<AllocationRow[]> {
  const charges = await loadOtherCharges(o.db, nodeInstanceIds, o.teamTags, o.projectTags, from, to);
  const merged = new Map<string, AllocationRow>();
  for (const c of charges) {
    const owned = c.team !== null || c.project !== null;
    for (const piece of prorateToHours(parseDecimal(c.billed) ?? 0n, c.startMs, c.endMs)) {
      const key = [piece.hourMs, c.team, c.project, c.serviceName, c.currency].join('\u0000');
      const row = merged.get(key);
      if (row) {
        row.cost = (row.cost ?? 0n) + piece.cost;
        continue;
      }
      merged.set(key, {
        hourMs: piece.hourMs,
        kind: 'other',
        node: '',
        jobRef: null,
        job: undefined,
        team: c.team,
        project: c.project,
        gpuModel: null,
        gpuHours: 0,
        cost: piece.cost,
        currency: c.currency,
        priceTier: 'billing_actual',
        priceSource: owned ? 'billing:tags' : 'billing:untagged',
        serviceName: c.serviceName,
      });
    }
  }
  return [...merged.values()];
}

function mulDiv(value: bigint, num: number, den: number): bigint {
  const n = BigInt(num);
  const d = BigInt(den);
  const negative = value < 0n;
  const v = negative ? -value : value;
  const out = (2n * v * n + d) / (2n * d);
  return negative ? -out : out;
}

function mostCommon(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let n = 0;
  for (const [v, c] of counts) {
    if (c > n) {
      best = v;
      n = c;
    }
  }
  return best;
}

/**
 * Replaces the cluster's allocation for [from, to) with `result`, then rebuilds the daily rows of the days it
 * touches, in one transaction: a reader sees the old hours or the new ones, never a mix.
 */
export async function writeAllocation(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  result: AllocationResult,
): Promise<void> {
  const dayFrom = new Date(Math.floor(from.getTime() / DAY) * DAY);
  const dayTo = new Date(Math.ceil(to.getTime() / DAY) * DAY);
  await db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await t.execute(
      sql`delete from cost_allocations where cluster = ${cluster} and hour >= ${from} and hour < ${to}`,
    );
    await t.execute(
      sql`delete from cost_node_hours where cluster = ${cluster} and hour >= ${from} and hour < ${to}`,
    );
    for (let i = 0; i < result.rows.length; i += 5000) {
      await insertAllocationRows(t, cluster, result.rows.slice(i, i + 5000));
    }
    for (let i = 0; i < result.nodeHours.length; i += 5000) {
      await insertNodeHours(t, cluster, result.nodeHours.slice(i, i + 5000));
    }
    await rebuildDailyCostTables(t, cluster, dayFrom, dayTo);
  });
}

/**
 * Rebuilds the daily tables (`cost_allocations_daily`, `cost_job_days`, `cost_node_days`) of whole UTC days [dayFrom, dayTo) from
 * the hourly ones. Call inside the transaction that wrote the hours.
 */
export async function rebuildDailyCostTables(
  db: Db,
  cluster: string,
  dayFrom: Date,
  dayTo: Date,
): Promise<void> {
  await db.execute(
    sql`delete from cost_allocations_daily where cluster = ${cluster} and day >= ${dayFrom} and day < ${dayTo}`,
  );
  await db.execute(sql`insert into cost_allocations_daily (day, cluster, kind, node, job_ref, job_id, job_name,
        "user", team, project, namespace, gpu_model, gpu_hours, cost, currency, price_tier, price_source,
        service_name)
      select date_trunc('day', hour, 'UTC'), cluster, kind, node, job_ref, job_id, job_name, "user", team, project,
        namespace, gpu_model, sum(gpu_hours), sum(cost), currency, price_tier, price_source, service_name
      from cost_allocations
      where cluster = ${cluster} and hour >= ${dayFrom} and hour < ${dayTo}
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18`);
  await db.execute(
    sql`delete from cost_job_days where cluster = ${cluster} and day >= ${dayFrom} and day < ${dayTo}`,
  );
  await db.execute(sql`insert into cost_job_days (cluster, day, job_ref, job_id, gpu_model, currency, price_tier, cost,
        idle_cost, gpu_hours, idle_gpu_hours)
      select cluster, date_trunc('day', hour, 'UTC'), job_ref, max(job_id), max(gpu_model), currency, price_tier,
        sum(cost) filter (where kind = 'usage'), sum(cost) filter (where kind = 'idle'),
        coalesce(sum(gpu_hours) filter (where cost is not null), 0),
        coalesce(sum(gpu_hours) filter (where kind = 'idle' and cost is not null), 0)
      from cost_allocations
      where cluster = ${cluster} and hour >= ${dayFrom} and hour < ${dayTo} and job_ref is not null
      group by cluster, 2, job_ref, currency, price_tier`);
  await db.execute(
    sql`delete from cost_node_days where cluster = ${cluster} and day >= ${dayFrom} and day < ${dayTo}`,
  );
  await db.execute(sql`insert into cost_node_days (cluster, node, day, gpu_model, reconciled_node_hours,
        reconciled_estimate, reconciled_billed, stale_node_hours, unpriced_gpu_hours)
      select cluster, node, date_trunc('day', hour, 'UTC'), max(gpu_model),
        (count(*) filter (where billed and estimated_cost is not null))::int,
        sum(estimated_cost) filter (where billed and estimated_cost is not null),
        sum(cost) filter (where billed and estimated_cost is not null),
        (count(*) filter (where stale and not billed))::int,
        coalesce(sum(gpu_capacity * present_minutes / 60.0) filter (where cost is null), 0)
      from cost_node_hours
      where cluster = ${cluster} and hour >= ${dayFrom} and hour < ${dayTo}
      group by 1, 2, 3`);
}

async function insertAllocationRows(db: Db, cluster: string, rows: readonly AllocationRow[]) {
  if (rows.length === 0) return;
  const col = (type: string, pick: (r: AllocationRow) => unknown) =>
    sql`${sql.param(rows.map(pick))}::${sql.raw(type)}`;
  await db.execute(sql`insert into cost_allocations (hour, cluster, kind, node, job_ref, job_id, job_name,
      "user", team, project, namespace, gpu_model, gpu_hours, cost, currency, price_tier, price_source,
      service_name)
    select hour, ${cluster}, kind, node, job_ref, job_id, job_name, "user", team, project, namespace, gpu_model,
      gpu_hours, cost, currency, price_tier, price_source, service_name
    from unnest(${sql.join(
      [
        col('timestamptz[]', (r) => new Date(r.hourMs).toISOString()),
        col('text[]', (r) => r.kind),
        col('text[]', (r) => r.node),
        col('int4[]', (r) => r.jobRef),
        col('text[]', (r) => r.job?.jobId ?? null),
        col('text[]', (r) => r.job?.name ?? null),
        col('text[]', (r) => r.job?.user ?? null),
        col('text[]', (r) => r.team),
        col('text[]', (r) => r.project),
        col('text[]', (r) => r.job?.namespace ?? null),
        col('text[]', (r) => r.gpuModel),
        col('float8[]', (r) => r.gpuHours),
        col('numeric[]', (r) => (r.cost === null ? null : formatDecimal(r.cost))),
        col('text[]', (r) => r.currency),
        col('text[]', (r) => r.priceTier),
        col('text[]', (r) => r.priceSource),
        col('text[]', (r) => r.serviceName),
      ],
      sql`, `,
    )}) as t(hour, kind, node, job_ref, job_id, job_name, "user", team, project, namespace, gpu_model, gpu_hours,
      cost, currency, price_tier, price_source, service_name)`);
}

async function insertNodeHours(db: Db, cluster: string, rows: readonly NodeHourCost[]) {
  if (rows.length === 0) return;
  const col = (type: string, pick: (r: NodeHourCost) => unknown) =>
    sql`${sql.param(rows.map(pick))}::${sql.raw(type)}`;
  const money = (d: bigint | null) => (d === null ? null : formatDecimal(d));
  await db.execute(sql`insert into cost_node_hours (cluster, node, hour, instance_id, instance_type, gpu_model,
      gpu_capacity, present_minutes, cost, estimated_cost, billed, currency, price_tier, price_source, stale)
    select ${cluster}, node, hour, instance_id, instance_type, gpu_model, gpu_capacity, present_minutes, cost,
      estimated_cost, billed, currency, price_tier, price_source, stale
    from unnest(${sql.join(
      [
        col('text[]', (r) => r.node),
        col('timestamptz[]', (r) => new Date(r.hourMs).toISOString()),
        col('text[]', (r) => r.instance?.instanceId ?? null),
        col('text[]', (r) => r.instance?.instanceType ?? null),
        col('text[]', (r) => r.gpuModel),
        col('float8[]', (r) => r.gpuCapacity),
        col('int4[]', (r) => r.presentMinutes),
        col('numeric[]', (r) => money(r.cost)),
        col('numeric[]', (r) => money(r.estimatedCost)),
        col('bool[]', (r) => r.billed),
        col('text[]', (r) => r.currency),
        col('text[]', (r) => r.priceTier),
        col('text[]', (r) => r.priceSource),
        col('bool[]', (r) => r.stale),
      ],
      sql`, `,
    )}) as t(node, hour, instance_id, instance_type, gpu_model, gpu_capacity, present_minutes, cost,
      estimated_cost, billed, currency, price_tier, price_source, stale)`);
}

/** Allocates [from, to) a day at a time (bounded memory), writing each day as it goes. */
export async function allocateRange(
  o: AllocateOptions,
  from: Date,
  to: Date,
): Promise<{ hours: number; rows: number; nodeHours: number }> {
  const start = Math.floor(from.getTime() / HOUR) * HOUR;
  const end = Math.ceil(to.getTime() / HOUR) * HOUR;
  const written = { hours: (end - start) / HOUR, rows: 0, nodeHours: 0 };
  for (let s = start; s < end; s = Math.min(end, Math.floor(s / DAY) * DAY + DAY)) {
    const e = Math.min(end, Math.floor(s / DAY) * DAY + DAY);
    const result = await computeAllocation(o, new Date(s), new Date(e));
    await writeAllocation(o.db, o.cluster, new Date(s), new Date(e), result);
    written.rows += result.rows.length;
    written.nodeHours += result.nodeHours.length;
  }
  return written;
}
