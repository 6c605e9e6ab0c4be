import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, type ErrorCode, httpStatusByCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** The one place an error becomes an HTTP answer; internals never reach the client. */
export function errorResponse(c: Context, error: unknown, log: Logger): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? 'unknown';
  if (error instanceof AppError) {
    const status = httpStatusByCode[error.code];
    if (status >= 500) log.error({ err: error, requestId }, 'request failed');
    const message = error.expose ? error.message : 'internal error';
    return c.json<ErrorBody>({ error: { code: error.code, message, requestId } }, status);
  }
  // hono's own refusals (a malformed JSON body, …) are the client's fault, not ours
  if (error instanceof HTTPException && error.status < 500) {
    const code: ErrorCode =
      error.status === 401 ? 'UNAUTHORIZED' : error.status === 403 ? 'FORBIDDEN' : 'VALIDATION';
    return c.json<ErrorBody>({ error: { code, message: error.message, requestId } }, httpStatusByCode[code]);
  }
  log.error({ err: error, requestId }, 'unhandled error');
  return c.json<ErrorBody>({ error: { code: 'INTERNAL', message: 'internal error', requestId } }, 500);
}

/** zod issues as one readable sentence naming each field. */
export function describeValidation(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}
