import { z } from '@hono/zod-openapi';

const usd = (description: string) => z.string().openapi({ description, example: '1234.56' });

export const BudgetStatus = z
  .object({
    name: z.string(),
    scope: z.object({ kind: z.enum(['team', 'project']), value: z.string() }),
    monthlyUsd: usd('Monthly budget, USD in cents'),
    spentUsd: usd("Spend this UTC month so far, today's partial day included"),
    runRateUsdPerDay: usd('Mean daily spend over the last 7 complete days (fewer early in the data)'),
    trendUsdPerDay2: usd('Least-squares slope of daily spend over the last 14 complete days, USD/day²'),
    forecastUsd: usd('Projected spend at month end: spent + run rate and trend over the days left'),
    burnRatio: z.number().openapi({ description: 'spent / budget' }),
    forecastRatio: z.number().openapi({ description: 'forecast / budget' }),
    elapsedRatio: z.number().openapi({ description: 'Fraction of the month elapsed, 0-1' }),
    status: z.enum(['ok', 'at_risk', 'exceeded']).openapi({
      description: 'exceeded: spent > budget; at_risk: forecast > budget; ok otherwise',
    }),
    exhaustionDate: z.string().nullable().openapi({
      description: 'UTC day (YYYY-MM-DD) spend passed or is projected to pass the budget this month',
    }),
    daysInMonth: z.number().int(),
    runRateDays: z.number().int().openapi({ description: 'Complete days behind the run rate' }),
    trendDays: z.number().int().openapi({ description: 'Complete days behind the trend' }),
  })
  .openapi('BudgetStatus');

export const BudgetList = z.object({
  budgets: z.array(BudgetStatus),
  asOf: z.string().openapi({ description: 'ISO 8601 instant the statuses were computed for' }),
});
