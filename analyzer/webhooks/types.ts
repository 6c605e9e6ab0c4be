/**
 * The outbox contract: whoever changes a recommendation or an action writes its event with
 * `enqueueWebhookEvent(tx, event)` (analyzer/webhooks/enqueue-webhook-event.ts) in the same transaction as the
 * change, so an event exists exactly when the change does.
 */
export type WebhookEventType =
  | 'recommendation.created'
  | 'recommendation.updated'
  | 'recommendation.resolved'
  | 'action.planned'
  | 'action.dry_run'
  | 'action.executed'
  | 'action.failed'
  | 'action.rolled_back';

export const webhookEventTypes: readonly WebhookEventType[] = [
  'recommendation.created',
  'recommendation.updated',
  'recommendation.resolved',
  'action.planned',
  'action.dry_run',
  'action.executed',
  'action.failed',
  'action.rolled_back',
];

export interface WebhookEventInput {
  type: WebhookEventType;
  /** `recommendation:<id>` or `action:<id>`: receivers keep the highest `version` per subject. */
  subject: string;
  version: number;
  /** After this the event means nothing (a recommendation's expiry); undelivered deliveries are dropped then. */
  expiresAt: Date | null;
  occurredAt: Date;
  data: Record<string, unknown>;
}
