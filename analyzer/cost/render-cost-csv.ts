import type { CostGroupBy, CostReport } from './report-types.js';
import { formatCents } from './round-to-cents.js';

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
  const lines = [COST_CSV_COLUMNS.join(',')];
  const base: Partial<Record<Column, string>> = {
    ChargePeriodStart: r.from,
    ChargePeriodEnd: r.to,
    BillingCurrency: r.currency,
    ChargeCategory: 'Usage',
    x_GroupBy: r.groupBy,
  };
  for (const g of r.groups) {
    const row: Partial<Record<Column, string>> = {
      ...base,
      ChargeDescription: `GPU cost allocated to ${r.groupBy} ${g.key}`,
      EffectiveCost: g.totalCostUsd,
      [KEY_COLUMN[r.groupBy]]: g.key,
      x_AllocationKind: 'allocation',
      x_UsageCost: g.costUsd,
      x_IdleCost: g.idleCostUsd,
      x_SharedCost: g.sharedCostUsd,
      x_GpuHours: String(g.gpuHours),
      x_IdleGpuHours: String(g.idleGpuHours),
      x_PriceSource: g.priceSources.join('|'),
    };
    if (r.groupBy === 'job') {
      row.x_JobName = g.jobName ?? '';
      row.x_User = g.user ?? '';
      row.x_Team = g.team ?? '';
      row.x_GpuModel = g.gpuModel ?? '';
    }
    lines.push(toLine(row));
  }
  const unallocatedLeft = reportCents(r.unallocatedCostUsd) - reportCents(r.sharedCostUsd);
  lines.push(
    toLine({
      ...base,
      ChargeDescription: 'GPU capacity no job held (not spread by the share policy)',
      EffectiveCost: formatCents(unallocatedLeft),
      x_AllocationKind: 'unallocated',
      x_UsageCost: formatCents(unallocatedLeft),
      x_IdleCost: '0.00',
      x_SharedCost: '0.00',
      x_GpuHours: String(r.unallocatedGpuHours),
      x_IdleGpuHours: String(r.unallocatedGpuHours),
    }),
  );
  return `${lines.join('\r\n')}\r\n`;
}

function toLine(row: Partial<Record<Column, string>>): string {
  return COST_CSV_COLUMNS.map((c) => csvField(row[c] ?? '', !NUMERIC.has(c))).join(',');
}

const NUMERIC = new Set<Column>([
  'EffectiveCost',
  'x_UsageCost',
  'x_IdleCost',
  'x_SharedCost',
  'x_GpuHours',
  'x_IdleGpuHours',
]);

/**
 * RFC 4180 quoting; text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
 * prefixed with `'`: group keys come from user-controlled tags and job names.
 */
function csvField(value: string, text: boolean): string {
  const safe = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A report's `1234.56` as integer cents. */
export const reportCents = (v: string) => BigInt(v.replace('.', ''));
