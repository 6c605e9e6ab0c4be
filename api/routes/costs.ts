import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { CostReportQuery } from '../../analyzer/cost/build-cost-report.js';
import {
  parseOpenCostAggregate,
  parseOpenCostWindow,
  toOpenCostResponse,
} from '../../analyzer/cost/opencost-allocation.js';
import { renderCostCsv } from '../../analyzer/cost/render-cost-csv.js';
import type { CostReport, SharePolicy } from '../../analyzer/cost/report-types.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { AllocationQuery, AllocationResponse, CostReportSchema, CostsQuery } from '../schemas/costs.js';
import { resolveReportWindow } from './reports.js';

export interface CostRouteDeps extends RouteDeps {
  sharePolicy: SharePolicy;
  loadCostReport: (q: Omit<CostReportQuery, 'cluster'>) => Promise<CostReport>;
}

const costsRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'What the window cost, by group: allocations, idle and unallocated adding up to the total',
  security: [{ bearer: [] }],
  request: { query: CostsQuery },
  responses: {
    200: {
      description: 'The cost report (JSON) or its rows (CSV, FOCUS column names with x_ extensions)',
      content: { 'application/json': { schema: CostReportSchema }, 'text/csv': { schema: z.string() } },
    },
    409: { description: 'More than one currency in the window', content: errorResponses[400].content },
    ...errorResponses,
  },
});

export function createCostRoutes(deps: CostRouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(costsRoute, async (c) => {
    const q = c.req.valid('query');
    const { from, to } = resolveReportWindow(q, deps.clock.now());
    const report = await deps.loadCostReport({
      from,
      to,
      groupBy: q.groupBy,
      sharePolicy: q.sharePolicy ?? deps.sharePolicy,
      step: q.step,
      limit: q.limit,
    });
    if (q.format === 'csv') {
      const name = `gpuscope-costs-${q.groupBy}-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`;
      return c.body(renderCostCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${name}"`,
      });
    }
    return c.json(report, 200);
  });
}

const allocationRoute = createRoute({
  method: 'get',
  path: '/',
  summary:
    'OpenCost-compatible allocation: one set per window keyed by name, with __idle__ and __unallocated__',
  security: [{ bearer: [] }],
  request: { query: AllocationQuery },
  responses: {
    200: { description: 'Allocation sets', content: { 'application/json': { schema: AllocationResponse } } },
    409: { description: 'More than one currency in the window', content: errorResponses[400].content },
    ...errorResponses,
  },
});

export function createAllocationRoutes(deps: CostRouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(allocationRoute, async (c) => {
    const q = c.req.valid('query');
    const { from, to } = parseOpenCostWindow(q.window, deps.clock.now());
    const groupBy = parseOpenCostAggregate(q.aggregate);
    const report = await deps.loadCostReport({ from, to, groupBy, sharePolicy: deps.sharePolicy });
    return c.json(toOpenCostResponse(report, q.aggregate), 200);
  });
}
