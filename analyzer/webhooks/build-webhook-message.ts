import { signWebhookWithAll } from './sign-webhook.js';

export interface WebhookEventRecord {
  type: string;
  subject: string;
  version: number;
  occurredAt: Date;
  expiresAt: Date | null;
  data: Record<string, unknown>;
}

/**
 * The payload in the Standard Webhooks shape (`type`, `timestamp` of the event, `data`), plus what a receiver
 * needs to apply events out of order: `subject` and its `version` (keep the highest per subject) and `expiresAt`
 * (after which the event means nothing). Built from the stored event alone, so every retry sends the same bytes.
 */
export function buildWebhookBody(event: WebhookEventRecord): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    subject: event.subject,
    version: event.version,
    expiresAt: event.expiresAt?.toISOString() ?? null,
    data: event.data,
  });
}

/** The three Standard Webhooks headers; `webhook-id` is the event's, the same on every retry. */
export function buildWebhookHeaders(
  eventId: string,
  secrets: readonly string[],
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'gpuscope-webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhookWithAll(secrets, eventId, timestampSeconds, body),
  };
}
