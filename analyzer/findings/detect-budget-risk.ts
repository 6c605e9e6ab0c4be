import type { BudgetConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import { formatDecimal, parseDecimal } from '../../core/decimal.js';
import { type BudgetStatus, utcMonthStart } from '../cost/forecast-budget.js';
import { loadDailySpend } from '../cost/load-daily-spend.js';
import { runBudgetTick } from '../cost/run-budget-tick.js';
import type { Detection } from './apply-detections.js';

export const BUDGET_KINDS = ['budget_at_risk'] as const;

/**
 * Spend against budget: a budget whose month-end forecast (spent + 7-day run rate + 14-day trend, the budgets
 * API's own forecast) passes its limit is at risk (warning), one already spent past it exceeded (critical). The
 * impact is the projected overrun.
 */
export function budgetDetection(s: BudgetStatus, at: Date): Detection | undefined {
  if (s.status === 'ok') return undefined;
  const limit = parseDecimal(s.monthlyUsd) ?? 0n;
  const forecast = parseDecimal(s.forecastUsd) ?? 0n;
  const overrun = forecast > limit ? forecast - limit : 0n;
  return {
    kind: 'budget_at_risk',
    subject: { type: s.scope.kind, id: s.scope.value },
    severity: s.status === 'exceeded' ? 'critical' : 'warning',
    title:
      s.status === 'exceeded'
        ? `Budget ${s.name} (${s.scope.kind} ${s.scope.value}) is spent: $${s.spentUsd} of $${s.monthlyUsd}`
        : `Budget ${s.name} (${s.scope.kind} ${s.scope.value}) is forecast at $${s.forecastUsd} of $${s.monthlyUsd}${s.exhaustionDate ? `, spent by ${s.exhaustionDate}` : ''}`,
    evidence: {
      metric: 'daily spend of the scope (usage, idle and tagged billing lines) against its monthly budget',
      window: { from: utcMonthStart(at).toISOString(), to: at.toISOString() },
      method: 'month-end forecast = spent + run rate (last 7 complete days) + least-squares trend (14 days)',
      values: {
        spentUsd: s.spentUsd,
        forecastUsd: s.forecastUsd,
        monthlyUsd: s.monthlyUsd,
        runRateUsdPerDay: s.runRateUsdPerDay,
        trendUsdPerDay2: s.trendUsdPerDay2,
        burnRatio: s.burnRatio,
        forecastRatio: s.forecastRatio,
        elapsedRatio: s.elapsedRatio,
        exhaustionDate: s.exhaustionDate,
      },
      threshold: { forecastRatio: 1 },
    },
    impactCostUsd: formatDecimal(overrun),
    impactMonthlyUsd: formatDecimal(overrun),
    recommendation: `Cut ${s.scope.kind} ${s.scope.value}'s idle and oversized GPUs (see its idle and right-sizing findings) or raise the budget.`,
  };
}

/** Every configured budget forecast as of `at`; the ones past or heading past their limit are findings. */
export async function detectBudgetRisk(
  db: Db,
  cluster: string,
  at: Date,
  budgets: readonly BudgetConfig[],
): Promise<{ detections: Detection[] }> {
  if (budgets.length === 0) return { detections: [] };
  const statuses = await runBudgetTick({
    budgets,
    now: at,
    loadDailySpend: (q) => loadDailySpend(db, cluster, q),
  });
  return { detections: statuses.flatMap((s) => budgetDetection(s, at) ?? []) };
}
