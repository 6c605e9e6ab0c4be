import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hugeBodyBytes } from './faults.js';
import { createFleet } from './fleet.js';
import { type SimServer, startSimServer } from './server.js';

const fleet = createFleet({ seed: 5, nodeCount: 6, startMs: Date.UTC(2025, 6, 1) });
const hangNode = fleet.groundTruth().scenarios.find((s) => s.kind === 'exporter-hang')!.node;
const healthyNodes = fleet.nodes.filter((node) => !node.exporterHangs).map((node) => node.name);
let nowMs = fleet.startMs + 7_000;
let server: SimServer;

beforeAll(async () => {
  server = await startSimServer({ fleet, clock: () => nowMs });
});

afterAll(async () => {
  await server.close();
});

function urlOf(node: string): string {
  return server.targets.find((target) => target.node === node)!.url;
}

describe('startSimServer', () => {
  it('serves a node at /<node>/metrics as Prometheus text rendered at the start of the 15-s tick', async () => {
    const response = await fetch(urlOf(healthyNodes[0]!));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toBe(fleet.renderNode(healthyNodes[0]!, fleet.startMs));
  });

  it('answers the same body within a tick and a new one on the next tick', async () => {
    const first = await (await fetch(urlOf(healthyNodes[1]!))).text();
    nowMs += 5_000;
    const sameTick = await (await fetch(urlOf(healthyNodes[1]!))).text();
    nowMs += 15_000;
    const nextTick = await (await fetch(urlOf(healthyNodes[1]!))).text();
    expect(sameTick).toBe(first);
    expect(nextTick).not.toBe(first);
  });

  it('lists one target per node and serves the ground truth and a health check', async () => {
    expect(server.targets.map((t) => t.node)).toEqual(fleet.nodes.map((n) => n.name));
    expect(await (await fetch(server.groundTruthUrl)).json()).toEqual(fleet.groundTruth());
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const sd = (await (await fetch(`${server.baseUrl}/targets.json`)).json()) as {
      labels: { node: string };
    }[];
    expect(sd.map((group) => group.labels.node)).toEqual(fleet.nodes.map((n) => n.name));
  });

  it('keeps connections alive between scrapes', async () => {
    const connection = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest(urlOf(healthyNodes[0]!), (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers.connection));
      });
      req.on('error', reject);
      req.end();
    });
    expect(connection).toBe('keep-alive');
  });

  it('answers 404 for an unknown node or path', async () => {
    expect((await fetch(`${server.baseUrl}/gpu-node-9999/metrics`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/${healthyNodes[0]}/other`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/%E0%A4%A/metrics`)).status).toBe(404);
  });

  it('never answers for the exporter-hang node', async () => {
    const started = Date.now();
    await expect(fetch(urlOf(hangNode), { signal: AbortSignal.timeout(1_000) })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('setFault', () => {
  it('answers 500 like promhttp when set to http500, and recovers when cleared', async () => {
    const node = healthyNodes[2]!;
    server.setFault(node, 'http500');
    const failed = await fetch(urlOf(node));
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('An error has occurred while serving metrics');
    server.setFault(node, null);
    expect((await fetch(urlOf(node))).status).toBe(200);
  });

  it('sends binary garbage that is not exposition text when set to garbage', async () => {
    const node = healthyNodes[2]!;
    server.setFault(node, 'garbage');
    const body = Buffer.from(await (await fetch(urlOf(node))).arrayBuffer());
    server.setFault(node, null);
    expect(body.length).toBe(64 * 1024);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(body)).toThrow();
  });

  it('streams about 50 MB of valid-looking text when set to huge', async () => {
    const node = healthyNodes[3]!;
    server.setFault(node, 'huge');
    const response = await fetch(urlOf(node));
    const reader = response.body!.getReader();
    let bytes = 0;
    let head = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (head.length < 200) head += Buffer.from(chunk.value).toString('utf8');
      bytes += chunk.value.byteLength;
    }
    server.setFault(node, null);
    expect(head).toMatch(/^# HELP DCGM_FI_DEV_GPU_TEMP /);
    expect(bytes).toBeGreaterThanOrEqual(hugeBodyBytes);
    expect(bytes).toBeLessThan(hugeBodyBytes + 1024 * 1024);
  });

  it('holds a healthy node open when set to hang', async () => {
    const node = healthyNodes[4]!;
    server.setFault(node, 'hang');
    await expect(fetch(urlOf(node), { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    server.setFault(node, null);
  });

  it('answers 405 to methods other than GET and HEAD', async () => {
    expect((await fetch(urlOf(healthyNodes[0]!), { method: 'POST' })).status).toBe(405);
  });

  it('rejects a node the fleet does not have', () => {
    expect(() => server.setFault('gpu-node-9999', 'hang')).toThrow(RangeError);
  });
});

describe('close', () => {
  it('resolves promptly while a hanging request is still held open', async () => {
    const own = await startSimServer({ fleet });
    const pending = fetch(`${own.baseUrl}/${hangNode}/metrics`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
