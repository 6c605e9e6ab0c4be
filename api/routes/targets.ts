import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { listTargetViews } from '../../collector/gpu-views.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { TargetList } from '../schemas/targets.js';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Collector targets and their health',
  security: [{ bearer: [] }],
  responses: {
    200: { description: 'Targets', content: { 'application/json': { schema: TargetList } } },
    ...errorResponses,
  },
});

export function createTargetRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(listRoute, async (c) =>
    c.json(await listTargetViews(deps.db), 200),
  );
}
