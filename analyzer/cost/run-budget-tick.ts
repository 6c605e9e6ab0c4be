import type { BudgetConfig } from '../../core/config.js';
import type { BudgetMetrics } from './budget-metrics.js';
import {
  type BudgetScopeKind,
  type BudgetStatus,
  budgetScope,
  type DailySpend,
  forecastBudget,
  utcMonthStart,
} from './forecast-budget.js';

const DAY_MS = 86_400_000;
/** History loaded before the month, enough for the 14-day trend on the 1st. */
const HISTORY_DAYS = 14;

export interface DailySpendQuery {
  scope: BudgetScopeKind;
  /** The team or project names of the configured budgets of this scope. */
  values: string[];
  /** [from, to): both 00:00 UTC; `to` is the day after `now`, so today's partial spend is in. */
  from: Date;
  to: Date;
}

export interface BudgetTickDeps {
  budgets: readonly BudgetConfig[];
  now: Date;
  /** Spend per UTC day (`day` YYYY-MM-DD) and scope value (`key`), exact decimal `costUsd`. */
  loadDailySpend: (q: DailySpendQuery) => Promise<{ day: string; key: string; costUsd: string }[]>;
  /** Absent: forecast only (the analyzer's budget findings), the gauges left to the cost side. */
  metrics?: BudgetMetrics;
}

/** Forecasts every configured budget for the month `now` falls in and refreshes the budget gauges. */
export async function runBudgetTick(deps: BudgetTickDeps): Promise<BudgetStatus[]> {
  const monthStart = utcMonthStart(deps.now);
  const from = new Date(monthStart.getTime() - HISTORY_DAYS * DAY_MS);
  const to = new Date((Math.floor(deps.now.getTime() / DAY_MS) + 1) * DAY_MS);
  const kinds: BudgetScopeKind[] = ['team', 'project'];
  const loaded = await Promise.all(
    kinds.map(async (scope) => {
      const scopes = deps.budgets.map(budgetScope).filter((s) => s.kind === scope);
      const values = [...new Set(scopes.map((s) => s.value))];
      if (values.length === 0) return [scope, new Map<string, DailySpend[]>()] as const;
      const rows = await deps.loadDailySpend({ scope, values, from, to });
      return [scope, groupByKey(rows)] as const;
    }),
  );
  const byScope = new Map(loaded);
  const statuses = deps.budgets.map((budget) => {
    const scope = budgetScope(budget);
    const spend = byScope.get(scope.kind);
    return forecastBudget({
      budget,
      monthStart,
      now: deps.now,
      daily: spend?.get(scope.value) ?? [],
      historyFrom: earliestDay(spend),
    });
  });
  deps.metrics?.update(statuses);
  return statuses;
}

function groupByKey(rows: readonly { day: string; key: string; costUsd: string }[]) {
  const byKey = new Map<string, DailySpend[]>();
  for (const { day, key, costUsd } of rows) {
    const list = byKey.get(key) ?? [];
    list.push({ day, costUsd });
    byKey.set(key, list);
  }
  return byKey;
}

/** The first day the scope's query returned anything: cost data before it is unknown, not zero. */
function earliestDay(spend: Map<string, DailySpend[]> | undefined): Date | undefined {
  let first: string | undefined;
  for (const list of spend?.values() ?? []) {
    for (const { day } of list) if (first === undefined || day < first) first = day;
  }
  return first === undefined ? undefined : new Date(`${first}T00:00:00Z`);
}
