import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getGpuSeriesView, listGpus } from '../../collector/gpu-views.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { GpuList, GpuListQuery, GpuSeries, SeriesQuery } from '../schemas/gpus.js';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'GPUs with their newest minute rollup',
  security: [{ bearer: [] }],
  request: { query: GpuListQuery },
  responses: {
    200: { description: 'GPUs', content: { 'application/json': { schema: GpuList } } },
    ...errorResponses,
  },
});

const seriesRoute = createRoute({
  method: 'get',
  path: '/{uuid}/series',
  summary: 'Rollups of one GPU (or MIG instance) over a window',
  security: [{ bearer: [] }],
  request: { params: z.object({ uuid: z.string().min(1) }), query: SeriesQuery },
  responses: {
    200: { description: 'Series', content: { 'application/json': { schema: GpuSeries } } },
    404: errorResponses[400],
    ...errorResponses,
  },
});

export function createGpuRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(listRoute, async (c) => c.json(await listGpus(deps.db, c.req.valid('query')), 200))
    .openapi(seriesRoute, async (c) => {
      const { uuid } = c.req.valid('param');
      const body = await getGpuSeriesView(deps.db, uuid, {
        ...c.req.valid('query'),
        nowMs: deps.clock.now(),
      });
      return c.json(body, 200);
    });
}
