import type { DeliveryOutcome } from '../../analyzer/webhooks/delivery-queries.js';

export interface RetrySettings {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  maxAgeHours: number;
}

/** What one HTTP attempt came to: a status code, or an error before any (refused, timeout, connection). */
export interface AttemptResult {
  statusCode: number | null;
  retryAfter?: string | undefined;
  error?: string | undefined;
  durationMs: number;
}

/**
 * "Full jitter" exponential back-off (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniformly random
 * delay up to base·2^(n-1), the ceiling capped, so a fleet of failed deliveries does not retry in lockstep.
 */
export function computeRetryDelaySeconds(
  attemptsMade: number,
  settings: RetrySettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    settings.retryMaxSeconds,
    settings.retryBaseSeconds * 2 ** Math.max(0, attemptsMade - 1),
  );
  return random() * ceiling;
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // HTTP dates end in GMT in all three of RFC 9110's formats; anything else (`-5`, `soon`) is unreadable
  if (!/ GMT$/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - now.getTime()) / 1000);
}

export type DeliveryResult = 'delivered' | 'failed' | 'dead_lettered' | 'gone';

/**
 * Only a 2xx counts as delivered; 410 Gone fails it for good (and disables the endpoint); anything else retries,
 * at the receiver's Retry-After on 429/503, else after the jittered back-off, until the retry window (maxAgeHours
 * from `createdAt`) is used up: then it is dead-lettered. The last retry is pulled in to the window's end.
 */
export function decideDeliveryOutcome(
  delivery: { id: number; attempts: number; createdAt: Date },
  result: AttemptResult,
  now: Date,
  settings: RetrySettings,
  random: () => number = Math.random,
): { outcome: DeliveryOutcome; result: DeliveryResult } {
  const base = { id: delivery.id, at: now, statusCode: result.statusCode };
  const code = result.statusCode;
  if (code !== null && code >= 200 && code < 300) {
    return {
      result: 'delivered',
      outcome: {
        ...base,
        status: 'delivered',
        nextAttemptAt: now,
        error: null,
        attempt: { durationMs: result.durationMs, outcome: 'delivered' },
      },
    };
  }
  const error = result.error ?? `HTTP ${code}`;
  if (code === 410) {
    return {
      result: 'gone',
      outcome: {
        ...base,
        status: 'failed',
        nextAttemptAt: now,
        error: 'endpoint answered 410 Gone: subscription disabled',
        attempt: { durationMs: result.durationMs, outcome: 'gone' },
      },
    };
  }
  const windowEnd = delivery.createdAt.getTime() + settings.maxAgeHours * 3_600_000;
  if (now.getTime() >= windowEnd) {
    return {
      result: 'dead_lettered',
      outcome: {
        ...base,
        status: 'dead_lettered',
        nextAttemptAt: now,
        error,
        attempt: { durationMs: result.durationMs, outcome: 'dead_lettered' },
      },
    };
  }
  const retryAfter = code === 429 || code === 503 ? parseRetryAfter(result.retryAfter, now) : undefined;
  const delaySeconds = retryAfter ?? computeRetryDelaySeconds(delivery.attempts + 1, settings, random);
  const next = Math.min(windowEnd, now.getTime() + delaySeconds * 1000);
  return {
    result: 'failed',
    outcome: {
      ...base,
      status: 'pending',
      nextAttemptAt: new Date(next),
      error,
      attempt: { durationMs: result.durationMs, outcome: 'retry' },
    },
  };
}
