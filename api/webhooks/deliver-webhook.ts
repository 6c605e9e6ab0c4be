import type { BlockList } from 'node:net';
import { buildWebhookBody, buildWebhookHeaders } from '../../analyzer/webhooks/build-webhook-message.js';
import { checkWebhookUrl, type LookupAll, systemLookup } from '../../analyzer/webhooks/check-webhook-url.js';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  type DeliveryOutcome,
  disableSubscriptions,
  recordDeliveryOutcomes,
} from '../../analyzer/webhooks/delivery-queries.js';
import type { Clock } from '../../core/clock.js';
import { mapWithConcurrency } from '../../core/concurrency.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import {
  type AttemptResult,
  type DeliveryResult,
  decideDeliveryOutcome,
  type RetrySettings,
} from './decide-delivery-outcome.js';
import type { SendWebhookRequest } from './send-webhook-request.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export interface WebhookDeliverySettings extends RetrySettings {
  concurrency: number;
  batchSize: number;
  pollIntervalMs: number;
  timeoutSeconds: number;
  leaseSeconds: number;
}

export interface WebhookDeliveryDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: WebhookMetrics;
  send: SendWebhookRequest;
  /** The compiled `webhooks.allowPrivateNetworks`. */
  allowed: BlockList;
  lookup?: LookupAll | undefined;
  random?: (() => number) | undefined;
}

/** What one claimed delivery came to; `aborted` means the worker stopped mid-send and hands it back. */
export type SentDelivery = {
  outcome: DeliveryOutcome;
  result: DeliveryResult | 'expired' | 'aborted' | 'disabled';
};

/**
 * Sends one claimed delivery: re-checks its URL with the SSRF guard (DNS may have changed since it was made),
 * signs with every live secret and a fresh timestamp, POSTs to the checked address, and decides what comes next.
 * An event past its expiry, or a subscription disabled meanwhile, is settled without sending.
 */
export async function deliverWebhook(
  deps: WebhookDeliveryDeps,
  settings: WebhookDeliverySettings,
  delivery: ClaimedDelivery,
  signal?: AbortSignal,
): Promise<SentDelivery> {
  const now = new Date(deps.clock.now());
  const settle = (status: DeliveryOutcome['status'], error: string) => ({
    id: delivery.id,
    status,
    nextAttemptAt: now,
    at: now,
    statusCode: null,
    error,
  });
  if (delivery.subscriptionStatus !== 'active') {
    return { result: 'disabled', outcome: settle('failed', 'subscription disabled') };
  }
  if (delivery.event.expiresAt && delivery.event.expiresAt.getTime() <= now.getTime()) {
    return { result: 'expired', outcome: settle('expired', 'event expired before delivery') };
  }
  const started = performance.now();
  const attempt = await attemptDelivery(deps, settings, delivery, now, signal);
  attempt.durationMs = Math.round(performance.now() - started);
  if (signal?.aborted) {
    return {
      result: 'aborted',
      outcome: {
        ...settle('pending', 'worker stopped during the attempt'),
        attempt: { durationMs: attempt.durationMs, outcome: 'aborted' },
      },
    };
  }
  deps.metrics.duration.observe(attempt.durationMs / 1000);
  const decided = decideDeliveryOutcome(delivery, attempt, now, settings, deps.random);
  deps.metrics.deliveries.inc({ result: decided.result });
  return decided;
}

async function attemptDelivery(
  deps: WebhookDeliveryDeps,
  settings: WebhookDeliverySettings,
  delivery: ClaimedDelivery,
  now: Date,
  signal: AbortSignal | undefined,
): Promise<AttemptResult> {
  const target = await checkWebhookUrl(delivery.url, deps.allowed, deps.lookup ?? systemLookup);
  if (!target.ok) return { statusCode: null, error: `refused: ${target.error}`, durationMs: 0 };
  const body = buildWebhookBody(delivery.event);
  const headers = buildWebhookHeaders(
    delivery.eventId,
    delivery.secrets,
    Math.floor(now.getTime() / 1000),
    body,
  );
  const sent = await deps.send({
    target: target.value,
    headers,
    body,
    timeoutMs: settings.timeoutSeconds * 1000,
    signal,
  });
  return sent.ok
    ? { statusCode: sent.value.statusCode, retryAfter: sent.value.retryAfter, durationMs: 0 }
    : { statusCode: null, error: sent.error, durationMs: 0 };
}

/** Writes a batch of outcomes, then disables the endpoints that answered 410 (their waiting deliveries fail). */
export async function recordSentDeliveries(
  deps: Pick<WebhookDeliveryDeps, 'db' | 'clock' | 'log'>,
  workerId: string,
  sent: readonly { delivery: ClaimedDelivery; sent: SentDelivery }[],
): Promise<void> {
  await recordDeliveryOutcomes(
    deps.db,
    workerId,
    sent.map((s) => s.sent.outcome),
  );
  const gone = [
    ...new Set(sent.filter((s) => s.sent.result === 'gone').map((s) => s.delivery.subscriptionId)),
  ];
  if (gone.length > 0) {
    await disableSubscriptions(deps.db, gone, 'endpoint answered 410 Gone', new Date(deps.clock.now()));
    deps.log.warn({ subscriptions: gone }, 'webhook endpoints answered 410 Gone: disabled');
  }
}

export interface WebhookDeliveryTickSummary {
  claimed: number;
  delivered: number;
  failed: number;
  deadLettered: number;
  gone: number;
  expired: number;
}

/** One claim-send-record round (tests, and a worker that is not looping): claims up to `batchSize`. */
export async function runWebhookDeliveryTick(
  deps: WebhookDeliveryDeps,
  settings: WebhookDeliverySettings,
  workerId: string,
): Promise<WebhookDeliveryTickSummary> {
  const claimed = await claimDueDeliveries(deps.db, {
    workerId,
    now: new Date(deps.clock.now()),
    leaseSeconds: settings.leaseSeconds,
    limit: settings.batchSize,
  });
  const sent = await mapWithConcurrency(claimed, settings.concurrency, async (delivery) => ({
    delivery,
    sent: await deliverWebhook(deps, settings, delivery),
  }));
  await recordSentDeliveries(deps, workerId, sent);
  return summarize(sent.map((s) => s.sent));
}

export function summarize(sent: readonly SentDelivery[]): WebhookDeliveryTickSummary {
  const count = (r: SentDelivery['result']) => sent.filter((s) => s.result === r).length;
  return {
    claimed: sent.length,
    delivered: count('delivered'),
    failed: count('failed'),
    deadLettered: count('dead_lettered'),
    gone: count('gone'),
    expired: count('expired'),
  };
}
