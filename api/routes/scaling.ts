import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { getWorkloadScaling, listPoolScaling } from '../../analyzer/scaling/queries.js';
import { AppError } from '../../core/errors.js';
import type { AppEnv, RouteDeps, ScalingDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import {
  PoolParams,
  PoolScaling,
  PoolScalingList,
  WorkloadParams,
  WorkloadScaling,
} from '../schemas/scaling.js';

const notFound = { description: 'Unknown pool or workload', content: errorResponses[401].content };

const listRoute = createRoute({
  method: 'get',
  path: '/pools',
  summary: 'Desired GPU capacity of every pool (a KEDA metrics-api source)',
  security: [{ bearer: [] }],
  responses: {
    200: { description: 'Pools', content: { 'application/json': { schema: PoolScalingList } } },
    ...errorResponses,
  },
});

const poolRoute = createRoute({
  method: 'get',
  path: '/pools/{pool}',
  summary: 'Desired GPU capacity of one pool; point KEDA valueLocation at `desiredGpus`',
  security: [{ bearer: [] }],
  request: { params: PoolParams },
  responses: {
    200: { description: 'Pool', content: { 'application/json': { schema: PoolScaling } } },
    404: notFound,
    ...errorResponses,
  },
});

const workloadRoute = createRoute({
  method: 'get',
  path: '/workloads/{namespace}/{name}',
  summary: 'Desired GPUs of one Kubernetes workload (its busy GPUs plus pending requests)',
  security: [{ bearer: [] }],
  request: { params: WorkloadParams },
  responses: {
    200: { description: 'Workload', content: { 'application/json': { schema: WorkloadScaling } } },
    404: notFound,
    ...errorResponses,
  },
});

export function createScalingRoutes(deps: RouteDeps & { scaling: ScalingDeps }) {
  const { cluster, capacity } = deps.scaling;
  const now = () => new Date(deps.clock.now());
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(listRoute, async (c) =>
      c.json({ data: await listPoolScaling(deps.db, cluster, now(), capacity) }, 200),
    )
    .openapi(poolRoute, async (c) => {
      const { pool } = c.req.valid('param');
      const found = (await listPoolScaling(deps.db, cluster, now(), capacity)).find((p) => p.pool === pool);
      if (!found) throw new AppError('NOT_FOUND', `no pool ${JSON.stringify(pool)} in cluster ${cluster}`);
      return c.json(found, 200);
    })
    .openapi(workloadRoute, async (c) => {
      const params = c.req.valid('param');
      const found = await getWorkloadScaling(deps.db, cluster, params, now(), capacity);
      if (!found) {
        throw new AppError(
          'NOT_FOUND',
          `no active workload ${params.namespace}/${params.name} in cluster ${cluster}`,
        );
      }
      return c.json(found, 200);
    });
}
