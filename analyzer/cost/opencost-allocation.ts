import { AppError } from '../../core/errors.js';
import type { CostGroupBy, CostReport } from './report-types.js';
import { UNALLOCATED_KEY } from './report-types.js';
import { parseCents } from './round-to-cents.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * OpenCost's `window` parameter: `Nd`/`Nh`/`Nm` ending now, `today`, `yesterday`, `week`, `month`,
 * `lastweek`, `lastmonth`, or two RFC 3339 instants or unix seconds joined by a comma. Weeks start on
 * Sunday as in OpenCost; everything is UTC.
 */
export function parseOpenCostWindow(window: string, nowMs: number): { from: Date; to: Date } {
  const w = window.trim();
  const day = Math.floor(nowMs / DAY) * DAY;
  const now = new Date(nowMs);
  const rel = /^(\d+)([dhm])$/.exec(w);
  if (rel) {
    const n = Number(rel[1]);
    const unit = rel[2] === 'd' ? DAY : rel[2] === 'h' ? HOUR : 60_000;
    if (n <= 0) throw bad(window);
    return { from: new Date(nowMs - n * unit), to: now };
  }
  const weekStart = day - new Date(day).getUTCDay() * DAY;
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const lastMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  switch (w) {
    case 'today':
      return { from: new Date(day), to: now };
    case 'yesterday':
      return { from: new Date(day - DAY), to: new Date(day) };
    case 'week':
      return { from: new Date(weekStart), to: now };
    case 'month':
      return { from: new Date(monthStart), to: now };
    case 'lastweek':
      return { from: new Date(weekStart - 7 * DAY), to: new Date(weekStart) };
    case 'lastmonth':
      return { from: new Date(lastMonthStart), to: new Date(monthStart) };
  }
  const parts = w.split(',');
  if (parts.length === 2) {
    const [a, b] = parts.map((p) => parseInstant(p.trim()));
    if (a !== undefined && b !== undefined && a < b) return { from: new Date(a), to: new Date(b) };
  }
  throw bad(window);
}

function parseInstant(text: string): number | undefined {
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

const bad = (window: string) =>
  new AppError(
    'VALIDATION',
    `window "${window}": expected Nd, Nh, Nm, today, yesterday, week, month, lastweek, lastmonth, or start,end (RFC 3339 or unix seconds)`,
  );

/** OpenCost `aggregate` values gpuscope can answer, mapped onto its own group-bys. */
const AGGREGATES: Record<string, CostGroupBy> = {
  namespace: 'namespace',
  node: 'node',
  controller: 'job',
  job: 'job',
  team: 'team',
  'label:team': 'team',
  project: 'project',
  'label:project': 'project',
  user: 'user',
  'label:user': 'user',
  gpuModel: 'gpuModel',
};

export function parseOpenCostAggregate(aggregate: string): CostGroupBy {
  const groupBy = AGGREGATES[aggregate.trim()];
  if (!groupBy) {
    throw new AppError(
      'VALIDATION',
      `aggregate "${aggregate}": supported are ${Object.keys(AGGREGATES).join(', ')}`,
    );
  }
  return groupBy;
}

export interface OpenCostAllocation {
  name: string;
  properties: Record<string, string>;
  window: { start: string; end: string };
  start: string;
  end: string;
  minutes: number;
  cpuCoreHours: number;
  cpuCost: number;
  gpuHours: number;
  gpuCost: number;
  gpuCostAdjustment: number;
  ramByteHours: number;
  ramCost: number;
  pvCost: number;
  networkCost: number;
  loadBalancerCost: number;
  sharedCost: number;
  externalCost: number;
  totalCost: number;
  totalEfficiency: number;
}

/**
 * A report in OpenCost's `/allocation` response shape, so tools built for OpenCost read gpuscope: one set per
 * window, keyed by name. gpuscope's unallocated capacity is OpenCost's `__idle__`; spend with no owner is
 * `__unallocated__`. Costs are numbers here because OpenCost's are; totalCost values add up to the report total.
 */
export function toOpenCostResponse(
  r: CostReport,
  aggregate: string,
): { code: 200; status: 'success'; data: Record<string, OpenCostAllocation>[] } {
  const window = { start: r.from, end: r.to };
  const minutes = (Date.parse(r.to) - Date.parse(r.from)) / 60_000;
  const set: Record<string, OpenCostAllocation> = {};
  const entry = (
    name: string,
    totalUsd: string,
    gpuHours: number,
    sharedUsd: string,
    efficiency: number,
  ): OpenCostAllocation => ({
    name,
    properties: name.startsWith('__') ? {} : { [aggregate.replace(/^label:/, '')]: name },
    window,
    start: r.from,
    end: r.to,
    minutes,
    cpuCoreHours: 0,
    cpuCost: 0,
    gpuHours,
    gpuCost: Number(totalUsd) - Number(sharedUsd),
    gpuCostAdjustment: 0,
    ramByteHours: 0,
    ramCost: 0,
    pvCost: 0,
    networkCost: 0,
    loadBalancerCost: 0,
    sharedCost: Number(sharedUsd),
    externalCost: 0,
    totalCost: Number(totalUsd),
    totalEfficiency: efficiency,
  });
  for (const g of r.groups) {
    const name = g.key === UNALLOCATED_KEY ? '__unallocated__' : g.key;
    const used = g.gpuHours - g.idleGpuHours;
    set[name] = entry(
      name,
      g.totalCostUsd,
      g.gpuHours,
      g.sharedCostUsd,
      g.gpuHours > 0 ? used / g.gpuHours : 0,
    );
  }
  const idleCents = parseCents(r.unallocatedCostUsd) - parseCents(r.sharedCostUsd);
  if (idleCents !== 0n || r.unallocatedGpuHours > 0) {
    set.__idle__ = entry('__idle__', (Number(idleCents) / 100).toFixed(2), r.unallocatedGpuHours, '0', 0);
  }
  return { code: 200, status: 'success', data: [set] };
}
