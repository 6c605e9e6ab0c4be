import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrometheusClient, type PrometheusClientOptions } from './fetch-query-range.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/prometheus');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

interface Seen {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
}

type Reply = (res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let replies: Reply[] = [];

const json =
  (status: number, body: string, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const params =
        req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString()) : url.searchParams;
      seen.push({ method: req.method ?? '', path: url.pathname, params, headers: req.headers });
      const reply = replies.shift() ?? json(500, 'no reply queued');
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  replies = [];
});

const sleeps: number[] = [];
function client(overrides: Partial<PrometheusClientOptions> = {}) {
  return createPrometheusClient({
    url: `${baseUrl}/prometheus`,
    timeoutMs: 2_000,
    maxBodyBytes: 1024 * 1024,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

const request = {
  query: 'DCGM_FI_DEV_GPU_UTIL{cluster="a"}',
  startMs: 1_700_000_015_000,
  endMs: 1_700_000_060_000,
  stepMs: 15_000,
};

describe('createPrometheusClient', () => {
  it('GETs <url>/api/v1/query_range with query, start, end, step, timeout and the configured headers', async () => {
    replies.push(json(200, fixture('query_range_gpu-util_matrix.json')));
    const answer = await client({
      headers: { 'X-Scope-OrgID': 'tenant-1', Authorization: 'Bearer secret-token' },
    }).queryRange(request);
    expect(answer.ok).toBe(true);
    const [req] = seen;
    expect(req).toMatchObject({ method: 'GET', path: '/prometheus/api/v1/query_range' });
    expect(Object.fromEntries(req!.params)).toEqual({
      query: 'DCGM_FI_DEV_GPU_UTIL{cluster="a"}',
      start: '1700000015',
      end: '1700000060',
      step: '15',
      timeout: '2s',
    });
    expect(req!.headers['x-scope-orgid']).toBe('tenant-1');
    expect(req!.headers['authorization']).toBe('Bearer secret-token');
  });

  it('POSTs the same parameters as a form when asked to', async () => {
    replies.push(json(200, fixture('query_range_clock-reasons_name-regex_post.json')));
    const answer = await client({ method: 'POST' }).queryRange(request);
    expect(answer.ok).toBe(true);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]?.params.get('query')).toBe(request.query);
  });

  it('switches to POST on its own when the query would make a very long URL', async () => {
    replies.push(json(200, fixture('query_range_empty.json')));
    const longQuery = `DCGM_FI_DEV_GPU_UTIL{UUID=~"${Array.from({ length: 200 }, (_, i) => `GPU-${i}-aaaaaaaaaaaa`).join('|')}"}`;
    const answer = await client().queryRange({ ...request, query: longQuery });
    expect(answer.ok).toBe(true);
    expect(seen[0]?.method).toBe('POST');
  });

  it('reads a gzip-encoded answer', async () => {
    const body = gzipSync(fixture('query_range_gpu-util_matrix.json'));
    replies.push((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
    });
    const answer = await client().queryRange(request);
    expect(answer.ok && answer.value.series.length).toBeGreaterThan(0);
    expect(seen[0]?.headers['accept-encoding']).toBe('gzip');
  });

  describe('errors', () => {
    it('turns a status:error body into api_error with its errorType, and does not retry a 400', async () => {
      replies.push(json(400, fixture('query_range_error_bad-data_parse.json')));
      const answer = await client().queryRange(request);
      expect(answer.ok).toBe(false);
      if (answer.ok) return;
      expect(answer.error).toMatchObject({ kind: 'api_error', status: 400, errorType: 'bad_data' });
      expect(answer.error.message).toMatch(/HTTP 400: .*bad_data: .*parse error/);
      expect(seen).toHaveLength(1);
    });

    it('reports the 11,000-points limit as bad_data', async () => {
      replies.push(json(400, fixture('query_range_error_bad-data_too-many-points.json')));
      const answer = await client().queryRange(request);
      expect(!answer.ok && answer.error.message).toMatch(/exceeded maximum resolution of 11,000 points/);
    });

    it('retries a 503 once after the back-off and returns the second answer', async () => {
      sleeps.length = 0;
      replies.push(json(503, fixture('query_range_error_timeout.json')));
      replies.push(json(200, fixture('query_range_gpu-util_matrix.json')));
      const answer = await client({ retryDelayMs: 250 }).queryRange(request);
      expect(answer.ok).toBe(true);
      expect(seen).toHaveLength(2);
      expect(sleeps).toEqual([250]);
    });

    it('gives up after one retry of a 422 and keeps the execution errorType', async () => {
      replies.push(json(422, fixture('query_range_error_execution_duplicate-labelset.json')));
      replies.push(json(422, fixture('query_range_error_execution_duplicate-labelset.json')));
      const answer = await client().queryRange(request);
      expect(seen).toHaveLength(2);
      expect(!answer.ok && answer.error).toMatchObject({
        kind: 'api_error',
        status: 422,
        errorType: 'execution',
      });
    });

    it('waits as long as Retry-After says on a 429, up to 30 s', async () => {
      sleeps.length = 0;
      replies.push(
        json(429, '{"status":"error","errorType":"too_many_requests","error":"slow down"}', {
          'retry-after': '7',
        }),
      );
      replies.push(json(200, fixture('query_range_empty.json')));
      const answer = await client().queryRange(request);
      expect(answer.ok).toBe(true);
      expect(sleeps).toEqual([7_000]);
    });

    it('reports an HTML error page from a proxy as http_status with an excerpt', async () => {
      replies.push((res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      });
      const answer = await client().queryRange(request);
      expect(!answer.ok && answer.error).toMatchObject({ kind: 'http_status', status: 502 });
      expect(!answer.ok && answer.error.message).toMatch(/502 Bad Gateway/);
    });

    it('reports a 200 answer that is not JSON as bad_response', async () => {
      replies.push((res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('# HELP up something that is not the query API\n');
      });
      const answer = await client().queryRange(request);
      expect(!answer.ok && answer.error.kind).toBe('bad_response');
      expect(!answer.ok && answer.error.message).toMatch(/not JSON/);
    });

    it('stops reading a body larger than the cap', async () => {
      replies.push((res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"status":"success","data":{"resultType":"matrix","result":[${'0,'.repeat(40_000)}`);
        res.end('0]}}');
      });
      const answer = await client({ maxBodyBytes: 10_000 }).queryRange(request);
      expect(!answer.ok && answer.error.kind).toBe('too_large');
    });

    it('times out a server that never answers', async () => {
      replies.push(() => undefined);
      const answer = await client({ timeoutMs: 200 }).queryRange(request);
      expect(!answer.ok && answer.error.kind).toBe('timeout');
    });

    it('reports a refused connection as a network failure', async () => {
      const answer = await client({ url: 'http://127.0.0.1:1' }).queryRange(request);
      expect(!answer.ok && answer.error.kind).toBe('network');
    });
  });
});
