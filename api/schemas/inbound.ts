import { z } from '@hono/zod-openapi';
import { Page } from './common.js';

const Labels = z.record(z.string(), z.string());

/** Documentation of the accepted body; the route parses it itself, after authentication (analyzer/inbound). */
export const AlertmanagerWebhookBody = z
  .object({
    version: z.string().openapi({ example: '4' }),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().optional(),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string(),
    groupLabels: Labels,
    commonLabels: Labels,
    commonAnnotations: Labels,
    externalURL: z.string(),
    alerts: z.array(
      z.object({
        status: z.enum(['firing', 'resolved']).optional(),
        labels: Labels,
        annotations: Labels,
        startsAt: z.string(),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    ),
  })
  .openapi('AlertmanagerWebhook');

export const AlertmanagerReceipt = z
  .object({
    received: z.number().int(),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    truncatedAlerts: z.number().int(),
  })
  .openapi('AlertmanagerReceipt');

export const EventBridgeEventBody = z
  .object({
    version: z.string(),
    id: z.string(),
    'detail-type': z.enum([
      'EC2 Spot Instance Interruption Warning',
      'EC2 Instance Rebalance Recommendation',
    ]),
    source: z.literal('aws.ec2'),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.object({ 'instance-id': z.string(), 'instance-action': z.string().optional() }),
  })
  .openapi('EventBridgeSpotEvent');

export const SpotEventReceipt = z
  .object({
    id: z.string(),
    kind: z.enum(['interruption', 'rebalance']),
    instanceId: z.string(),
    duplicate: z.boolean(),
    outcome: z.enum(['handled', 'stale', 'hook_failed', 'no_hook', 'pending', 'duplicate']),
  })
  .openapi('SpotEventReceipt');

export const InboundAlertListQuery = z.object({
  status: z.enum(['firing', 'resolved']).optional(),
  node: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const InboundAlert = z
  .object({
    id: z.number().int(),
    groupKey: z.string(),
    fingerprint: z.string(),
    fingerprintSource: z.string(),
    status: z.string(),
    startsAt: z.string(),
    endsAt: z.string().nullable(),
    alertname: z.string().nullable(),
    receiver: z.string(),
    labels: Labels,
    annotations: Labels,
    generatorUrl: z.string().nullable(),
    node: z.string().nullable(),
    receivedAt: z.string(),
  })
  .openapi('InboundAlert');

export const InboundAlertList = z.object({ data: z.array(InboundAlert), page: Page });
