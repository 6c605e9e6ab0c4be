import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  releaseDeliveryLeases,
} from '../../analyzer/webhooks/delivery-queries.js';
import { describeError } from '../../core/errors.js';
import {
  deliverWebhook,
  recordSentDeliveries,
  type SentDelivery,
  type WebhookDeliveryDeps,
  type WebhookDeliverySettings,
} from './deliver-webhook.js';

export interface WebhookDeliveryWorker {
  workerId: string;
  /**
   * Stops claiming, gives in-flight attempts up to `graceMs` to finish, aborts the rest and hands them back (due
   * now), and writes every outcome. `abandon` instead drops everything as a crashed process would: the leases run
   * out and another worker retries (tests of a restart mid-delivery).
   */
  stop(options?: { graceMs?: number; abandon?: boolean }): Promise<void>;
  /** Deliveries in flight right now. */
  inFlight(): number;
}

const FLUSH_RETRY_MS = 1000;
const FLUSH_ON_STOP_MS = 10_000;

/**
 * The delivery loop: keeps up to `concurrency` attempts in flight and one claimed batch queued behind them (so a
 * freed slot never waits for a claim's round trip), claims with a lease and `SKIP LOCKED`, and writes outcomes
 * in batches as they finish: a fast receiver sees thousands per second while a slow or dead one only holds its
 * own slots. Sleeps `pollIntervalMs` when nothing is due.
 */
export function startWebhookDeliveryWorker(
  deps: WebhookDeliveryDeps,
  settings: WebhookDeliverySettings,
): WebhookDeliveryWorker {
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const running = new Map<number, AbortController>();
  const queue: { delivery: ClaimedDelivery; claimedAt: number }[] = [];
  // a queued delivery must start early enough to finish well inside its lease, or another worker may send it
  // too; half the slack beyond the timeout leaves room for clock steps and a slow outcome write
  const startBy = ((settings.leaseSeconds - settings.timeoutSeconds) * 1000) / 2;
  let buffer: { delivery: ClaimedDelivery; sent: SentDelivery }[] = [];
  let stopping = false;
  let abandoned = false;
  let wake: (() => void) | undefined;
  let flushing: Promise<void> | undefined;
  const minClaim = Math.max(1, Math.floor(settings.batchSize / 4));
  let wakeOnStop: (() => void) | undefined;

  /** Sleeps `ms`; a finished delivery ends the nap early only when `onSlot`, a stop always does. */
  const nap = (ms: number, onSlot: boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        wakeOnStop = undefined;
        resolve();
      }
      if (onSlot) wake = done;
      wakeOnStop = done;
    });

  const flush = (): Promise<void> => {
    if (flushing || buffer.length === 0 || abandoned) return flushing ?? Promise.resolve();
    const batch = buffer;
    buffer = [];
    flushing = recordSentDeliveries(deps, workerId, batch)
      .catch(async (error) => {
        deps.log.warn(
          { err: describeError(error), outcomes: batch.length },
          'webhook outcomes not written; retrying',
        );
        buffer = batch.concat(buffer);
        await new Promise((r) => setTimeout(r, FLUSH_RETRY_MS));
      })
      .finally(() => {
        flushing = undefined;
        if (buffer.length > 0 && !abandoned) void flush();
      });
    return flushing;
  };

  const launch = (delivery: ClaimedDelivery) => {
    const controller = new AbortController();
    running.set(delivery.id, controller);
    void deliverWebhook(deps, settings, delivery, controller.signal)
      .then((sent) => {
        if (abandoned) return;
        buffer.push({ delivery, sent });
        void flush();
      })
      .catch((error) =>
        deps.log.error({ err: describeError(error), delivery: delivery.id }, 'webhook send threw'),
      )
      .finally(() => {
        running.delete(delivery.id);
        pump();
        wake?.();
      });
  };

  const pump = () => {
    while (!stopping && running.size < settings.concurrency && queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      // too late to finish inside the lease: leave it, it comes back when the lease ends
      if (deps.clock.now() - next.claimedAt > startBy) continue;
      launch(next.delivery);
    }
  };

  const loop = async () => {
    while (!stopping) {
      const want = settings.concurrency + settings.batchSize - running.size - queue.length;
      if (want < minClaim) {
        await nap(settings.pollIntervalMs, true);
        continue;
      }
      const limit = Math.min(want, settings.batchSize);
      const claimedAt = deps.clock.now();
      let claimed: ClaimedDelivery[];
      try {
        claimed = await claimDueDeliveries(deps.db, {
          workerId,
          now: new Date(deps.clock.now()),
          leaseSeconds: settings.leaseSeconds,
          limit,
        });
      } catch (error) {
        deps.log.warn({ err: describeError(error) }, 'webhook claim failed');
        await nap(settings.pollIntervalMs, false);
        continue;
      }
      for (const delivery of claimed) queue.push({ delivery, claimedAt });
      pump();
      if (claimed.length < limit && !stopping) await nap(settings.pollIntervalMs, false);
    }
  };
  const looping = loop();

  return {
    workerId,
    inFlight: () => running.size,
    stop: async (options = {}) => {
      stopping = true;
      if (options.abandon) abandoned = true;
      wakeOnStop?.();
      await looping;
      const unsent = queue.splice(0).map((q) => q.delivery.id);
      if (abandoned) {
        for (const controller of running.values()) controller.abort();
        return;
      }
      const deadline = Date.now() + (options.graceMs ?? 5000);
      while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const controller of running.values()) controller.abort();
      while (running.size > 0) await new Promise((r) => setTimeout(r, 5));
      await releaseDeliveryLeases(deps.db, workerId, unsent, new Date(deps.clock.now())).catch((error) =>
        deps.log.warn({ err: describeError(error) }, 'webhook leases not released; they run out instead'),
      );
      // a database that stays down: stop anyway, the leases run out and another worker retries
      const flushDeadline = Date.now() + FLUSH_ON_STOP_MS;
      while ((buffer.length > 0 || flushing) && Date.now() < flushDeadline) await flush();
    },
  };
}
