import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { formatDecimal, parseDecimal } from '../../core/decimal.js';
import { AppError } from '../../core/errors.js';
import type { CostGroup, CostGroupBy, CostReport, DailyCost, SharePolicy } from './report-types.js';
import { UNALLOCATED_KEY } from './report-types.js';
import { apportionCents, formatCents, parseCents, roundHalfAway } from './round-to-cents.js';

const DAY = 86_400_000;

export interface CostReportQuery {
  cluster: string;
  from: Date;
  to: Date;
  groupBy: CostGroupBy;
  sharePolicy: SharePolicy;
  /** `hour` adds an hourly series beside the daily one (windows of up to 31 days). */
  step?: 'day' | 'hour' | undefined;
  /** Keep the largest `limit` groups and fold the rest into one `__rest__` group (totals unchanged). */
  limit?: number | undefined;
  /** false: read every hour from the hourly tables (the benchmark's baseline); default true. */
  readDaily?: boolean | undefined;
}

const DIMENSION: Record<CostGroupBy, SQL> = {
  team: sql`team`,
  project: sql`project`,
  user: sql`"user"`,
  job: sql`job_id`,
  namespace: sql`namespace`,
  node: sql`nullif(node, '')`,
  gpuModel: sql`gpu_model`,
};

/** The kinds side by side; unpriced rows (cost null) count in no sum, GPU-hours included. */
const MEASURES = sql`sum(cost) filter (where kind in ('usage', 'other'))::text as cost,
  sum(cost) filter (where kind = 'idle')::text as idle_cost,
  sum(cost) filter (where kind = 'unallocated')::text as unallocated_cost,
  (sum(gpu_hours) filter (where kind in ('usage', 'idle', 'other') and cost is not null))::float8 as gpu_hours,
  (sum(gpu_hours) filter (where kind = 'idle' and cost is not null))::float8 as idle_gpu_hours,
  (sum(gpu_hours) filter (where kind = 'unallocated' and cost is not null))::float8 as unallocated_gpu_hours`;

/**
 * Rows of the window: whole UTC days from the daily table (a month is ~30× fewer rows), the partial days at
 * either end from the hourly one.
 */
export function windowRows(
  q: Pick<CostReportQuery, 'cluster' | 'from' | 'to' | 'readDaily'>,
  columns: SQL,
): SQL {
  const from = q.from.getTime();
  const to = q.to.getTime();
  const dayStart = Math.ceil(from / DAY) * DAY;
  const dayEnd = Math.floor(to / DAY) * DAY;
  if (dayStart >= dayEnd || q.readDaily === false) {
    return sql`select ${columns}, hour as t from cost_allocations
      where cluster = ${q.cluster} and hour >= ${q.from} and hour < ${q.to}`;
  }
  const ds = new Date(dayStart);
  const de = new Date(dayEnd);
  return sql`select ${columns}, day as t from cost_allocations_daily
      where cluster = ${q.cluster} and day >= ${ds} and day < ${de}
    union all
    select ${columns}, hour as t from cost_allocations
      where cluster = ${q.cluster} and ((hour >= ${q.from} and hour < ${ds}) or (hour >= ${de} and hour < ${q.to}))`;
}

/** One (key, currency, price tier, untagged) with its kinds side by side: half the rows of one per kind. */
interface GroupRow {
  key: string | null;
  currency: string;
  price_tier: string;
  untagged: boolean;
  /** usage + other */
  cost: string | null;
  idle_cost: string | null;
  unallocated_cost: string | null;
  gpu_hours: number | null;
  idle_gpu_hours: number | null;
  unallocated_gpu_hours: number | null;
  /** groupBy=job only. */
  job_ref?: number | null;
  gpu_model?: string | null;
  job_name?: string | null;
  job_user?: string | null;
  job_team?: string | null;
}

interface Acc {
  cost: bigint;
  idle: bigint;
  gpuHours: number;
  idleGpuHours: number;
  tiers: Map<string, bigint>;
  label: Pick<CostGroup, 'jobName' | 'user' | 'team' | 'gpuModel'>;
}

/**
 * The cost report for a window: groups, idle, unallocated and totals that add up to the cent, daily trend,
 * reconciliation of estimates against bills, tag coverage and unpriced GPU-hours. Refuses a window whose costs
 * are in more than one currency rather than add them.
 */
