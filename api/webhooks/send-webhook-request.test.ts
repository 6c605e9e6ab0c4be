import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookHttpClient } from './send-webhook-request.js';

let server: Server;
let port: number;
const seen: { path: string; host: string; body: string }[] = [];
const client = createWebhookHttpClient();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        path: req.url ?? '',
        host: req.headers.host ?? '',
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (req.url === '/busy') res.writeHead(429, { 'retry-after': '30' }).end();
      else if (req.url === '/hang') return;
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = (path: string, host = 'receiver.invalid') => ({
  url: new URL(`http://${host}:${port}${path}`),
  address: '127.0.0.1',
  family: 4 as const,
});

describe('createWebhookHttpClient', () => {
  it('connects to the checked address, never asking DNS, and keeps the host name in the request', async () => {
    const result = await client.send({
      target: target('/in'),
      headers: {},
      body: '{"a":1}',
      timeoutMs: 5000,
    });
    expect(result).toEqual({ ok: true, value: { statusCode: 204, retryAfter: undefined } });
    expect(seen.at(-1)).toEqual({ path: '/in', host: `receiver.invalid:${port}`, body: '{"a":1}' });
  });

  it('returns a redirect as it is, without following it', async () => {
    const before = seen.length;
    const result = await client.send({
      target: target('/redirect'),
      headers: {},
      body: '{}',
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: true, value: { statusCode: 302 } });
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/redirect']);
  });

  it('hands back Retry-After', async () => {
    const result = await client.send({ target: target('/busy'), headers: {}, body: '{}', timeoutMs: 5000 });
    expect(result).toEqual({ ok: true, value: { statusCode: 429, retryAfter: '30' } });
  });

  describe('errors', () => {
    it('gives up on a receiver that does not answer within the timeout', async () => {
      const result = await client.send({ target: target('/hang'), headers: {}, body: '{}', timeoutMs: 200 });
      expect(result).toEqual({ ok: false, error: 'timed out after 0.2 s' });
    });

    it('reports a refused connection as a value', async () => {
      const closed = {
        url: new URL('http://receiver.invalid:1/x'),
        address: '127.0.0.1',
        family: 4 as const,
      };
      const result = await client.send({ target: closed, headers: {}, body: '{}', timeoutMs: 2000 });
      expect(result).toEqual({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
    });

    it('stops when aborted', async () => {
      const controller = new AbortController();
      const pending = client.send({
        target: target('/hang'),
        headers: {},
        body: '{}',
        timeoutMs: 5000,
        signal: controller.signal,
      });
      controller.abort();
      expect(await pending).toEqual({ ok: false, error: expect.stringMatching(/abort/i) });
    });
  });
});
