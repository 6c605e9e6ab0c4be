import type { BlockList } from 'node:net';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { checkWebhookUrl, type LookupAll } from '../../analyzer/webhooks/check-webhook-url.js';
import {
  createSubscription,
  deleteSubscription,
  enqueueTestDelivery,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  resendDelivery,
  rotateSubscriptionSecret,
} from '../../analyzer/webhooks/queries.js';
import { createWebhookSecret } from '../../analyzer/webhooks/sign-webhook.js';
import type { WebhookEventType } from '../../analyzer/webhooks/types.js';
import { AppError } from '../../core/errors.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { validationHook } from '../context.js';
import { errorResponses } from '../schemas/common.js';
import {
  DeliveryIdParam,
  WebhookCreateBody,
  WebhookDeliveryList,
  WebhookDeliveryListQuery,
  WebhookIdParam,
  WebhookResendResult,
  WebhookSubscription,
  WebhookSubscriptionList,
  WebhookSubscriptionWithSecret,
  WebhookTestResult,
} from '../schemas/webhooks.js';

export interface WebhookRouteSettings {
  /** The compiled `webhooks.allowPrivateNetworks`. */
  allowed: BlockList;
  /** How long the previous secret keeps signing after a rotation. */
  previousSecretHours: number;
  lookup?: LookupAll | undefined;
}

const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const notFound = {
  404: { description: 'No such subscription or delivery', content: errorResponses[400].content },
};
const conflict = {
  409: { description: 'Not possible in its current state', content: errorResponses[400].content },
};
const security = [{ bearer: [] }];

const createRouteDef = createRoute({
  method: 'post',
  path: '/',
  summary: 'Subscribe a URL to event types; the response carries the signing secret, shown only this once',
  security,
  request: { body: { content: { 'application/json': { schema: WebhookCreateBody } }, required: true } },
  responses: { 201: json(WebhookSubscriptionWithSecret, 'Subscription with its secret'), ...errorResponses },
});
const listRouteDef = createRoute({
  method: 'get',
  path: '/',
  summary: 'Webhook subscriptions (never their secrets)',
  security,
  responses: { 200: json(WebhookSubscriptionList, 'Subscriptions'), ...errorResponses },
});
const getRouteDef = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One webhook subscription',
  security,
  request: { params: WebhookIdParam },
  responses: { 200: json(WebhookSubscription, 'Subscription'), ...errorResponses, ...notFound },
});
const deleteRouteDef = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Delete a subscription with its deliveries and their attempt log',
  security,
  request: { params: WebhookIdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses, ...notFound },
});
const testRouteDef = createRoute({
  method: 'post',
  path: '/{id}/test',
  summary: 'Queue a `webhook.test` event for this subscription alone',
  security,
  request: { params: WebhookIdParam },
  responses: { 202: json(WebhookTestResult, 'Queued'), ...errorResponses, ...notFound, ...conflict },
});
const rotateRouteDef = createRoute({
  method: 'post',
  path: '/{id}/rotate-secret',
  summary: 'New signing secret (shown once); the previous one keeps signing alongside for a while',
  security,
  request: { params: WebhookIdParam },
  responses: {
    200: json(WebhookSubscriptionWithSecret, 'Subscription with its new secret'),
    ...errorResponses,
    ...notFound,
  },
});
const deliveriesRouteDef = createRoute({
  method: 'get',
  path: '/{id}/deliveries',
  summary: 'Deliveries of a subscription, newest first, each with its attempt log',
  security,
  request: { params: WebhookIdParam, query: WebhookDeliveryListQuery },
  responses: { 200: json(WebhookDeliveryList, 'Deliveries'), ...errorResponses, ...notFound },
});
const resendRouteDef = createRoute({
  method: 'post',
  path: '/deliveries/{deliveryId}/resend',
  summary: 'Send a dead-lettered or failed delivery again (back to pending, due now)',
  security,
  request: { params: DeliveryIdParam },
  responses: { 202: json(WebhookResendResult, 'Pending again'), ...errorResponses, ...notFound, ...conflict },
});

const missing = (id: string) => new AppError('NOT_FOUND', `no webhook subscription ${id}`);

export function createWebhookRoutes(deps: RouteDeps & { webhooks: WebhookRouteSettings }) {
  const now = () => new Date(deps.clock.now());
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(createRouteDef, async (c) => {
      const body = c.req.valid('json');
      const checked = await checkWebhookUrl(body.url, deps.webhooks.allowed, deps.webhooks.lookup);
      if (!checked.ok) throw new AppError('VALIDATION', `url: ${checked.error}`);
      const secret = createWebhookSecret();
      const subscription = await createSubscription(
        deps.db,
        {
          url: checked.value.url.href,
          eventTypes: body.eventTypes as WebhookEventType[],
          description: body.description,
          secret,
        },
        now(),
      );
      return c.json({ ...subscription, secret }, 201);
    })
    .openapi(listRouteDef, async (c) => c.json({ data: await listSubscriptions(deps.db) }, 200))
    .openapi(getRouteDef, async (c) => {
      const { id } = c.req.valid('param');
      const subscription = await getSubscription(deps.db, id);
      if (!subscription) throw missing(id);
      return c.json(subscription, 200);
    })
    .openapi(deleteRouteDef, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await deleteSubscription(deps.db, id))) throw missing(id);
      return c.body(null, 204);
    })
    .openapi(testRouteDef, async (c) => {
      const { id } = c.req.valid('param');
      const queued = await enqueueTestDelivery(deps.db, id, now());
      if (!queued.ok) {
        throw queued.error === 'not_found'
          ? missing(id)
          : new AppError('CONFLICT', `webhook subscription ${id} is disabled`);
      }
      return c.json(queued.value, 202);
    })
    .openapi(rotateRouteDef, async (c) => {
      const { id } = c.req.valid('param');
      const at = now();
      const secret = createWebhookSecret();
      const until = new Date(at.getTime() + deps.webhooks.previousSecretHours * 3_600_000);
      const subscription = await rotateSubscriptionSecret(deps.db, id, secret, at, until);
      if (!subscription) throw missing(id);
      return c.json({ ...subscription, secret }, 200);
    })
    .openapi(deliveriesRouteDef, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await getSubscription(deps.db, id))) throw missing(id);
      return c.json({ data: await listDeliveries(deps.db, id, c.req.valid('query')) }, 200);
    })
    .openapi(resendRouteDef, async (c) => {
      const { deliveryId } = c.req.valid('param');
      const resent = await resendDelivery(deps.db, deliveryId, now());
      if (!resent.ok) {
        if (resent.error === 'not_found')
          throw new AppError('NOT_FOUND', `no webhook delivery ${deliveryId}`);
        throw new AppError(
          'CONFLICT',
          resent.error === 'subscription_disabled'
            ? `webhook delivery ${deliveryId} belongs to a disabled subscription`
            : `webhook delivery ${deliveryId} is neither dead-lettered nor failed`,
        );
      }
      return c.json(resent.value, 202);
    });
}
