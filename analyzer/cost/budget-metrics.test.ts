import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../core/telemetry.js';
import { createBudgetMetrics } from './budget-metrics.js';
import type { BudgetStatus } from './forecast-budget.js';

function status(overrides: Partial<BudgetStatus>): BudgetStatus {
  return {
    name: 'ml',
    scope: { kind: 'team', value: 'ml-research' },
    monthlyUsd: '3000.00',
    spentUsd: '1050.25',
    runRateUsdPerDay: '100.00',
    trendUsdPerDay2: '0.00',
    forecastUsd: '3200.50',
    burnRatio: 0.350083,
    forecastRatio: 1.066833,
    elapsedRatio: 0.35,
    status: 'at_risk',
    exhaustionDate: '2026-11-29',
    daysInMonth: 30,
    runRateDays: 7,
    trendDays: 14,
    ...overrides,
  };
}

describe('createBudgetMetrics', () => {
  it('exports limit, spent, forecast and ratios labelled by budget, scope and scope value', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    const metrics = createBudgetMetrics(registry);
    metrics.update([
      status({}),
      status({
        name: 'pretrain',
        scope: { kind: 'project', value: 'llm' },
        monthlyUsd: '500.00',
        spentUsd: '0.00',
        forecastUsd: '0.00',
        burnRatio: 0,
        forecastRatio: 0,
      }),
    ]);
    const text = await registry.metrics();
    const ml = '{budget="ml",scope="team",scope_value="ml-research"}';
    const llm = '{budget="pretrain",scope="project",scope_value="llm"}';
    expect(text).toContain('# HELP gpuscope_budget_limit_usd Monthly budget, in USD.');
    expect(text).toContain('# TYPE gpuscope_budget_burn_ratio gauge');
    for (const line of [
      `gpuscope_budget_limit_usd${ml} 3000`,
      `gpuscope_budget_spent_usd${ml} 1050.25`,
      `gpuscope_budget_forecast_usd${ml} 3200.5`,
      `gpuscope_budget_burn_ratio${ml} 0.350083`,
      `gpuscope_budget_forecast_ratio${ml} 1.066833`,
      `gpuscope_budget_limit_usd${llm} 500`,
      `gpuscope_budget_spent_usd${llm} 0`,
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('drops the series of a budget that is no longer configured', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    const metrics = createBudgetMetrics(registry);
    metrics.update([status({}), status({ name: 'old', scope: { kind: 'team', value: 'gone' } })]);
    expect(await registry.metrics()).toContain('budget="old"');
    metrics.update([status({ spentUsd: '1100.00' })]);
    const text = await registry.metrics();
    expect(text).not.toContain('budget="old"');
    expect(text).toContain(
      'gpuscope_budget_spent_usd{budget="ml",scope="team",scope_value="ml-research"} 1100',
    );
  });
});
