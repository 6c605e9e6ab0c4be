import { z } from '@hono/zod-openapi';
import { webhookEventTypes } from '../../analyzer/webhooks/types.js';

const EventType = z.enum(webhookEventTypes as [string, ...string[]]).openapi({
  description: 'recommendation.created|updated|resolved, action.planned|dry_run|executed|failed|rolled_back',
});

export const WebhookCreateBody = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .openapi({ description: 'http(s) URL receiving POSTs', example: 'https://hooks.example.com/gpuscope' }),
    eventTypes: z.array(EventType).min(1, 'give at least one event type'),
    description: z.string().max(500).optional(),
  })
  .strict();

export const WebhookIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
export const DeliveryIdParam = z.object({
  deliveryId: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'deliveryId', in: 'path' } }),
});

export const WebhookSubscription = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable(),
    previousSecretExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookSubscription');

export const WebhookSubscriptionWithSecret = WebhookSubscription.extend({
  secret: z.string().openapi({
    description: 'whsec_ + base64 key for verifying signatures; shown only in this response',
  }),
}).openapi('WebhookSubscriptionWithSecret');

export const WebhookSubscriptionList = z
  .object({ data: z.array(WebhookSubscription) })
  .openapi('WebhookSubscriptionList');

export const WebhookDeliveryStatus = z.enum(['pending', 'delivered', 'failed', 'dead_lettered', 'expired']);

export const WebhookDeliveryListQuery = z.object({
  status: WebhookDeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const WebhookDelivery = z
  .object({
    id: z.number().int(),
    eventId: z.string().openapi({ description: 'The webhook-id header, the same on every attempt' }),
    eventType: z.string(),
    subject: z.string(),
    version: z.number().int(),
    status: WebhookDeliveryStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    attemptLog: z.array(
      z.object({
        attemptedAt: z.string(),
        durationSeconds: z.number(),
        statusCode: z.number().int().nullable(),
        outcome: z.string(),
        error: z.string().nullable(),
      }),
    ),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryList = z
  .object({ data: z.array(WebhookDelivery) })
  .openapi('WebhookDeliveryList');

export const WebhookTestResult = z
  .object({ eventId: z.string(), deliveryId: z.number().int() })
  .openapi('WebhookTestResult');

export const WebhookResendResult = z
  .object({ id: z.number().int(), status: z.literal('pending') })
  .openapi('WebhookResendResult');
