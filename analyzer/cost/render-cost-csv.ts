import type { CostGroupBy, CostReport } from './report-types.js';
import { formatCents, parseCents } from './round-to-cents.js';

/**
 * The report as CSV for finance tools: FOCUS column names where FOCUS has one, `x_` extensions for the rest.
 * One row per group plus one for unallocated capacity, so EffectiveCost adds up to the report's total.
 */
export const COST_CSV_COLUMNS = [
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'BillingCurrency',
  'ChargeCategory',
  'ChargeDescription',
  'EffectiveCost',
  'x_GroupBy',
  'x_Team',
  'x_Project',
  'x_User',
  'x_JobId',
  'x_JobName',
  'x_Namespace',
  'x_Node',
  'x_GpuModel',
  'x_AllocationKind',
  'x_UsageCost',
  'x_IdleCost',
  'x_SharedCost',
  'x_GpuHours',
  'x_IdleGpuHours',
  'x_PriceSource',
] as const;

type Column = (typeof COST_CSV_COLUMNS)[number];

const KEY_COLUMN: Record<CostGroupBy, Column> = {
  team: 'x_Team',
  project: 'x_Project',
  user: 'x_User',
  job: 'x_JobId',
  namespace: 'x_Namespace',
  node: 'x_Node',
  gpuModel: 'x_GpuModel',
};

export function renderCostCsv(r: CostReport): string {
  // one array per row in column order, every cell escaped once: the same period, currency and group-by on 20k rows
  // are escaped once, numbers never need it
  const at = (c: Column) => COST_CSV_COLUMNS.indexOf(c);
  const keyAt = at(KEY_COLUMN[r.groupBy]);
  const text = (v: string) => csvField(v, true);
  const constant = COST_CSV_COLUMNS.map(() => '');
  constant[0] = text(r.from);
  constant[1] = text(r.to);
  constant[2] = text(r.currency);
  constant[3] = 'Usage';
  constant[at('x_GroupBy')] = text(r.groupBy);
  const I = {
    description: at('ChargeDescription'),
    effective: at('EffectiveCost'),
    kind: at('x_AllocationKind'),
    usage: at('x_UsageCost'),
    idle: at('x_IdleCost'),
    shared: at('x_SharedCost'),
    gpuHours: at('x_GpuHours'),
    idleGpuHours: at('x_IdleGpuHours'),
    source: at('x_PriceSource'),
    jobName: at('x_JobName'),
    user: at('x_User'),
    team: at('x_Team'),
    model: at('x_GpuModel'),
  };
  const lines = [COST_CSV_COLUMNS.join(',')];
  for (const g of r.groups) {
    const row = [...constant];
    row[I.description] = text(`GPU cost allocated to ${r.groupBy} ${g.key}`);
    row[I.effective] = g.totalCostUsd;
    row[keyAt] = text(g.key);
    row[I.kind] = 'allocation';
    row[I.usage] = g.costUsd;
    row[I.idle] = g.idleCostUsd;
    row[I.shared] = g.sharedCostUsd;
    row[I.gpuHours] = String(g.gpuHours);
    row[I.idleGpuHours] = String(g.idleGpuHours);
    row[I.source] = text(g.priceSources.join('|'));
    if (r.groupBy === 'job') {
      row[I.jobName] = text(g.jobName ?? '');
      row[I.user] = text(g.user ?? '');
      row[I.team] = text(g.team ?? '');
      row[I.model] = text(g.gpuModel ?? '');
    }
    lines.push(row.join(','));
  }
  const unallocatedLeft = formatCents(parseCents(r.unallocatedCostUsd) - parseCents(r.sharedCostUsd));
  const rest = [...constant];
  rest[I.description] = text('GPU capacity no job held (not spread by the share policy)');
  rest[I.effective] = unallocatedLeft;
  rest[I.kind] = 'unallocated';
  rest[I.usage] = unallocatedLeft;
  rest[I.idle] = '0.00';
  rest[I.shared] = '0.00';
  rest[I.gpuHours] = String(r.unallocatedGpuHours);
  rest[I.idleGpuHours] = String(r.unallocatedGpuHours);
  lines.push(rest.join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * RFC 4180 quoting; text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
 * prefixed with `'`: group keys come from user-controlled tags and job names.
 */
function csvField(value: string, text: boolean): string {
  const safe = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
