import type { MiddlewareHandler } from 'hono';
import { Counter, type Registry } from 'prom-client';
import { insertApiAudit } from '../analyzer/actions/queries.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../core/db.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Principal } from './auth.js';

/**
 * Appends one api_audit row per `/api/v1/*` call after its answer is made (so the status is the final one, errors
 * included): time, principal name and role (never the token), method, path (no query string, no body: either may
 * carry secrets), status and request id. A failed write is logged and counted; the answer still goes out.
 */
export function createApiAudit(deps: {
  db: Db;
  clock: Clock;
  log: Logger;
  registry: Registry;
}): MiddlewareHandler {
  const failures =
    (deps.registry.getSingleMetric('gpuscope_api_audit_failures_total') as Counter | undefined) ??
    new Counter({
      name: 'gpuscope_api_audit_failures_total',
      help: 'API calls whose audit row could not be written.',
      registers: [deps.registry],
    });
  return async (c, next) => {
    await next();
    const principal = c.get('principal') as Principal | undefined;
    const requestId = (c.get('requestId') as string | undefined) ?? 'unknown';
    try {
      await insertApiAudit(deps.db, {
        at: new Date(deps.clock.now()),
        principal: principal?.name ?? null,
        role: principal?.role ?? null,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        requestId,
      });
    } catch (error) {
      failures.inc();
      deps.log.error({ err: describeError(error), requestId }, 'api audit write failed');
    }
  };
}
