import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

export function createCollectorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    scrapeDuration: new Histogram({
      name: 'gpuscope_collector_scrape_duration_seconds',
      help: 'Time to fetch and parse one exporter target, in seconds.',
      labelNames: ['source'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    scrapeErrors: new Counter({
      name: 'gpuscope_collector_scrape_errors_total',
      help: 'Failed target fetches, by reason (timeout, too_large, http_status, network).',
      labelNames: ['source', 'reason'],
      registers,
    }),
    samplesParsed: new Counter({
      name: 'gpuscope_collector_samples_parsed_total',
      help: 'Exposition samples parsed from targets.',
      labelNames: ['source'],
      registers,
    }),
    parseIssues: new Counter({
      name: 'gpuscope_collector_parse_issues_total',
      help: 'Malformed exposition lines skipped while parsing.',
      labelNames: ['source'],
      registers,
    }),
    targetsUp: new Gauge({
      name: 'gpuscope_collector_targets_up',
      help: 'Targets whose last fetch succeeded.',
      labelNames: ['source'],
      registers,
    }),
    targets: new Gauge({
      name: 'gpuscope_collector_targets',
      help: 'Targets configured.',
      labelNames: ['source'],
      registers,
    }),
    gpusSeen: new Gauge({
      name: 'gpuscope_collector_gpus',
      help: 'GPUs (and MIG GPU instances) in the last collection.',
      labelNames: ['source'],
      registers,
    }),
    rowsWritten: new Counter({
      name: 'gpuscope_store_rows_written_total',
      help: 'Rollup rows upserted into the database.',
      labelNames: ['table'],
      registers,
    }),
    writeFailures: new Counter({
      name: 'gpuscope_store_write_failures_total',
      help: 'Rollup flushes that failed (the rows stay buffered and are retried).',
      registers,
    }),
    bufferedBuckets: new Gauge({
      name: 'gpuscope_collector_buffered_buckets',
      help: 'GPU-minute buckets held in memory, written or waiting to be.',
      registers,
    }),
    droppedBuckets: new Counter({
      name: 'gpuscope_collector_dropped_buckets_total',
      help: 'GPU-minute buckets dropped because the database stayed unreachable past the buffer limit.',
      registers,
    }),
    gcSeconds: new Histogram({
      name: 'gpuscope_collector_gc_duration_seconds',
      help: 'Full garbage collection run after each scrape cycle to return its short-lived memory, in seconds.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    blankValues: new Gauge({
      name: 'gpuscope_collector_blank_values',
      help: 'DCGM blank sentinel or non-finite values skipped since start.',
      registers,
    }),
  };
}
