import { type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Registry } from 'prom-client';

export type { Tracer };

export function createRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'gpuscope_' });
  return registry;
}

export function getTracer(): Tracer {
  return trace.getTracer('gpuscope');
}

/** Runs `fn` inside an active span named `<module>.<operation>`, recording failures on the span. */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
