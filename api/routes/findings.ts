import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { listFindings, listRecommendations } from '../../analyzer/findings/queries.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import {
  FindingList,
  FindingListQuery,
  RecommendationList,
  RecommendationListQuery,
} from '../schemas/findings.js';

const findingsRoute = createRoute({
  method: 'get',
  path: '/',
  summary:
    'Analyzer findings (idle GPUs, …) with evidence, impact in dollars and recommendation, newest first',
  security: [{ bearer: [] }],
  request: { query: FindingListQuery },
  responses: {
    200: { description: 'Findings', content: { 'application/json': { schema: FindingList } } },
    ...errorResponses,
  },
});

export function createFindingRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(findingsRoute, async (c) => {
    const q = c.req.valid('query');
    const [subjectType, ...rest] = q.subject?.split(':') ?? [];
    const data = await listFindings(deps.db, {
      ...q,
      subjectType,
      subjectId: rest.length > 0 ? rest.join(':') : undefined,
    });
    return c.json({ data }, 200);
  });
}

const recommendationsRoute = createRoute({
  method: 'get',
  path: '/',
  summary:
    'What to do about actionable findings: action, expected monthly savings, risk, expiry, status, version',
  security: [{ bearer: [] }],
  request: { query: RecommendationListQuery },
  responses: {
    200: {
      description: 'Recommendations',
      content: { 'application/json': { schema: RecommendationList } },
    },
    ...errorResponses,
  },
});

export function createRecommendationRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(recommendationsRoute, async (c) =>
    c.json({ data: await listRecommendations(deps.db, c.req.valid('query')) }, 200),
  );
}
