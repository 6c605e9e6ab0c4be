import type { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * Starts the OpenTelemetry SDK only when the standard OTEL_* variables ask for an exporter,
 * so a plain run pays nothing. The SDK reads OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER and friends itself.
 */
export async function startTracing(
  env: Record<string, string | undefined> = process.env,
): Promise<NodeSDK | undefined> {
  const exporter = env['OTEL_TRACES_EXPORTER'];
  const wanted =
    (exporter !== undefined && exporter !== 'none') ||
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] !== undefined ||
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] !== undefined;
  if (!wanted || env['OTEL_SDK_DISABLED'] === 'true') return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: env['OTEL_SERVICE_NAME'] ?? 'gpuscope', instrumentations: [] });
  sdk.start();
  return sdk;
}
