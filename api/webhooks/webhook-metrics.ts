import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryResult } from './decide-delivery-outcome.js';

export interface WebhookMetrics {
  deliveries: Counter<'result'>;
  duration: Histogram;
}

/**
 * The two gauges are read from the database at scrape time (`countStates`), so they hold across replicas and
 * restarts; a failed read leaves the last values rather than failing the whole scrape.
 */
export function createWebhookMetrics(
  registry: Registry,
  countStates: () => Promise<{ pending: number; deadLettered: number }>,
): WebhookMetrics {
  const deliveries = new Counter({
    name: 'gpuscope_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result: delivered (2xx), failed (will retry), dead_lettered, gone (410).',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['delivered', 'failed', 'dead_lettered', 'gone'] satisfies DeliveryResult[]) {
    deliveries.inc({ result }, 0);
  }
  let last = { pending: 0, deadLettered: 0 };
  // both gauges are collected concurrently in one scrape: they share one query
  let inFlight: Promise<typeof last> | undefined;
  const refresh = () => {
    inFlight ??= countStates()
      .then((states) => {
        last = states;
        return states;
      })
      // keep the last values: a scrape during a database outage still answers
      .catch(() => last)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  new Gauge({
    name: 'gpuscope_webhook_pending_deliveries',
    help: 'Webhook deliveries waiting for their first or next attempt.',
    registers: [registry],
    async collect() {
      this.set((await refresh()).pending);
    },
  });
  new Gauge({
    name: 'gpuscope_webhook_dead_letters',
    help: 'Webhook deliveries given up on after the retry window, waiting for a resend.',
    registers: [registry],
    async collect() {
      this.set((await refresh()).deadLettered);
    },
  });
  const duration = new Histogram({
    name: 'gpuscope_webhook_delivery_duration_seconds',
    help: 'Duration of one webhook HTTP attempt, in seconds, errors and timeouts included.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return { deliveries, duration };
}
