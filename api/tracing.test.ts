import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import type { Db } from '../core/db.js';
import { createSilentLogger } from '../core/log.js';
import { createRegistry } from '../core/telemetry.js';
import { createApp } from './app.js';

describe('request tracing', () => {
  it('wraps each HTTP request in a span with its route and status', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const app = createApp({
      // /healthz never reaches the database
      db: {} as Db,
      clock: createManualClock(0),
      registry: createRegistry({ defaultMetrics: false }),
      log: createSilentLogger(),
      tracer: provider.getTracer('test'),
      tokens: [],
      isReady: async () => ({ ready: true }),
      costs: {
        sharePolicy: 'none',
        loadCostReport: () => Promise.reject(new Error('not used')),
        budgetStatuses: async () => [],
      },
    });
    await app.request('/healthz');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('api.request');
    expect(span?.attributes).toMatchObject({
      'http.method': 'GET',
      'http.route': '/healthz',
      'http.status_code': 200,
    });
  });
});
