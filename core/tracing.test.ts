import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { withSpan } from './telemetry.js';
import { startTracing } from './tracing.js';

describe('tracing', () => {
  afterEach(() => {
    trace.disable();
  });

  it('records a failure on the span and rethrows', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await expect(
      withSpan(provider.getTracer('test'), 'store.write_rollups', {}, async () => {
        throw new Error('connection refused');
      }),
    ).rejects.toThrow('connection refused');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'connection refused' });
    expect(span?.events[0]?.name).toBe('exception');
  });

  it('stays off without OTEL_* variables', async () => {
    expect(await startTracing({})).toBeUndefined();
  });

  it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const received: { path: string; bytes: number }[] = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => {
        received.push({ path: req.url ?? '', bytes });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const saved = { ...process.env };
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    try {
      const sdk = await startTracing(process.env);
      expect(sdk).toBeDefined();
      await withSpan(
        trace.getTracer('gpuscope'),
        'collector.dcgm_tick',
        { targets: 3 },
        async () => undefined,
      );
      await sdk?.shutdown();
    } finally {
      process.env = saved;
      await new Promise((r) => collector.close(r));
    }
    expect(received.some((r) => r.path === '/v1/traces' && r.bytes > 0)).toBe(true);
  });
});
