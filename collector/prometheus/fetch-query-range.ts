import * as http from 'node:http';
import * as https from 'node:https';
import { createGunzip } from 'node:zlib';
import type { Result } from '../../core/result.js';
import { err, ok } from '../../core/result.js';
import { excerpt, parseQueryRangeBody, type QueryRangeData } from './query-range.js';

export type QueryFailure =
  | { kind: 'timeout'; message: string }
  | { kind: 'too_large'; message: string }
  | { kind: 'network'; message: string }
  /** An HTTP error status whose body was not an API error document (a proxy's HTML page, say). */
  | { kind: 'http_status'; message: string; status: number }
  /** `status: "error"` from the API, with its errorType (bad_data, execution, timeout, ...). */
  | { kind: 'api_error'; message: string; status: number; errorType: string }
  | { kind: 'bad_response'; message: string };

export interface QueryRangeRequest {
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
}

/** What the sources need from a TSDB; tests can pass a fake. */
export interface PrometheusClient {
  readonly url: string;
  queryRange(request: QueryRangeRequest): Promise<Result<QueryRangeData, QueryFailure>>;
}

export interface PrometheusClientOptions {
  url: string;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Sent with every request: `Authorization`, Mimir's `X-Scope-OrgID`, ... */
  headers?: Record<string, string>;
  method?: 'GET' | 'POST' | 'auto';
  /** Wait before the one retry of a 422/429/503 answer; a Retry-After header up to 30 s wins. Default 1 s. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** 422: the query failed to execute (often load); 429: a tenant limit (Mimir); 503: timeout or overload. */
const retryableStatuses = new Set([422, 429, 503]);

/** GET keeps requests cacheable by query frontends; very long queries go as a POSTed form instead. */
const maxGetUrlLength = 4_096;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A query_range client for Prometheus and the TSDBs that speak its HTTP API. */
export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const endpoint = new URL('api/v1/query_range', options.url.endsWith('/') ? options.url : `${options.url}/`);
  return {
    url: options.url,
    queryRange: (request) => queryRangeWithRetry(endpoint, request, options),
  };
}

async function queryRangeWithRetry(
  endpoint: URL,
  request: QueryRangeRequest,
  options: PrometheusClientOptions,
): Promise<Result<QueryRangeData, QueryFailure>> {
  const first = await queryRangeOnce(endpoint, request, options);
  if (first.result.ok) return first.result;
  const failure = first.result.error;
  if (!('status' in failure) || !retryableStatuses.has(failure.status)) return first.result;
  const delay = first.retryAfterMs ?? options.retryDelayMs ?? 1_000;
  await (options.sleep ?? defaultSleep)(delay);
  return (await queryRangeOnce(endpoint, request, options)).result;
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, '');
}

function buildForm(request: QueryRangeRequest, timeoutMs: number): string {
  return new URLSearchParams({
    query: request.query,
    start: formatSeconds(request.startMs),
    end: formatSeconds(request.endMs),
    step: formatSeconds(request.stepMs),
    // The server gives up at the same time as the client, instead of evaluating for nobody.
    timeout: `${formatSeconds(timeoutMs)}s`,
  }).toString();
}

interface Attempt {
  result: Result<QueryRangeData, QueryFailure>;
  retryAfterMs: number | undefined;
}

function queryRangeOnce(
  endpoint: URL,
  request: QueryRangeRequest,
  options: PrometheusClientOptions,
): Promise<Attempt> {
  const form = buildForm(request, options.timeoutMs);
  const method = options.method ?? 'auto';
  const usePost =
    method === 'POST' || (method === 'auto' && endpoint.href.length + form.length + 1 > maxGetUrlLength);
  const target = new URL(endpoint);
  if (!usePost) target.search = form;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-encoding': 'gzip',
    ...options.headers,
  };
  if (usePost) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(form));
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Result<QueryRangeData, QueryFailure>, retryAfterMs?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ result, retryAfterMs });
    };
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: usePost ? 'POST' : 'GET',
        headers,
        agent: target.protocol === 'https:' ? agents.https : agents.http,
      },
      (response) => {
        readBody(response, options.maxBodyBytes, (body) => {
          if (!body.ok) {
            req.destroy();
            finish(body);
            return;
          }
          const status = response.statusCode ?? 0;
          finish(
            interpret(status, body.value, request.query),
            parseRetryAfter(response.headers['retry-after']),
          );
        });
      },
    );
    req.on('error', (error) =>
      finish(err({ kind: 'network', message: `${endpoint.origin}: ${error.message}` })),
    );
    const timer = setTimeout(() => {
      finish(
        err({
          kind: 'timeout',
          message: `${endpoint.origin}: no complete answer within ${options.timeoutMs} ms`,
        }),
      );
      req.destroy();
    }, options.timeoutMs);
    req.end(usePost ? form : undefined);
  });
}

/** Collects the (possibly gzipped) body, aborting as soon as it exceeds the cap once decompressed. */
function readBody(
  response: http.IncomingMessage,
  maxBytes: number,
  onBody: (body: Result<string, QueryFailure>) => void,
): void {
  let called = false;
  const done = (body: Result<string, QueryFailure>) => {
    if (called) return;
    called = true;
    onBody(body);
  };
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    response.resume();
    done(err({ kind: 'too_large', message: `response of ${declared} bytes exceeds ${maxBytes}` }));
    return;
  }
  const gzipped = /\bgzip\b/i.test(String(response.headers['content-encoding'] ?? ''));
  const stream = gzipped ? response.pipe(createGunzip()) : response;
  const parts: Buffer[] = [];
  let size = 0;
  let over = false;
  stream.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > maxBytes) {
      over = true;
      // settle first: destroying the response emits 'aborted' synchronously
      done(err({ kind: 'too_large', message: `response exceeds ${maxBytes} bytes` }));
      stream.destroy();
      return;
    }
    parts.push(chunk);
  });
  stream.on('end', () => done(ok(Buffer.concat(parts, size).toString('utf8'))));
  stream.on('error', (error) =>
    done(err({ kind: 'network', message: `reading response: ${error.message}` })),
  );
  response.on('aborted', () => done(err({ kind: 'network', message: 'response aborted' })));
}

/** Maps status + body to data or a failure; API error bodies keep their errorType whatever the status. */
function interpret(status: number, text: string, query: string): Result<QueryRangeData, QueryFailure> {
  const parsed = parseQueryRangeBody(text, query);
  if (parsed.ok) {
    if (status >= 200 && status < 300) return parsed;
    return err({ kind: 'http_status', status, message: `HTTP ${status} with a success body for ${query}` });
  }
  const problem = parsed.error;
  if (problem.kind === 'api_error') {
    return err({
      kind: 'api_error',
      status,
      errorType: problem.errorType,
      message: `HTTP ${status}: ${problem.message}`,
    });
  }
  if (status < 200 || status >= 300) {
    return err({ kind: 'http_status', status, message: `HTTP ${status} for ${query}: ${excerpt(text)}` });
  }
  return err(problem);
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, 30) * 1000;
}
