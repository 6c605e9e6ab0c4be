import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { BudgetStatus } from '../../analyzer/cost/forecast-budget.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { BudgetList } from '../schemas/budgets.js';
import { errorResponses } from '../schemas/common.js';

export interface BudgetRouteDeps extends Pick<RouteDeps, 'clock'> {
  budgetStatuses: (now: Date) => Promise<BudgetStatus[]>;
}

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Configured team and project budgets: month-to-date spend, month-end forecast and status',
  security: [{ bearer: [] }],
  responses: {
    200: { description: 'Budgets', content: { 'application/json': { schema: BudgetList } } },
    ...errorResponses,
  },
});

export function createBudgetRoutes(deps: BudgetRouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(listRoute, async (c) => {
    const now = new Date(deps.clock.now());
    return c.json({ budgets: await deps.budgetStatuses(now), asOf: now.toISOString() }, 200);
  });
}
