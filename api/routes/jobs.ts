import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getJobView, listJobViews } from '../../collector/jobs/job-views.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import { JobDetail, JobDetailQuery, JobList, JobListQuery } from '../schemas/jobs.js';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Jobs (Slurm and Kubernetes) that ran during a window, with GPU efficiency',
  security: [{ bearer: [] }],
  request: { query: JobListQuery },
  responses: {
    200: { description: 'Jobs', content: { 'application/json': { schema: JobList } } },
    ...errorResponses,
  },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One job: its GPUs, time, efficiency and the links it used (URL-encode Kubernetes ids)',
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().min(1) }), query: JobDetailQuery },
  responses: {
    200: { description: 'Job', content: { 'application/json': { schema: JobDetail } } },
    404: errorResponses[400],
    409: errorResponses[400],
    ...errorResponses,
  },
});

export function createJobRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(listRoute, async (c) =>
      c.json(await listJobViews(deps.db, { ...c.req.valid('query'), nowMs: deps.clock.now() }), 200),
    )
    .openapi(detailRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { source } = c.req.valid('query');
      return c.json(await getJobView(deps.db, id, source, deps.clock.now()), 200);
    });
}
