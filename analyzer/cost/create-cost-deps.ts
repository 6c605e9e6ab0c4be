import type { Registry } from 'prom-client';
import type { Config } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import { createBudgetMetrics } from './budget-metrics.js';
import { buildCostReport, type CostReportQuery } from './build-cost-report.js';
import type { BudgetStatus } from './forecast-budget.js';
import { loadDailySpend } from './load-daily-spend.js';
import type { CostReport, SharePolicy } from './report-types.js';
import { runBudgetTick } from './run-budget-tick.js';

/** What the cost surfaces (JSON, CSV, OpenCost, HTML, budgets) read, bound to the configured cluster. */
export interface CostDeps {
  sharePolicy: SharePolicy;
  loadCostReport: (q: Omit<CostReportQuery, 'cluster'>) => Promise<CostReport>;
  budgetStatuses: (now: Date) => Promise<BudgetStatus[]>;
}

/** The cost read side bound to one store and cluster: reports, and budgets that refresh their gauges on read. */
export function createCostDeps(db: Db, config: Config, registry: Registry): CostDeps {
  const budgetMetrics = createBudgetMetrics(registry);
  return {
    sharePolicy: config.costs.sharePolicy,
    loadCostReport: (q) => buildCostReport(db, { ...q, cluster: config.cluster }),
    budgetStatuses: (now) =>
      runBudgetTick({
        budgets: config.budgets,
        now,
        loadDailySpend: (q) => loadDailySpend(db, config.cluster, q),
        metrics: budgetMetrics,
      }),
  };
}
