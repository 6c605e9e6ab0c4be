import type { KubeApiError } from './kube-actions-client.js';

type Obj = Record<string, unknown>;

function parseBody(body: unknown): Obj | null {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Obj) : null;
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null ? (body as Obj) : null;
}

/**
 * A client exception → `KubeApiError`. @kubernetes/client-node 1.x throws `ApiException` with `code`, the
 * response `body` as text (a `Status` object from the API server) and `headers`; network faults are plain Errors.
 */
export function toKubeApiError(error: unknown): KubeApiError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Obj;
  const status = typeof e['code'] === 'number' ? e['code'] : null;
  const body = parseBody(e['body']);
  const details = (body?.['details'] ?? {}) as Obj;
  const causes = Array.isArray(details['causes'])
    ? details['causes'].flatMap((c) => {
        const message = (c as Obj | null)?.['message'];
        return typeof message === 'string' ? [message] : [];
      })
    : [];
  const headers = (e['headers'] ?? {}) as Obj;
  const retryHeader = Number(headers['retry-after']);
  const retryDetail = details['retryAfterSeconds'];
  const fallback = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
  return {
    status,
    reason: typeof body?.['reason'] === 'string' ? body['reason'] : null,
    message: typeof body?.['message'] === 'string' ? body['message'] : fallback,
    causes,
    retryAfterSeconds:
      typeof retryDetail === 'number' && retryDetail > 0
        ? retryDetail
        : Number.isFinite(retryHeader) && retryHeader > 0
          ? retryHeader
          : null,
  };
}

export function describeKubeError(error: KubeApiError): string {
  const code = error.status === null ? '' : ` (${error.status}${error.reason ? ` ${error.reason}` : ''})`;
  const causes = error.causes.length > 0 ? `: ${error.causes.join('; ')}` : '';
  return `${error.message}${causes}${code}`;
}

/** Statuses worth trying again later: throttling, conflicts of the moment, server and network faults. */
export function isRetryableKubeError(error: KubeApiError): boolean {
  if (error.status === null) return true;
  return error.status === 429 || error.status >= 500;
}
