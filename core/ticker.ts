import { Counter, Histogram, type Registry } from 'prom-client';
import { describeError } from './errors.js';
import type { Logger } from './log.js';

export interface TickerMetrics {
  duration: Histogram<'job'>;
  failures: Counter<'job'>;
  skipped: Counter<'job'>;
}

export function createTickerMetrics(registry: Registry): TickerMetrics {
  return {
    duration: new Histogram({
      name: 'gpuscope_tick_duration_seconds',
      help: 'Duration of one run of a scheduled job, in seconds.',
      labelNames: ['job'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'gpuscope_tick_failures_total',
      help: 'Scheduled job runs that threw.',
      labelNames: ['job'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'gpuscope_tick_skipped_total',
      help: 'Scheduled runs skipped because the previous run was still going.',
      labelNames: ['job'],
      registers: [registry],
    }),
  };
}

export interface Ticker {
  /** Runs one tick now (waiting for a running one first) and resolves with its summary. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Calls `run` every interval, aligned to wall-clock multiples of it. A tick that is still running
 * when the next is due makes that one skip (counted), so slow storage never piles work up.
 */
export function startTicker(options: {
  job: string;
  intervalMs: number;
  run: () => Promise<unknown>;
  log: Logger;
  metrics: TickerMetrics;
  runAtStart?: boolean;
}): Ticker {
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): Promise<void> => {
    if (running) {
      options.metrics.skipped.inc({ job: options.job });
      return running;
    }
    const end = options.metrics.duration.startTimer({ job: options.job });
    running = options
      .run()
      .then((summary) => {
        options.log.debug({ job: options.job, summary }, 'tick done');
      })
      .catch((error) => {
        options.metrics.failures.inc({ job: options.job });
        options.log.error({ job: options.job, err: describeError(error) }, 'tick failed');
      })
      .finally(() => {
        end();
        running = undefined;
      });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    const delay = options.intervalMs - (Date.now() % options.intervalMs);
    timer = setTimeout(() => {
      void tick();
      schedule();
    }, delay);
  };

  if (options.runAtStart ?? true) void tick();
  schedule();
  return {
    runNow: async () => {
      if (running) await running;
      await tick();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
