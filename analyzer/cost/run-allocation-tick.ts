import { sql } from 'drizzle-orm';
import type { Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import { type AllocateOptions, allocateRange } from './allocate-hours.js';
import type { CostMetrics } from './cost-metrics.js';

const HOUR = 3_600_000;

export interface AllocationTickDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  options: Omit<AllocateOptions, 'db' | 'now'>;
  metrics: CostMetrics;
  /** How far back a first pass (after a restart, or on a new store) reaches for unallocated telemetry. */
  backfillDays: number;
}

/** Where the allocation stands in this process: hours counted into the cost counters end here. */
export class AllocationState {
  countedThroughMs: number | null = null;
}

/**
 * Allocates the last `lookbackHours` and the open hour every pass (late job records, late attribution and spot
 * prices move them), further back to the newest stored hour after a restart, and the whole period of every
 * billing import not yet taken in (a new bill or a restatement replaces the estimates of its hours).
 */
export async function runAllocationTick(deps: AllocationTickDeps, state: AllocationState) {
  const nowMs = deps.clock.now();
  const closed = Math.floor(nowMs / HOUR) * HOUR;
  const o: AllocateOptions = { ...deps.options, db: deps.db, now: new Date(nowMs) };
  const cluster = o.cluster;

  let from = closed - deps.options.costs.lookbackHours * HOUR;
  if (state.countedThroughMs === null) {
    const [row] = await queryRows<{ newest: string | null; oldest: string | null }>(
      deps.db,
      sql`select (select (extract(epoch from max(hour)) * 1000)::bigint::text from cost_node_hours
            where cluster = ${cluster}) as newest,
          (select (extract(epoch from min(bucket)) * 1000)::bigint::text from gpu_rollups) as oldest`,
    );
    const floor = closed - deps.backfillDays * 24 * HOUR;
    const resumeAt = row?.newest ? Number(row.newest) + HOUR : row?.oldest ? Number(row.oldest) : from;
    from = Math.max(floor, Math.min(from, Math.floor(resumeAt / HOUR) * HOUR));
  }
  // the open hour too, so reports are live; it is rebuilt on every pass until it closes
  const through = closed + HOUR;
  await allocateRange(o, new Date(from), new Date(through));
  const hours = (through - from) / HOUR;
  deps.metrics.hoursAllocated.inc({ cluster, reason: 'telemetry' }, hours);

  const applied = await allocatePendingImports(o, deps.log, closed);
  deps.metrics.hoursAllocated.inc({ cluster, reason: 'billing_import' }, applied.hours);

  await updateMetrics(deps, state, closed);
  return {
    hours: hours + applied.hours,
    billingImports: applied.imports,
    allocatedThrough: new Date(closed).toISOString(),
  };
}

async function updateMetrics(deps: AllocationTickDeps, state: AllocationState, closed: number) {
  const cluster = deps.options.cluster;
  const m = deps.metrics;
  m.allocatedThrough.set({ cluster }, closed / 1000);
  const last = new Date(closed - HOUR);
  const nodeHours = await queryRows<{
    node: string;
    gpu_model: string | null;
    price_tier: string;
    cost: string | null;
    gpu_capacity: number;
    present_minutes: number;
    billed: boolean;
  }>(
    deps.db,
    sql`select node, gpu_model, price_tier, cost::text as cost, gpu_capacity, present_minutes, billed
      from cost_node_hours where cluster = ${cluster} and hour = ${last}`,
  );
  m.gpuHourlyCost.reset();
  m.unpricedGpuHours.reset();
  for (const n of nodeHours) {
    const labels = { cluster, node: n.node, gpu_model: n.gpu_model ?? '' };
    if (n.cost === null) {
      m.unpricedGpuHours.set(labels, (n.gpu_capacity * n.present_minutes) / 60);
      continue;
    }
    // a billed hour covers all 60 minutes; an estimate only the minutes the node was seen
    const gpuHours = n.gpu_capacity * (n.billed ? 1 : n.present_minutes / 60);
    if (gpuHours > 0) {
      m.gpuHourlyCost.set({ ...labels, price_source: n.price_tier }, Number(n.cost) / gpuHours);
    }
  }

  // counters take each closed hour once, as first allocated; later restatements show in reports, not here
  const since = state.countedThroughMs ?? closed - HOUR;
  if (since < closed) {
    const rows = await queryRows<{
      kind: string;
      team: string | null;
      gpu_model: string | null;
      price_tier: string;
      cost: number;
    }>(
      deps.db,
      sql`select kind, team, gpu_model, price_tier, sum(cost)::float8 as cost from cost_allocations
        where cluster = ${cluster} and hour >= ${new Date(since)} and hour < ${new Date(closed)} and cost is not null
        group by 1, 2, 3, 4`,
    );
    for (const r of rows) {
      const team = r.team ?? 'Unallocated';
      const gpuModel = r.gpu_model ?? '';
      if (r.cost > 0) m.cost.inc({ cluster, team, gpu_model: gpuModel, price_source: r.price_tier }, r.cost);
      if ((r.kind === 'idle' || r.kind === 'unallocated') && r.cost > 0) {
        m.idleCost.inc({ cluster, team, gpu_model: gpuModel, kind: r.kind }, r.cost);
      }
    }
  }
  state.countedThroughMs = closed;
}

/**
 * Re-allocates the period of every billing import the allocation has not taken in yet, or has taken in before
 * a restatement, up to `closedMs`, and records each as applied.
 */
export async function allocatePendingImports(
  o: AllocateOptions,
  log: Logger,
  closedMs: number,
): Promise<{ imports: number; hours: number }> {
  const imports = await queryRows<{
    id: number;
    start: string | Date;
    end: string | Date;
    imported_at: string | Date;
  }>(
    o.db,
    sql`select i.id, i.billing_period_start as start, i.billing_period_end as "end", i.imported_at
      from billing_imports i left join cost_billing_applied a on a.import_id = i.id
      where a.import_id is null or a.imported_at < i.imported_at
      order by i.billing_period_start`,
  );
  let hours = 0;
  for (const imp of imports) {
    const start = new Date(imp.start).getTime();
    const end = Math.min(new Date(imp.end).getTime(), closedMs);
    if (start < end) {
      await allocateRange(o, new Date(start), new Date(end));
      hours += (end - start) / HOUR;
    }
    await o.db.execute(sql`insert into cost_billing_applied (import_id, imported_at, applied_at)
      values (${imp.id}, ${new Date(imp.imported_at)}, ${o.now})
      on conflict (import_id) do update set imported_at = excluded.imported_at, applied_at = excluded.applied_at`);
    log.info({ importId: imp.id, from: new Date(start), to: new Date(end) }, 'billing import allocated');
  }
  return { imports: imports.length, hours };
}

/** The allocation settings a config implies (everything but the store and the time). */
export function allocationOptionsFromConfig(config: Config): Omit<AllocateOptions, 'db' | 'now'> {
  return {
    cluster: config.cluster,
    costs: config.costs,
    priceBook: config.priceBook,
    teamTags: config.billing.teamTags,
    projectTags: config.billing.projectTags,
    priceRefreshHours: config.collectors.aws?.refreshHours ?? 24,
  };
}
