import { describe, expect, it } from 'vitest';
import type { BudgetConfig } from '../../core/config.js';
import { createRegistry } from '../../core/telemetry.js';
import { createBudgetMetrics } from './budget-metrics.js';
import { forecastBudget } from './forecast-budget.js';
import { type DailySpendQuery, runBudgetTick } from './run-budget-tick.js';

const DAY_MS = 86_400_000;
type Row = { day: string; key: string; costUsd: string };

function rows(key: string, first: string, count: number, costUsd: string): Row[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => ({
    day: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
    key,
    costUsd,
  }));
}

/** An in-memory cost table answering the tick's queries, recording each. */
function fakeSpend(table: Record<'team' | 'project', Row[]>) {
  const queries: DailySpendQuery[] = [];
  const loadDailySpend = async (q: DailySpendQuery) => {
    queries.push(q);
    const from = q.from.toISOString().slice(0, 10);
    const to = q.to.toISOString().slice(0, 10);
    return table[q.scope].filter((r) => q.values.includes(r.key) && r.day >= from && r.day < to);
  };
  return { queries, loadDailySpend };
}

const budgets: BudgetConfig[] = [
  { name: 'ml', team: 'ml-research', monthlyUsd: 3000 },
  { name: 'ml-copy', team: 'ml-research', monthlyUsd: 1000 },
  { name: 'serving', team: 'serving', monthlyUsd: 500 },
  { name: 'pretrain', project: 'llm', monthlyUsd: 10_000 },
];

describe('runBudgetTick', () => {
  it('loads each scope kind once, month plus 14 days of history to the end of today', async () => {
    const spend = fakeSpend({
      team: [...rows('ml-research', '2026-10-18', 25, '100'), ...rows('other', '2026-11-01', 10, '999')],
      project: rows('llm', '2026-11-01', 11, '300.5'),
    });
    const registry = createRegistry({ defaultMetrics: false });
    const now = new Date('2026-11-11T12:00:00Z');
    const statuses = await runBudgetTick({
      budgets,
      now,
      loadDailySpend: spend.loadDailySpend,
      metrics: createBudgetMetrics(registry),
    });

    expect(spend.queries).toEqual([
      {
        scope: 'team',
        values: ['ml-research', 'serving'],
        from: new Date('2026-10-18T00:00:00Z'),
        to: new Date('2026-11-12T00:00:00Z'),
      },
      {
        scope: 'project',
        values: ['llm'],
        from: new Date('2026-10-18T00:00:00Z'),
        to: new Date('2026-11-12T00:00:00Z'),
      },
    ]);
    expect(statuses.map((s) => [s.name, s.spentUsd, s.forecastUsd, s.status])).toEqual([
      // 11 days x 100 spent (today's 100 by noon) + 0.5 x 100 + 19 x 100
      ['ml', '1100.00', '3050.00', 'at_risk'],
      ['ml-copy', '1100.00', '3050.00', 'exceeded'],
      ['serving', '0.00', '0.00', 'ok'],
      // 11 x 300.5 spent + 19.5 x 300.5
      ['pretrain', '3305.50', '9165.25', 'ok'],
    ]);
    const text = await registry.metrics();
    expect(text).toContain(
      'gpuscope_budget_spent_usd{budget="pretrain",scope="project",scope_value="llm"} 3305.5',
    );
    expect(text).toContain(
      'gpuscope_budget_limit_usd{budget="serving",scope="team",scope_value="serving"} 500',
    );
  });

  it('skips the query of a scope kind no budget uses and matches forecastBudget per budget', async () => {
    const spend = fakeSpend({ team: rows('ml-research', '2026-11-01', 4, '80'), project: [] });
    const now = new Date('2026-11-04T08:00:00Z');
    const only = budgets.slice(0, 1);
    const statuses = await runBudgetTick({
      budgets: only,
      now,
      loadDailySpend: spend.loadDailySpend,
      metrics: createBudgetMetrics(createRegistry({ defaultMetrics: false })),
    });
    expect(spend.queries.map((q) => q.scope)).toEqual(['team']);
    expect(statuses).toEqual([
      forecastBudget({
        budget: only[0]!,
        monthStart: new Date('2026-11-01T00:00:00Z'),
        now,
        daily: rows('ml-research', '2026-11-01', 4, '80'),
      }),
    ]);
  });

  it("treats days the scope's data covers as zero spend for a team that had none", async () => {
    // serving's data starts Oct 18 through ml-research's rows: its run rate is 3 x 70 over 7 days, not 70
    const spend = fakeSpend({
      team: [...rows('ml-research', '2026-10-18', 17, '1'), ...rows('serving', '2026-11-01', 3, '70')],
      project: [],
    });
    const [, , serving] = await runBudgetTick({
      budgets,
      now: new Date('2026-11-04T00:00:00Z'),
      loadDailySpend: spend.loadDailySpend,
      metrics: createBudgetMetrics(createRegistry({ defaultMetrics: false })),
    });
    expect(serving).toMatchObject({ name: 'serving', runRateUsdPerDay: '30.00', runRateDays: 7 });
  });

  it('exports nothing and queries nothing with no budgets configured', async () => {
    const spend = fakeSpend({ team: [], project: [] });
    const registry = createRegistry({ defaultMetrics: false });
    const statuses = await runBudgetTick({
      budgets: [],
      now: new Date('2026-11-04T00:00:00Z'),
      loadDailySpend: spend.loadDailySpend,
      metrics: createBudgetMetrics(registry),
    });
    expect(statuses).toEqual([]);
    expect(spend.queries).toEqual([]);
    expect(await registry.metrics()).not.toMatch(/^gpuscope_budget_\w+\{/m);
  });
});
