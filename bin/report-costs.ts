import { allocateRange } from '../analyzer/cost/allocate-hours.js';
import { buildCostReport } from '../analyzer/cost/build-cost-report.js';
import { renderCostCsv } from '../analyzer/cost/render-cost-csv.js';
import { COST_GROUP_BYS, type CostGroupBy, type SharePolicy } from '../analyzer/cost/report-types.js';
import { allocationOptionsFromConfig } from '../analyzer/cost/run-allocation-tick.js';
import { type Config, ConfigError } from '../core/config.js';
import type { Db } from '../core/db.js';

export interface ReportCostsOptions {
  from: string | undefined;
  to: string | undefined;
  groupBy: string | undefined;
  format: string | undefined;
  sharePolicy: string | undefined;
  /** Recompute the window's allocation first (e.g. right after importing a bill with no service running). */
  allocate: boolean;
}

/** `gpuscope report costs`: the same report the API serves, as JSON or CSV on stdout. */
export async function reportCosts(
  db: Db,
  config: Config,
  o: ReportCostsOptions,
  nowMs: number,
): Promise<string> {
  const from = parseInstant(o.from, '--from');
  const to = parseInstant(o.to, '--to');
  if (from >= to)
    throw new ConfigError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const groupBy = (o.groupBy ?? 'team') as CostGroupBy;
  if (!COST_GROUP_BYS.includes(groupBy)) {
    throw new ConfigError(`--group-by must be one of ${COST_GROUP_BYS.join(', ')}, got ${o.groupBy}`);
  }
  const format = o.format ?? 'json';
  if (format !== 'json' && format !== 'csv')
    throw new ConfigError(`--format must be json or csv, got ${format}`);
  const sharePolicy = (o.sharePolicy ?? config.costs.sharePolicy) as SharePolicy;
  if (!['none', 'weighted', 'even'].includes(sharePolicy)) {
    throw new ConfigError(`--share-policy must be none, weighted or even, got ${o.sharePolicy}`);
  }
  if (o.allocate) {
    await allocateRange({ ...allocationOptionsFromConfig(config), db, now: new Date(nowMs) }, from, to);
  }
  const report = await buildCostReport(db, { cluster: config.cluster, from, to, groupBy, sharePolicy });
  return format === 'csv' ? renderCostCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
}

function parseInstant(value: string | undefined, flag: string): Date {
  if (!value) throw new ConfigError(`${flag} is required (ISO 8601, e.g. 2026-11-01T00:00:00Z)`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new ConfigError(`${flag} "${value}" is not an ISO 8601 time`);
  }
  return new Date(ms);
}