export async function buildCostReport(db: Db, q: CostReportQuery): Promise<CostReport> {
  if (!(q.from < q.to)) throw new AppError('VALIDATION', 'from must be before to');
  const job = q.groupBy === 'job';
  if (q.step === 'hour' && q.to.getTime() - q.from.getTime() > 31 * DAY) {
    throw new AppError('VALIDATION', 'step=hour is for windows of up to 31 days');
  }
  // the side queries run on other pool connections while the main one groups
  const side = Promise.all([
    loadNodeSummary(db, q),
    loadKindTotals(db, windowRows(q, KIND_TOTAL_COLUMNS)),
    q.step === 'hour'
      ? loadKindTotals(
          db,
          sql`select ${KIND_TOTAL_COLUMNS}, hour as t from cost_allocations
            where cluster = ${q.cluster} and hour >= ${q.from} and hour < ${q.to}`,
        )
      : undefined,
  ]);
  // unhandled until awaited below; a main-query failure must not leave it rejecting unobserved
  side.catch(() => undefined);
  // a month grouped by job is tens of thousands of groups: room to hash and sort them in memory
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '64MB'`);
    // a report is one short query: JIT compilation costs more than it saves here
    await tx.execute(sql`set local jit = off`);
    return queryRows<GroupRow>(
      tx as unknown as Db,
      job
        ? jobGroupsSql(q)
        : sql`select key, currency, price_tier, untagged, ${MEASURES}
          from (${windowRows(q, sql`kind, ${DIMENSION[q.groupBy]} as key, currency, price_tier, (price_source = 'billing:untagged') as untagged, cost, gpu_hours`)}) w
          group by key, currency, price_tier, untagged`,
    );
  });
  // the by-job query groups jobs only: the spend no job owns comes from the window's totals by kind
  if (job) rows.push(...unownedRows((await side)[1]));
  const priced = (r: GroupRow) => r.cost !== null || r.idle_cost !== null || r.unallocated_cost !== null;
  const currencies = new Set(rows.filter(priced).map((r) => r.currency));
  if (currencies.size > 1 || currencies.has('MIXED')) {
    throw new AppError(
      'CONFLICT',
      `costs in the window are in more than one currency (${[...currencies].sort().join(', ')}); ` +
        'gpuscope does not add different currencies: narrow the window or import bills in one currency',
    );
  }
  const currency = [...currencies][0] ?? 'USD';

  const groups = new Map<string, Acc>();
  let unallocated = 0n;
  let unallocatedGpuHours = 0;
  let untagged = 0n;
  let billed = 0n;
  const tiers = new Map<string, bigint>();
  const dec = (v: string | null) => (v === null ? 0n : (parseDecimal(v) ?? 0n));
  for (const r of rows) {
    if (!priced(r)) continue;
    const cost = dec(r.cost);
    const idle = dec(r.idle_cost);
    const unalloc = dec(r.unallocated_cost);
    tiers.set(r.price_tier, (tiers.get(r.price_tier) ?? 0n) + cost + idle + unalloc);
    if (BILLED_TIERS.has(r.price_tier)) billed += cost + idle + unalloc;
    unallocated += unalloc;
    unallocatedGpuHours += r.unallocated_gpu_hours ?? 0;
    // only `other` lines carry the flag
    if (r.untagged) untagged += cost;
    if (r.cost === null && r.idle_cost === null) continue;
    const key = r.key ?? UNALLOCATED_KEY;
    let g = groups.get(key);
    if (!g) {
      g = { cost: 0n, idle: 0n, gpuHours: 0, idleGpuHours: 0, tiers: new Map(), label: {} };
      groups.set(key, g);
    }
    g.cost += cost;
    g.idle += idle;
    g.gpuHours += r.gpu_hours ?? 0;
    g.idleGpuHours += r.idle_gpu_hours ?? 0;
    g.tiers.set(r.price_tier, (g.tiers.get(r.price_tier) ?? 0n) + cost + idle);
    if (job && r.job_ref !== null && r.job_ref !== undefined) {
      // a job's rows per tier arrive in no set order: the greatest model name, as SQL's max() picks per row
      const model = r.gpu_model ?? undefined;
      const gpuModel =
        g.label.gpuModel === undefined || (model !== undefined && model > g.label.gpuModel)
          ? model
          : g.label.gpuModel;
      g.label = {
        jobName: r.job_name ?? undefined,
        user: r.job_user ?? undefined,
        team: r.job_team ?? undefined,
        gpuModel,
      };
    }
  }

  const keys = [...groups.keys()];
  const accs = keys.map((k) => groups.get(k) as Acc);
  const shared = shareUnallocated(q.sharePolicy, keys, accs, unallocated);
  const sharedTotal = shared.reduce((s, v) => s + v, 0n);
  const n = keys.length;
  // nothing shared (policy none) leaves a column of zeros: they never take a residual cent, so leave them out
  const sharing = sharedTotal !== 0n;
  const cents = apportionCents([
    ...accs.map((a) => a.cost),
    ...accs.map((a) => a.idle),
    ...(sharing ? shared : []),
    unallocated - sharedTotal,
  ]);
  const p = cents.parts;
  const costCents = p.slice(0, n);
  const idleCents = p.slice(n, 2 * n);
  const sharedCents = sharing ? p.slice(2 * n, 3 * n) : costCents.map(() => 0n);
  const totals = costCents.map((v, i) => v + (idleCents[i] ?? 0n) + (sharedCents[i] ?? 0n));
  const out: CostGroup[] = keys.map((key, i) => {
    const a = accs[i] as Acc;
    return {
      key,
      costUsd: formatCents(costCents[i] ?? 0n),
      idleCostUsd: formatCents(idleCents[i] ?? 0n),
      sharedCostUsd: formatCents(sharedCents[i] ?? 0n),
      totalCostUsd: formatCents(totals[i] ?? 0n),
      gpuHours: round3(a.gpuHours),
      idleGpuHours: round3(a.idleGpuHours),
      priceSources:
        a.tiers.size === 1
          ? [...a.tiers.keys()]
          : [...a.tiers.entries()].sort((x, y) => (x[1] > y[1] ? -1 : 1)).map(([t]) => t),
      ...a.label,
    };
  });
  // sort on the cents already at hand: parsing strings inside the comparator cost more than the query on 20k jobs
  const order = out.map((g, i) => ({ g, total: totals[i] ?? 0n }));
  order.sort((x, y) =>
    x.total === y.total ? (x.g.key < y.g.key ? -1 : x.g.key > y.g.key ? 1 : 0) : x.total > y.total ? -1 : 1,
  );
  const folded = foldRest(order, q.limit);
  const sumOf = (values: bigint[]) => values.reduce((s, v) => s + v, 0n);
  const allocatedCents = sumOf(costCents);
  const idleTotalCents = sumOf(idleCents);
  const sharedTotalCents = sumOf(sharedCents);
  const unallocatedCents = sharedTotalCents + (p[p.length - 1] ?? 0n);
  const exactTotal = accs.reduce((s, a) => s + a.cost + a.idle, 0n) + unallocated;

  const [nodes, kindTotals, hourTotals] = await side;
  const daily = seriesFromTotals(kindTotals, 'day');
  const hourly = hourTotals && seriesFromTotals(hourTotals, 'hour');
  const owned = exactTotal - unallocated - untagged;
  const gpuHours = accs.reduce((s, a) => s + a.gpuHours, 0) + unallocatedGpuHours;
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    groupBy: q.groupBy,
    currency,
    sharePolicy: q.sharePolicy,
    groups: folded.groups,
    ...(folded.omitted > 0 ? { groupsOmitted: folded.omitted } : {}),
    allocatedCostUsd: formatCents(allocatedCents),
    idleCostUsd: formatCents(idleTotalCents),
    unallocatedCostUsd: formatCents(unallocatedCents),
    sharedCostUsd: formatCents(sharedTotalCents),
    totalCostUsd: formatCents(cents.total),
    billedCostUsd: formatCents(roundHalfAway(billed)),
    estimatedCostUsd: formatCents(cents.total - roundHalfAway(billed)),
    reconciliation: nodes.reconciliation,
    tagCoverage: {
      ownedCostUsd: formatCents(roundHalfAway(owned)),
      ratio: exactTotal === 0n ? 1 : Number((owned * 1_000_000n) / exactTotal) / 1_000_000,
    },
    gpuHours: round3(gpuHours),
    idleGpuHours: round3(accs.reduce((s, a) => s + a.idleGpuHours, 0)),
    unallocatedGpuHours: round3(unallocatedGpuHours),
    daily,
    ...(hourly ? { hourly } : {}),
    stalePriceNodeHours: nodes.stale,
    unpriced: nodes.unpriced,
    priceSources: [...tiers.entries()]
      .sort((x, y) => (x[1] > y[1] ? -1 : 1))
      .map(([tier, v]) => ({ tier, costUsd: formatCents(roundHalfAway(v)) })),
  };
}

/**
 * The largest `limit` groups, then the others summed (in whole cents, so the report still adds up) into one
 * group keyed `__rest__`, placed last.
 */
function foldRest(
  sorted: { g: CostGroup; total: bigint }[],
  limit: number | undefined,
): { groups: CostGroup[]; omitted: number } {
  if (limit === undefined || sorted.length <= limit) return { groups: sorted.map((s) => s.g), omitted: 0 };
  const kept = sorted.slice(0, limit).map((s) => s.g);
  const rest = sorted.slice(limit).map((s) => s.g);
  const cents = (pick: (g: CostGroup) => string) =>
    formatCents(rest.reduce((sum, g) => sum + parseCents(pick(g)), 0n));
  kept.push({
    key: '__rest__',
    costUsd: cents((g) => g.costUsd),
    idleCostUsd: cents((g) => g.idleCostUsd),
    sharedCostUsd: cents((g) => g.sharedCostUsd),
    totalCostUsd: cents((g) => g.totalCostUsd),
    gpuHours: round3(rest.reduce((sum, g) => sum + g.gpuHours, 0)),
    idleGpuHours: round3(rest.reduce((sum, g) => sum + g.idleGpuHours, 0)),
    priceSources: [...new Set(rest.flatMap((g) => g.priceSources))],
  });
  return { groups: kept, omitted: rest.length };
}

/**
 * Unallocated capacity under the share policy: `none` keeps it on its own line; `weighted` spreads it by each
 * group's own cost (usage + idle); `even` spreads it equally. Spend nobody owns (the Unallocated group) takes
 * no share. Exact: the last receiving group takes the remainder.
 */
function shareUnallocated(policy: SharePolicy, keys: string[], accs: Acc[], amount: bigint): bigint[] {
  const shares = keys.map(() => 0n);
  if (policy === 'none' || amount === 0n) return shares;
  const receivers = keys.flatMap((k, i) => (k === UNALLOCATED_KEY ? [] : [i]));
  if (receivers.length === 0) return shares;
  const weights = receivers.map((i) =>
    policy === 'even' ? 1n : (accs[i] as Acc).cost + (accs[i] as Acc).idle,
  );
  const totalWeight = weights.reduce((s, w) => s + w, 0n);
  if (totalWeight <= 0n) return shares;
  let given = 0n;
  receivers.forEach((i, k) => {
    const share = k === receivers.length - 1 ? amount - given : (amount * (weights[k] ?? 0n)) / totalWeight;
    shares[i] = share;
    given += share;
  });
  return shares;
}

/**
 * The by-job grouping: jobs from `cost_job_days` (a row per job-day, usage and idle side by side) for whole days
 * and from the hourly rows for partial ones, grouped by the integer job_ref. The rows no job owns (other spend,
 * unallocated capacity) come from `loadKindTotals`, which the daily series reads anyway.
 */
function jobGroupsSql(q: CostReportQuery): SQL {
  const dayStart = Math.ceil(q.from.getTime() / DAY) * DAY;
  const dayEnd = Math.floor(q.to.getTime() / DAY) * DAY;
  const hourly = (where: SQL) => sql`select job_ref, job_id, currency, price_tier,
      case when kind = 'usage' then cost end as cost, case when kind = 'idle' then cost end as idle_cost,
      case when cost is not null then gpu_hours else 0 end as gpu_hours,
      case when kind = 'idle' and cost is not null then gpu_hours else 0 end as idle_gpu_hours, gpu_model
    from cost_allocations where cluster = ${q.cluster} and job_ref is not null and ${where}`;
  const jobRows =
    dayStart >= dayEnd || q.readDaily === false
      ? hourly(sql`hour >= ${q.from} and hour < ${q.to}`)
      : sql`select job_ref, job_id, currency, price_tier, cost, idle_cost, gpu_hours, idle_gpu_hours, gpu_model
          from cost_job_days where cluster = ${q.cluster} and day >= ${new Date(dayStart)} and day < ${new Date(dayEnd)}
        union all
        ${hourly(sql`((hour >= ${q.from} and hour < ${new Date(dayStart)}) or (hour >= ${new Date(dayEnd)} and hour < ${q.to}))`)}`;
  // the job's name, user and team joined here: one query instead of a second round trip with 20k ids
  return sql`select a.*, jb.name as job_name, jb."user" as job_user, jb.team as job_team
    from (select max(job_id) as key, job_ref, currency, price_tier, false as untagged, sum(cost)::text as cost,
      sum(idle_cost)::text as idle_cost, null::text as unallocated_cost, sum(gpu_hours)::float8 as gpu_hours,
      sum(idle_gpu_hours)::float8 as idle_gpu_hours, null::float8 as unallocated_gpu_hours,
      max(gpu_model) as gpu_model
    from (${jobRows}) j group by job_ref, currency, price_tier) a
    left join jobs jb on jb.id = a.job_ref`;
}

/** Tiers whose cost comes from an imported bill rather than a price. */
const BILLED_TIERS = new Set(['billing_actual', 'committed']);

/**
 * Node-hours of the window, like `windowRows`: whole days from `cost_node_days`, partial days from
 * `cost_node_hours` with the same columns.
 */
function nodeWindowRows(q: Pick<CostReportQuery, 'cluster' | 'from' | 'to' | 'readDaily'>): SQL {
  const hourly = sql`node, gpu_model, (billed and estimated_cost is not null)::int as reconciled_node_hours,
    case when billed and estimated_cost is not null then estimated_cost end as reconciled_estimate,
    case when billed and estimated_cost is not null then cost end as reconciled_billed,
    (stale and not billed)::int as stale_node_hours,
    case when cost is null then gpu_capacity * present_minutes / 60.0 else 0 end as unpriced_gpu_hours`;
  const daily = sql`node, gpu_model, reconciled_node_hours, reconciled_estimate, reconciled_billed, stale_node_hours,
    unpriced_gpu_hours`;
  const dayStart = Math.ceil(q.from.getTime() / DAY) * DAY;
  const dayEnd = Math.floor(q.to.getTime() / DAY) * DAY;
  if (dayStart >= dayEnd || q.readDaily === false) {
    return sql`select ${hourly} from cost_node_hours
      where cluster = ${q.cluster} and hour >= ${q.from} and hour < ${q.to}`;
  }
  const ds = new Date(dayStart);
  const de = new Date(dayEnd);
  return sql`select ${daily} from cost_node_days where cluster = ${q.cluster} and day >= ${ds} and day < ${de}
    union all
    select ${hourly} from cost_node_hours
      where cluster = ${q.cluster} and ((hour >= ${q.from} and hour < ${ds}) or (hour >= ${de} and hour < ${q.to}))`;
}

/** Reconciliation of estimates against bills, the stale-price count and unpriced GPU-hours, per node. */
async function loadNodeSummary(
  db: Db,
  q: CostReportQuery,
): Promise<{
  stale: number;
  reconciliation: CostReport['reconciliation'];
  unpriced: CostReport['unpriced'];
}> {
  const rows = await queryRows<{
    node: string;
    gpu_model: string | null;
    node_hours: number;
    estimated: string | null;
    billed: string | null;
    stale: number;
    unpriced: number;
  }>(
    db,
    sql`select node, max(gpu_model) as gpu_model, sum(reconciled_node_hours)::int as node_hours,
        sum(reconciled_estimate)::text as estimated, sum(reconciled_billed)::text as billed,
        sum(stale_node_hours)::int as stale, sum(unpriced_gpu_hours)::float8 as unpriced
      from (${nodeWindowRows(q)}) w group by node`,
  );
  const dec = (v: string | null | undefined) => (v ? (parseDecimal(v) ?? 0n) : 0n);
  let estimated = 0n;
  let billed = 0n;
  let nodeHours = 0;
  let stale = 0;
  for (const r of rows) {
    estimated += dec(r.estimated);
    billed += dec(r.billed);
    nodeHours += r.node_hours;
    stale += r.stale;
  }
  const e = roundHalfAway(estimated);
  const b = roundHalfAway(billed);
  return {
    stale,
    reconciliation: {
      nodeHours,
      estimatedUsd: formatCents(e),
      billedUsd: formatCents(b),
      adjustmentUsd: formatCents(b - e),
    },
    unpriced: rows
      .filter((r) => r.unpriced > 0)
      .sort((x, y) => y.unpriced - x.unpriced || x.node.localeCompare(y.node))
      .map((r) => ({ node: r.node, gpuModel: r.gpu_model, gpuHours: round3(r.unpriced) })),
  };
}

const KIND_TOTAL_COLUMNS = sql`kind, currency, price_tier, (price_source = 'billing:untagged') as untagged, cost, gpu_hours`;

/** The window's cost by stored day (or hour), kind, currency, tier and taggedness: a few hundred rows at most. */
interface KindTotal {
  t: Date;
  kind: string;
  currency: string;
  price_tier: string;
  untagged: boolean;
  cost: string | null;
  gpu_hours: number | null;
}

async function loadKindTotals(db: Db, rows: SQL): Promise<KindTotal[]> {
  const result = await queryRows<Omit<KindTotal, 't'> & { t: Date | string }>(
    db,
    sql`select t, kind, currency, price_tier, untagged, sum(cost)::text as cost,
        (sum(gpu_hours) filter (where cost is not null))::float8 as gpu_hours
      from (${rows}) w group by t, kind, currency, price_tier, untagged`,
  );
  return result.map((r) => ({ ...r, t: new Date(r.t) }));
}

/** Other spend and unallocated capacity as keyless group rows, one per currency, tier and taggedness. */
function unownedRows(totals: readonly KindTotal[]): GroupRow[] {
  const out = new Map<string, { row: GroupRow; cost: bigint | null; unallocated: bigint | null }>();
  for (const k of totals) {
    if (k.kind !== 'other' && k.kind !== 'unallocated') continue;
    const id = `${k.currency}|${k.price_tier}|${k.untagged}`;
    const e = out.get(id) ?? {
      row: {
        key: null,
        currency: k.currency,
        price_tier: k.price_tier,
        untagged: k.untagged,
        cost: null,
        idle_cost: null,
        unallocated_cost: null,
        gpu_hours: null,
        idle_gpu_hours: null,
        unallocated_gpu_hours: null,
      },
      cost: null,
      unallocated: null,
    };
    const v = k.cost === null ? null : (parseDecimal(k.cost) ?? 0n);
    const add = (a: number | null, b: number | null) =>
      a === null && b === null ? null : (a ?? 0) + (b ?? 0);
    if (k.kind === 'other') {
      if (v !== null) e.cost = (e.cost ?? 0n) + v;
      e.row.gpu_hours = add(e.row.gpu_hours, k.gpu_hours);
    } else {
      if (v !== null) e.unallocated = (e.unallocated ?? 0n) + v;
      e.row.unallocated_gpu_hours = add(e.row.unallocated_gpu_hours, k.gpu_hours);
    }
    out.set(id, e);
  }
  return [...out.values()].map((e) => ({
    ...e.row,
    cost: e.cost === null ? null : formatDecimal(e.cost),
    unallocated_cost: e.unallocated === null ? null : formatDecimal(e.unallocated),
  }));
}

/** Totals per UTC day (`YYYY-MM-DD`) or hour (ISO start), each rounded to cents on its own. */
function seriesFromTotals(totals: readonly KindTotal[], step: 'day' | 'hour'): DailyCost[] {
  const byDay = new Map<string, { total: bigint; idle: bigint; unallocated: bigint }>();
  for (const k of totals) {
    const iso = k.t.toISOString();
    const label = step === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 13)}:00:00Z`;
    const d = byDay.get(label) ?? { total: 0n, idle: 0n, unallocated: 0n };
    const v = k.cost ? (parseDecimal(k.cost) ?? 0n) : 0n;
    d.total += v;
    if (k.kind === 'idle') d.idle += v;
    if (k.kind === 'unallocated') d.unallocated += v;
    byDay.set(label, d);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, d]) => ({
      day,
      totalCostUsd: formatCents(roundHalfAway(d.total)),
      idleCostUsd: formatCents(roundHalfAway(d.idle)),
      unallocatedCostUsd: formatCents(roundHalfAway(d.unallocated)),
    }));
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
