import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { toLinkView } from '../../collector/jobs/job-views.js';
import { listLinkSummaries } from '../../collector/link-queries.js';
import { AppError } from '../../core/errors.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { LinkList, LinkListQuery } from '../schemas/jobs.js';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'InfiniBand ports and NVLinks with throughput, utilization, congestion and errors over a window',
  security: [{ bearer: [] }],
  request: { query: LinkListQuery },
  responses: {
    200: { description: 'Links', content: { 'application/json': { schema: LinkList } } },
    ...errorResponses,
  },
});

export function createLinkRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const to = query.to === undefined ? new Date(deps.clock.now()) : new Date(query.to);
    const from = query.from === undefined ? new Date(to.getTime() - 3_600_000) : new Date(query.from);
    if (from >= to) throw new AppError('VALIDATION', 'from must be before to');
    const rows = await listLinkSummaries(deps.db, {
      from,
      to,
      node: query.node,
      linkType: query.type,
      limit: query.limit,
    });
    return c.json(
      { data: rows.map(toLinkView), window: { from: from.toISOString(), to: to.toISOString() } },
      200,
    );
  });
}
