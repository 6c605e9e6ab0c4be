import type { Registry } from 'prom-client';
import {
  createAddressPolicy,
  createCachedLookup,
  systemLookup,
} from '../../analyzer/webhooks/check-webhook-url.js';
import { countDeliveryStates } from '../../analyzer/webhooks/delivery-queries.js';
import type { Clock } from '../../core/clock.js';
import type { WebhooksConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import { createWebhookHttpClient } from './send-webhook-request.js';
import { startWebhookDeliveryWorker, type WebhookDeliveryWorker } from './start-webhook-delivery-worker.js';
import { createWebhookMetrics } from './webhook-metrics.js';

/** DNS answers for receiver hosts are reused this long; every delivery still checks them. */
const LOOKUP_CACHE_MS = 30_000;

/**
 * The service's webhook delivery: metrics on the registry, one HTTP client, one worker. Every API replica may run
 * one; the leased claims keep them off each other's deliveries. Returns null when `webhooks.delivery.enabled` is
 * false (the gauges are still registered, so alerts see the backlog).
 */
export function startWebhookDelivery(ctx: {
  config: WebhooksConfig;
  db: Db;
  clock: Clock;
  log: Logger;
  registry: Registry;
}): { worker: WebhookDeliveryWorker; stop(): Promise<void> } | null {
  const metrics = createWebhookMetrics(ctx.registry, () => countDeliveryStates(ctx.db));
  const { enabled, previousSecretHours: _unused, ...settings } = ctx.config.delivery;
  if (!enabled) return null;
  const http = createWebhookHttpClient({ maxSockets: settings.concurrency });
  const log = ctx.log.child({ component: 'webhooks' });
  const worker = startWebhookDeliveryWorker(
    {
      db: ctx.db,
      clock: ctx.clock,
      log,
      metrics,
      send: http.send,
      allowed: createAddressPolicy(ctx.config.allowPrivateNetworks),
      lookup: createCachedLookup(systemLookup, LOOKUP_CACHE_MS),
    },
    settings,
  );
  log.info({ worker: worker.workerId, concurrency: settings.concurrency }, 'webhook delivery started');
  return {
    worker,
    stop: async () => {
      await worker.stop();
      http.close();
    },
  };
}
