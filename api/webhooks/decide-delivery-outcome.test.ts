import { describe, expect, it } from 'vitest';
import {
  computeRetryDelaySeconds,
  decideDeliveryOutcome,
  parseRetryAfter,
} from './decide-delivery-outcome.js';

const settings = { retryBaseSeconds: 5, retryMaxSeconds: 3600, maxAgeHours: 24 };
const now = new Date('2026-12-01T12:00:00Z');
const delivery = { id: 1, attempts: 0, createdAt: new Date('2026-12-01T11:00:00Z') };

describe('computeRetryDelaySeconds', () => {
  it('draws uniformly up to base·2^(n-1), the ceiling capped at retryMaxSeconds', () => {
    expect(computeRetryDelaySeconds(1, settings, () => 1)).toBe(5);
    expect(computeRetryDelaySeconds(4, settings, () => 1)).toBe(40);
    expect(computeRetryDelaySeconds(4, settings, () => 0.25)).toBe(10);
    expect(computeRetryDelaySeconds(30, settings, () => 1)).toBe(3600);
    expect(computeRetryDelaySeconds(30, settings, () => 0)).toBe(0);
  });

  it('spreads a fleet of retries instead of sending them in lockstep', () => {
    const delays = Array.from({ length: 200 }, () => computeRetryDelaySeconds(6, settings));
    expect(Math.max(...delays)).toBeLessThanOrEqual(160);
    expect(new Set(delays.map((d) => Math.floor(d / 16))).size).toBeGreaterThan(5);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('decideDeliveryOutcome', () => {
  const decide = (statusCode: number | null, extra: object = {}, d = delivery) =>
    decideDeliveryOutcome(d, { statusCode, durationMs: 12, ...extra }, now, settings, () => 0.5);

  it.each([200, 201, 202, 204, 299])('counts %i as delivered', (code) => {
    expect(decide(code)).toMatchObject({ result: 'delivered', outcome: { status: 'delivered' } });
  });

  it.each([100, 301, 302, 307, 308, 400, 401, 404, 500, 502])('retries %i', (code) => {
    expect(decide(code)).toMatchObject({
      result: 'failed',
      outcome: { status: 'pending', nextAttemptAt: new Date(now.getTime() + 2500), error: `HTTP ${code}` },
    });
  });

  it('honours Retry-After only on 429 and 503', () => {
    expect(decide(503, { retryAfter: '90' }).outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 90_000));
    expect(decide(500, { retryAfter: '90' }).outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 2500));
  });

  it('fails for good on 410 Gone', () => {
    expect(decide(410)).toMatchObject({ result: 'gone', outcome: { status: 'failed' } });
  });

  it('dead-letters once the window since the event is used up', () => {
    const old = { ...delivery, createdAt: new Date(now.getTime() - 24 * 3_600_000) };
    expect(decide(null, { error: 'timed out after 10 s' }, old)).toMatchObject({
      result: 'dead_lettered',
      outcome: { status: 'dead_lettered', error: 'timed out after 10 s' },
    });
  });
});
