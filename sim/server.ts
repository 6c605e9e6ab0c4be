import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type SimFault, writeGarbage, writeHttp500, writeHugeBody } from './faults.js';
import type { Fleet } from './fleet.js';
import { sampleTickMs } from './sample.js';
import { answerFabricAndJobs } from './server-routes.js';
import type { SimNode } from './types.js';

export interface SimServerOptions {
  fleet: Fleet;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Epoch ms; defaults to Date.now. Bodies are rendered at the start of the clock's 15-s tick. */
  clock?: () => number;
}

export interface SimTarget {
  node: string;
  url: string;
}

export interface SimServer {
  baseUrl: string;
  targets: SimTarget[];
  groundTruthUrl: string;
  /** Overrides a node's behaviour until set back to null; for tests of scrapers. */
  setFault(node: string, fault: SimFault | null): void;
  /** Stops listening and destroys every connection, held (hanging) ones included. */
  close(): Promise<void>;
}

const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';
const jsonContentType = 'application/json; charset=utf-8';

interface ServerState {
  fleet: Fleet;
  clock: () => number;
  faults: Map<string, SimFault>;
  /** The latest body per node: one tick's worth, so memory stays at one fleet-wide render. */
  cache: Map<string, { tick: number; body: Buffer }>;
  heldSockets: Set<Socket>;
  baseUrl: string;
}

function writeText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
) {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function renderCachedBody(state: ServerState, node: SimNode): Buffer {
  const tick = Math.floor(state.clock() / sampleTickMs);
  const cached = state.cache.get(node.name);
  if (cached?.tick === tick) return cached.body;
  const body = Buffer.from(state.fleet.renderNode(node.name, tick * sampleTickMs) ?? '');
  state.cache.set(node.name, { tick, body });
  return body;
}

/** Accepts the request and never answers; `close()` destroys the socket. */
function holdOpen(state: ServerState, req: IncomingMessage): void {
  const socket = req.socket;
  state.heldSockets.add(socket);
  socket.once('close', () => state.heldSockets.delete(socket));
}

function serveMetrics(state: ServerState, req: IncomingMessage, res: ServerResponse, node: SimNode): void {
  const fault = state.faults.get(node.name) ?? (node.exporterHangs ? 'hang' : undefined);
  switch (fault) {
    case 'hang':
      holdOpen(state, req);
      break;
    case 'http500':
      writeHttp500(res);
      break;
    case 'garbage':
      writeGarbage(res, node);
      break;
    case 'huge':
      writeHugeBody(res, node);
      break;
    case undefined: {
      const body = renderCachedBody(state, node);
      res.writeHead(200, { 'content-type': metricsContentType, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  }
}

function findMetricsNode(fleet: Fleet, path: string): SimNode | undefined {
  const encoded = /^\/([^/]+)\/metrics$/.exec(path)?.[1];
  if (encoded === undefined) return undefined;
  try {
    return fleet.getNode(decodeURIComponent(encoded));
  } catch {
    return undefined;
  }
}

/** Prometheus `http_sd_configs` answer: one target group per node, the path in `__metrics_path__`. */
function listHttpSdTargets(fleet: Fleet, baseUrl: string, suffix: string) {
  const hostPort = baseUrl.replace(/^http:\/\//, '');
  return fleet.nodes.map((node) => ({
    targets: [hostPort],
    labels: { __metrics_path__: `/${node.name}/${suffix}`, node: node.name },
  }));
}

function routeRequest(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  const [path = '/', search = ''] = (req.url ?? '/').split('?');
  const node = findMetricsNode(state.fleet, path);
  const other = node
    ? undefined
    : answerFabricAndJobs(state.fleet, path, new URLSearchParams(search), state.clock());
  if (req.method !== 'GET' && req.method !== 'HEAD') writeText(res, 405, 'method not allowed\n');
  else if (node) serveMetrics(state, req, res, node);
  else if (path === '/kubernetes/api/v1/pods' && isWatch(search)) holdWatch(state, req, res);
  else if (other) writeText(res, other.status, other.body, other.contentType);
  else if (path === '/healthz') writeText(res, 200, 'ok\n');
  else if (path === '/ground-truth.json') {
    writeText(res, 200, JSON.stringify(state.fleet.groundTruth()), jsonContentType);
  } else if (path === '/targets.json' || path === '/node-exporter-targets.json') {
    const suffix = path === '/targets.json' ? 'metrics' : 'node-exporter/metrics';
    writeText(
      res,
      200,
      JSON.stringify(listHttpSdTargets(state.fleet, state.baseUrl, suffix)),
      jsonContentType,
    );
  } else writeText(res, 404, 'not found\n');
}

function isWatch(search: string): boolean {
  const watch = new URLSearchParams(search).get('watch');
  return watch === '1' || watch === 'true';
}

/**
 * The simulated pods never change, so a watch stays open with no events (as the API server does for a quiet
 * namespace) until the client or close() ends it; Kubernetes clients can then list and watch the simulator.
 */
function holdWatch(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  state.heldSockets.add(socket);
  socket.once('close', () => state.heldSockets.delete(socket));
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
}

function formatBaseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * One HTTP server for the whole fleet: `GET /<node>/metrics` (dcgm-exporter text),
 * `/<node>/node-exporter/metrics` (InfiniBand), `/slurm/{sacct.json,squeue.json,scontrol-show-job.txt}`,
 * `/kubernetes/api/v1/pods`, `/ground-truth.json`, `/targets.json` and `/node-exporter-targets.json` (Prometheus HTTP SD), `/healthz`.
 */
export async function startSimServer(options: SimServerOptions): Promise<SimServer> {
  const { fleet, host = '127.0.0.1', port = 0, clock = Date.now } = options;
  const state: ServerState = {
    fleet,
    clock,
    faults: new Map(),
    cache: new Map(),
    heldSockets: new Set(),
    baseUrl: '',
  };
  const server = createServer((req, res) => {
    try {
      routeRequest(state, req, res);
    } catch (error) {
      if (!res.headersSent) writeText(res, 500, `simulator error: ${String(error)}\n`);
    }
  });
  // Scrapers reuse connections every 15 s; Node's 5-s default would close them between scrapes.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator server has no TCP address');
  state.baseUrl = formatBaseUrl(host, address.port);
  return {
    baseUrl: state.baseUrl,
    targets: fleet.nodes.map((node) => ({ node: node.name, url: `${state.baseUrl}/${node.name}/metrics` })),
    groundTruthUrl: `${state.baseUrl}/ground-truth.json`,
    setFault: (node, fault) => {
      if (!fleet.getNode(node)) throw new RangeError(`no simulated node named ${node}`);
      if (fault === null) state.faults.delete(node);
      else state.faults.set(node, fault);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of state.heldSockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
}
