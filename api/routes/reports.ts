import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { CostReport } from '../../analyzer/cost/report-types.js';
import { AppError } from '../../core/errors.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { renderCostReport } from '../reports/render-cost-report.js';
import { errorResponses } from '../schemas/common.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const defaultWindowDays = 30;
const maxWindowDays = 400;

/** The page has no script and loads nothing: only its own inline styles and data: images may run. */
const contentSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export type LoadCostReport = (q: { from: Date; to: Date; groupBy: 'team' | 'job' }) => Promise<CostReport>;

const isoInstant = z.iso.datetime({ offset: true });

export const CostReportQuery = z.object({
  from: isoInstant.optional().openapi({ description: `ISO 8601; default to - ${defaultWindowDays} days` }),
  to: isoInstant.optional().openapi({
    description: 'ISO 8601; default the start of the current UTC hour. At most 400 days after from.',
  }),
});

const costsRoute = createRoute({
  method: 'get',
  path: '/costs',
  summary: 'Printable HTML cost report: totals, by team, idle and waste, top jobs, daily trend',
  security: [{ bearer: [] }],
  request: { query: CostReportQuery },
  responses: {
    200: { description: 'HTML document', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses,
  },
});

/** The report window: defaults, then from < to and at most 400 days. */
export function resolveReportWindow(
  query: { from?: string | undefined; to?: string | undefined },
  nowMs: number,
): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date(Math.floor(nowMs / hourMs) * hourMs);
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - defaultWindowDays * dayMs);
  if (from.getTime() >= to.getTime()) {
    throw new AppError('VALIDATION', `from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  }
  if (to.getTime() - from.getTime() > maxWindowDays * dayMs) {
    throw new AppError('VALIDATION', `the window may be at most ${maxWindowDays} days`);
  }
  return { from, to };
}

export function createReportRoutes(deps: Pick<RouteDeps, 'clock'> & { loadCostReport: LoadCostReport }) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(costsRoute, async (c) => {
    const { from, to } = resolveReportWindow(c.req.valid('query'), deps.clock.now());
    const [byTeam, byJob] = await Promise.all([
      deps.loadCostReport({ from, to, groupBy: 'team' }),
      deps.loadCostReport({ from, to, groupBy: 'job' }),
    ]);
    const html = renderCostReport({ byTeam, byJob, generatedAt: new Date(deps.clock.now()) });
    return c.body(html, 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy,
    });
  });
}
