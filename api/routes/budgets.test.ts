import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import { forecastBudget } from '../../analyzer/cost/forecast-budget.js';
import { createManualClock } from '../../core/clock.js';
import { createSilentLogger } from '../../core/log.js';
import { readJson } from '../../test/helpers/read-json.js';
import { createTokenVerifier, requireRole } from '../auth.js';
import type { AppEnv } from '../context.js';
import { errorResponse } from '../errors.js';
import { createBudgetRoutes } from './budgets.js';

const financeToken = 'finance-token-0123456789';
const viewerToken = 'viewer-token-0123456789';
const now = Date.UTC(2026, 10, 11, 12, 0, 0);

/** Mounted the way createApp mounts it: viewer for /api/v1, finance for budgets, one error mapping. */
function buildApp() {
  const seen: Date[] = [];
  const budgetStatuses = async (at: Date) => {
    seen.push(at);
    return [
      forecastBudget({
        budget: { name: 'ml', team: 'ml-research', monthlyUsd: 3000 },
        monthStart: new Date(Date.UTC(2026, 10, 1)),
        now: at,
        daily: [{ day: '2026-11-10', costUsd: '1234.5' }],
      }),
    ];
  };
  const verify = createTokenVerifier([
    { name: 'dashboards', role: 'viewer', token: viewerToken },
    { name: 'finops', role: 'finance', token: financeToken },
  ]);
  const log = createSilentLogger();
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId());
  app.onError((error, c) => errorResponse(c, error, log));
  app.use('/api/v1/*', requireRole('viewer', verify));
  app.use('/api/v1/budgets/*', requireRole('finance', verify));
  app.route('/api/v1/budgets', createBudgetRoutes({ clock: createManualClock(now), budgetStatuses }));
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 't', version: '0' } });
  return { app, seen };
}

const get = (app: OpenAPIHono<AppEnv>, path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('GET /api/v1/budgets', () => {
  it('returns every budget status as of the clock', async () => {
    const { app, seen } = buildApp();
    const res = await get(app, '/api/v1/budgets', financeToken);
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.asOf).toBe('2026-11-11T12:00:00.000Z');
    expect(seen).toEqual([new Date(now)]);
    expect(body.budgets).toHaveLength(1);
    expect(body.budgets[0]).toMatchObject({
      name: 'ml',
      scope: { kind: 'team', value: 'ml-research' },
      monthlyUsd: '3000.00',
      spentUsd: '1234.50',
      status: 'at_risk',
      exhaustionDate: expect.stringMatching(/^2026-11-\d\d$/),
    });
  });

  it('documents the route and the BudgetStatus schema in the OpenAPI document', async () => {
    const { app } = buildApp();
    const doc = await readJson(await app.request('/openapi.json'));
    expect(doc.paths['/api/v1/budgets'].get.responses['200']).toBeDefined();
    expect(doc.components.schemas.BudgetStatus.properties.forecastUsd.type).toBe('string');
  });

  describe('security', () => {
    it('refuses a viewer token with 403', async () => {
      const { app, seen } = buildApp();
      const res = await get(app, '/api/v1/budgets', viewerToken);
      expect(res.status).toBe(403);
      expect((await readJson(res)).error.code).toBe('FORBIDDEN');
      expect(seen).toEqual([]);
    });

    it('refuses a request without a token with 401', async () => {
      const { app } = buildApp();
      const res = await get(app, '/api/v1/budgets');
      expect(res.status).toBe(401);
      expect((await readJson(res)).error.code).toBe('UNAUTHORIZED');
    });
  });
});
