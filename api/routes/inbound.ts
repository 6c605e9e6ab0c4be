import { timingSafeEqual } from 'node:crypto';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  createInboundMetrics,
  type InboundMetrics,
  type InboundSource,
} from '../../analyzer/inbound/metrics.js';
import type { ValidationIssue } from '../../analyzer/inbound/parse-alertmanager.js';
import { listInboundAlerts } from '../../analyzer/inbound/queries.js';
import { receiveAlertmanagerNotification } from '../../analyzer/inbound/receive-alertmanager.js';
import { receiveSpotEvent } from '../../analyzer/inbound/receive-spot-event.js';
import { verifyWebhook } from '../../analyzer/webhooks/sign-webhook.js';
import { AppError } from '../../core/errors.js';
import { sha256Hex } from '../auth.js';
import type { AppDeps, AppEnv, InboundDeps, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { describeValidation } from '../errors.js';
import { errorResponses } from '../schemas/common.js';
import {
  AlertmanagerReceipt,
  AlertmanagerWebhookBody,
  EventBridgeEventBody,
  InboundAlertList,
  InboundAlertListQuery,
  SpotEventReceipt,
} from '../schemas/inbound.js';

/** Alertmanager groups can be large; a body past this is refused before it is read whole. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type TokenList = readonly { name: string; token?: string | undefined; tokenSha256?: string | undefined }[];

/** The matching token's name; digests compared in constant time, as for API tokens (api/auth.ts). */
function matchToken(tokens: TokenList, presented: string | undefined): string | undefined {
  if (!presented) return undefined;
  const digest = Buffer.from(sha256Hex(presented), 'hex');
  let found: string | undefined;
  for (const t of tokens) {
    const known = Buffer.from(t.tokenSha256 ?? sha256Hex(t.token ?? ''), 'hex');
    if (timingSafeEqual(known, digest)) found ??= t.name;
  }
  return found;
}

function bearerOf(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

interface Sender {
  source: InboundSource;
  tokens: TokenList;
  apiKeyHeader?: string | undefined;
}

/**
 * Per receiver: a token check that runs before the body is read (a forged request is 401 whatever it sends), and a
 * reader that verifies the Standard Webhooks signature when secrets are set and parses the JSON.
 */
function createSenderChecks(deps: AppDeps & { inbound: InboundDeps }, metrics: InboundMetrics) {
  const { signingSecrets, signatureToleranceSeconds } = deps.inbound.config;
  const rejection = (source: InboundSource, message: string): AppError => {
    metrics.events.inc({ source, result: 'rejected' });
    return new AppError('UNAUTHORIZED', message);
  };
  const authenticate =
    (sender: Sender): MiddlewareHandler =>
    async (c, next) => {
      const presented = bearerOf(c) ?? (sender.apiKeyHeader ? c.req.header(sender.apiKeyHeader) : undefined);
      if (!presented) throw rejection(sender.source, 'missing bearer token');
      if (!matchToken(sender.tokens, presented)) throw rejection(sender.source, 'invalid bearer token');
      await next();
    };
  const readBody = async (c: Context, source: InboundSource): Promise<unknown> => {
    const text = await c.req.text();
    if (signingSecrets.length > 0) {
      const verified = verifyWebhook(
        signingSecrets,
        {
          id: c.req.header('webhook-id'),
          timestamp: c.req.header('webhook-timestamp'),
          signature: c.req.header('webhook-signature'),
        },
        text,
        Math.floor(deps.clock.now() / 1000),
        signatureToleranceSeconds,
      );
      if (!verified.ok) throw rejection(source, `invalid webhook signature: ${verified.error}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      metrics.events.inc({ source, result: 'invalid' });
      throw new AppError('VALIDATION', '(body): not valid JSON');
    }
  };
  return { authenticate, readBody };
}

function invalid(issues: ValidationIssue[]): AppError {
  return new AppError('VALIDATION', describeValidation(issues));
}

const receiverResponses = {
  401: errorResponses[401],
  400: errorResponses[400],
  404: { description: 'Receiver not configured', content: errorResponses[401].content },
} as const;

/**
 * `POST /alertmanager` and `POST /aws-events`, authenticated by their own tokens (never API tokens); mount these
 * before the API's viewer-token middleware, which would otherwise refuse a sender's token.
 */
export function createInboundReceiverRoutes(deps: AppDeps & { inbound: InboundDeps }) {
  const metrics = createInboundMetrics(deps.registry);
  const { authenticate, readBody } = createSenderChecks(deps, metrics);
  const { alertmanager, awsEvents } = deps.inbound.config;
  const receiveDeps = { db: deps.db, log: deps.log, metrics, cluster: deps.inbound.cluster };
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError('VALIDATION', `(body): larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  const notConfigured = (what: string) => new AppError('NOT_FOUND', `the ${what} receiver is not configured`);

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/alertmanager',
    summary:
      'Alertmanager webhook receiver (payload version 4 and older); a replayed notification is stored once',
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: AlertmanagerWebhookBody } } } },
    responses: {
      200: { description: 'Stored', content: { 'application/json': { schema: AlertmanagerReceipt } } },
      ...receiverResponses,
    },
  });
  if (alertmanager) {
    const sender = { source: 'alertmanager', tokens: alertmanager.bearerTokens } as const;
    app.post('/alertmanager', authenticate(sender), limit, async (c) => {
      const body = await readBody(c, sender.source);
      const result = await receiveAlertmanagerNotification(receiveDeps, body, new Date(deps.clock.now()));
      if (!result.ok) throw invalid(result.error);
      return c.json(result.value, 200);
    });
  } else {
    app.post('/alertmanager', () => {
      throw notConfigured('alertmanager');
    });
  }

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/aws-events',
    summary:
      'EventBridge EC2 spot interruption warning or rebalance recommendation; deduplicated by event id',
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: EventBridgeEventBody } } } },
    responses: {
      200: { description: 'Stored', content: { 'application/json': { schema: SpotEventReceipt } } },
      ...receiverResponses,
    },
  });
  if (awsEvents) {
    const sender = {
      source: 'aws_events',
      tokens: awsEvents.bearerTokens,
      apiKeyHeader: awsEvents.apiKeyHeader,
    } as const;
    app.post('/aws-events', authenticate(sender), limit, async (c) => {
      const body = await readBody(c, sender.source);
      const result = await receiveSpotEvent(receiveDeps, body, new Date(deps.clock.now()), {
        maxEventAgeSeconds: awsEvents.maxEventAgeSeconds,
        hookWaitSeconds: awsEvents.hookWaitSeconds,
        onSpotInterruption: deps.inbound.onSpotInterruption,
      });
      if (!result.ok) throw invalid(result.error);
      return c.json(result.value, 200);
    });
  } else {
    app.post('/aws-events', () => {
      throw notConfigured('aws-events');
    });
  }
  return app;
}

const alertsRoute = createRoute({
  method: 'get',
  path: '/alerts',
  summary: 'Alerts Alertmanager sent gpuscope, newest first, with labels and the node they name',
  security: [{ bearer: [] }],
  request: { query: InboundAlertListQuery },
  responses: {
    200: { description: 'Received alerts', content: { 'application/json': { schema: InboundAlertList } } },
    ...errorResponses,
  },
});

/** `GET /alerts` for viewers: mount behind the API's token middleware. */
export function createInboundAlertRoutes(deps: RouteDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(alertsRoute, async (c) => {
    const q = c.req.valid('query');
    const { rows, total } = await listInboundAlerts(deps.db, q);
    const data = rows.map((r) => ({
      ...r,
      startsAt: r.startsAt.toISOString(),
      endsAt: r.endsAt?.toISOString() ?? null,
      receivedAt: r.receivedAt.toISOString(),
    }));
    return c.json({ data, page: { limit: q.limit, offset: q.offset, total } }, 200);
  });
}
