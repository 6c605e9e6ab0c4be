import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { Histogram } from 'prom-client';
import { createAddressPolicy } from '../analyzer/webhooks/check-webhook-url.js';
import { AppError } from '../core/errors.js';
import { withSpan } from '../core/telemetry.js';
import { createApiAudit } from './audit.js';
import { createTokenVerifier, requireRole } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { errorResponse } from './errors.js';
import { createActionRoutes } from './routes/actions.js';
import { createBudgetRoutes } from './routes/budgets.js';
import { createAllocationRoutes, createCostRoutes } from './routes/costs.js';
import { createFindingRoutes, createRecommendationRoutes } from './routes/findings.js';
import { createGpuRoutes } from './routes/gpus.js';
import { createInboundAlertRoutes, createInboundReceiverRoutes } from './routes/inbound.js';
import { createJobRoutes } from './routes/jobs.js';
import { createLinkRoutes } from './routes/links.js';
import { createReportRoutes } from './routes/reports.js';
import { createScalingRoutes } from './routes/scaling.js';
import { createTargetRoutes } from './routes/targets.js';
import { createWebhookRoutes } from './routes/webhooks.js';

export function createApp(deps: AppDeps) {
  const verify = createTokenVerifier(deps.tokens);
  const duration = new Histogram({
    name: 'gpuscope_http_request_duration_seconds',
    help: 'API request duration in seconds, by route and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [deps.registry],
  });
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId());
  // right after the request id, so the audit row carries the final status (errors and auth refusals included)
  app.use('/api/v1/*', createApiAudit(deps));
  app.use(secureHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    await withSpan(
      deps.tracer,
      'api.request',
      { 'http.method': c.req.method, 'url.path': c.req.path },
      async (span) => {
        await next();
        span.setAttribute('http.status_code', c.res.status);
        span.setAttribute('http.route', c.req.routePath);
      },
    );
    duration.observe(
      { method: c.req.method, route: c.req.routePath, status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
  });
  app.onError((error, c) => errorResponse(c, error, deps.log));
  app.notFound((c) =>
    errorResponse(c, new AppError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), deps.log),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const state = await deps.isReady();
    return c.json(
      { status: state.ready ? 'ready' : 'not ready', reason: state.reason },
      state.ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.registry.contentType });
  });

  // senders (Alertmanager, EventBridge) authenticate with their own tokens, so these answer before the API's check
  const inbound = deps.inbound;
  if (inbound) app.route('/api/v1/inbound', createInboundReceiverRoutes({ ...deps, inbound }));
  app.use('/api/v1/*', requireRole('viewer', verify));
  app.route('/api/v1/gpus', createGpuRoutes(deps));
  app.route('/api/v1/targets', createTargetRoutes(deps));
  app.route('/api/v1/jobs', createJobRoutes(deps));
  app.route('/api/v1/links', createLinkRoutes(deps));
  app.route('/api/v1/findings', createFindingRoutes(deps));
  app.route('/api/v1/recommendations', createRecommendationRoutes(deps));
  if (inbound) app.route('/api/v1/inbound', createInboundAlertRoutes(deps));
  const scaling = deps.scaling;
  if (scaling) app.route('/api/v1/scaling', createScalingRoutes({ ...deps, scaling }));

  // money is for finance and above; `/x/*` also matches `/x` itself
  const finance = requireRole('finance', verify);
  const costDeps = { ...deps, ...deps.costs };
  for (const path of ['/api/v1/costs/*', '/api/v1/allocation/*', '/api/v1/budgets/*', '/reports/*']) {
    app.use(path, finance);
  }
  app.route('/api/v1/costs', createCostRoutes(costDeps));
  app.route('/api/v1/allocation', createAllocationRoutes(costDeps));
  app.route('/api/v1/budgets', createBudgetRoutes(costDeps));
  app.route(
    '/reports',
    createReportRoutes({
      ...deps,
      // the page shows the top 10 jobs; the rest are one summed line, so the tables still add up
      loadCostReport: (q) =>
        deps.costs.loadCostReport({
          ...q,
          sharePolicy: deps.costs.sharePolicy,
          ...(q.groupBy === 'job' ? { limit: 10 } : {}),
        }),
    }),
  );

  // webhook subscriptions carry secrets and choose where gpuscope sends requests: operators only
  app.use('/api/v1/webhooks/*', requireRole('operator', verify));
  const webhooks = deps.webhooks ?? { allowed: createAddressPolicy([]), previousSecretHours: 24 };
  app.route('/api/v1/webhooks', createWebhookRoutes({ ...deps, webhooks }));

  // actions: reads for viewers, decisions (approve, reject, pause, resume) for operators
  if (deps.actions) {
    const operator = requireRole('operator', verify);
    app.use('/api/v1/actions/*', (c, next) => (c.req.method === 'GET' ? next() : operator(c, next)));
    app.route('/api/v1/actions', createActionRoutes({ ...deps.actions, log: deps.log }));
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'gpuscope API', version: '0.1.0', description: 'GPU telemetry, findings and costs' },
  });
  return app;
}
