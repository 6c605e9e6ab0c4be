import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A local stand-in for the few Kubernetes API endpoints gpuscope's job reader uses, following the API's
 * semantics: a global resourceVersion bumped by every change, PodList pagination with `limit`/`continue`,
 * watches that replay events after `resourceVersion` and then stream newline-delimited WatchEvents,
 * BOOKMARK events when `allowWatchBookmarks` is set, `410 Expired` (as an ERROR event, or as HTTP 410) for a
 * resourceVersion older than the compaction point, and `404 NotFound` Status objects for missing objects.
 * Not implemented: label/field selectors (400), writes through HTTP, cluster-scoped kinds other than Namespace.
 */

type Obj = Record<string, unknown>;

/** A fresh copy of a hand-written object from `test/fixtures/kubernetes/` (see its SOURCES.md). */
export function readKubeFixture<T = Obj>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/kubernetes/${name}`, import.meta.url), 'utf8')) as T;
}

/** A KubeConfig pointing at the fake server: plain HTTP, which the client allows only with skipTLSVerify. */
export function fakeKubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'tester', token: 'not-a-secret' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
    currentContext: 'fake',
  });
  return kc;
}

export const POD_FIXTURES = {
  deployment: 'pod_deployment_vllm_running.json',
  cronJob: 'pod_cronjob_eval_succeeded.json',
  pytorchJob: 'pod_pytorchjob_worker_running.json',
  bareMig: 'pod_bare_mig_running.json',
  oomKilled: 'pod_job_oomkilled_failed.json',
} as const;

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoredEvent {
  rv: number;
  type: EventType;
  object: Obj;
}

interface LiveWatch {
  namespace: string | null;
  bookmarks: boolean;
  res: ServerResponse;
}

export interface FakeKubeApi {
  url: string;
  /** Every request as `METHOD path?query`, for assertions about what the client asked. */
  requests: string[];
  addPod(pod: Obj): Obj;
  updatePod(pod: Obj): Obj;
  deletePod(namespace: string, name: string): void;
  /** Stores an owner object (ReplicaSet, Job, PyTorchJob …) at its API path. */
  putObject(object: Obj): void;
  deleteObject(apiVersion: string, kind: string, namespace: string, name: string): void;
  putNamespace(name: string, labels: Record<string, string>): void;
  /** Forgets history up to now: watches from an older resourceVersion get 410 Expired. */
  compact(): void;
  /** Sends a BOOKMARK with the current resourceVersion to watches that asked for bookmarks. */
  bookmark(): void;
  /** Ends every open watch stream, as a load balancer or API server restart would. */
  dropWatches(): void;
  /** New watch requests wait unanswered (a partition) until `releaseWatches()`; lists still answer. */
  holdWatches(): void;
  releaseWatches(): void;
  heldWatches(): number;
  /** `event` (default, what kube-apiserver does) or `http` (a 410 response, as some proxies return). */
  expiredAs: 'event' | 'http';
  resourceVersion(): number;
  openWatches(): number;
  close(): Promise<void>;
}

export function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function meta(object: Obj): Obj {
  return (object['metadata'] ?? {}) as Obj;
}

function podKey(object: Obj): string {
  return `${meta(object)['namespace']}/${meta(object)['name']}`;
}

/** `ReplicaSet` → `replicasets`: true for every kind the reader follows. */
function pluralOf(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

function objectPath(apiVersion: string, kind: string, namespace: string, name: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${namespace}/${pluralOf(kind)}/${name}`;
}

interface WatchRequest {
  req: IncomingMessage;
  res: ServerResponse;
  namespace: string | null;
  query: URLSearchParams;
}

class FakeKubeApiServer implements FakeKubeApi {
  url = '';
  readonly requests: string[] = [];
  expiredAs: 'event' | 'http' = 'event';
  private rv = 1000;
  private compactedRv = 0;
  private readonly pods = new Map<string, Obj>();
  private readonly events: StoredEvent[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly snapshots = new Map<string, { rv: number; items: Obj[] }>();
  private readonly watches = new Set<LiveWatch>();
  private holding = false;
  private readonly held: WatchRequest[] = [];
  readonly server: Server = createServer((req, res) => this.handle(req, res));

  addPod = (pod: Obj) => this.record('ADDED', pod);
  updatePod = (pod: Obj) => this.record('MODIFIED', pod);

  deletePod(namespace: string, name: string): void {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (pod !== undefined) this.record('DELETED', pod);
  }

  putObject(object: Obj): void {
    const m = meta(object);
    const path = objectPath(
      String(object['apiVersion']),
      String(object['kind']),
      String(m['namespace']),
      String(m['name']),
    );
    this.objects.set(path, object);
  }

  deleteObject(apiVersion: string, kind: string, namespace: string, name: string): void {
    this.objects.delete(objectPath(apiVersion, kind, namespace, name));
  }

  putNamespace(name: string, labels: Record<string, string>): void {
    this.objects.set(`/api/v1/namespaces/${name}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
  }

  compact(): void {
    this.compactedRv = this.rv;
    this.events.length = 0;
  }

  bookmark(): void {
    const object = { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } };
    for (const watch of this.watches) {
      if (watch.bookmarks) watch.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  dropWatches(): void {
    for (const watch of this.watches) watch.res.end();
    this.watches.clear();
  }

  holdWatches(): void {
    this.holding = true;
  }

  releaseWatches(): void {
    this.holding = false;
    for (const w of this.held.splice(0)) if (!w.res.destroyed) this.handleWatch(w);
  }

  heldWatches = () => this.held.filter((w) => !w.res.destroyed).length;
  resourceVersion = () => this.rv;
  openWatches = () => this.watches.size;

  async close(): Promise<void> {
    this.dropWatches();
    for (const w of this.held.splice(0)) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(type: EventType, pod: Obj): Obj {
    this.rv += 1;
    const stamped = structuredClone(pod);
    stamped['metadata'] = { ...meta(stamped), resourceVersion: String(this.rv) };
    this.events.push({ rv: this.rv, type, object: stamped });
    if (type === 'DELETED') this.pods.delete(podKey(stamped));
    else this.pods.set(podKey(stamped), stamped);
    for (const watch of this.watches) {
      if (inScope(watch.namespace)(stamped))
        watch.res.write(`${JSON.stringify({ type, object: stamped })}\n`);
    }
    return stamped;
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method !== 'GET') return sendJson(res, 405, status(405, 'MethodNotAllowed', 'read-only fake'));
    if (url.pathname === '/api/v1/pods')
      return this.handlePods({ req, res, namespace: null, query: url.searchParams });
    const nsPods = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (nsPods) {
      const namespace = decodeURIComponent(nsPods[1] ?? '');
      return this.handlePods({ req, res, namespace, query: url.searchParams });
    }
    const found = this.objects.get(url.pathname);
    if (found !== undefined) return sendJson(res, 200, found);
    const parts = url.pathname.split('/');
    const name = parts.at(-1) ?? '';
    const resource = parts.at(-2) ?? '';
    sendJson(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource }));
  }

  private handlePods(request: WatchRequest) {
    const { res, query } = request;
    if (query.has('labelSelector') || query.has('fieldSelector')) {
      return sendJson(
        res,
        400,
        status(400, 'BadRequest', 'selectors are not implemented by the fake API server'),
      );
    }
    const watching = query.get('watch') === 'true' || query.get('watch') === '1';
    if (watching && this.holding) this.held.push(request);
    else if (watching) this.handleWatch(request);
    else this.handleList(res, request.namespace, query);
  }

  private handleList(res: ServerResponse, namespace: string | null, query: URLSearchParams) {
    const token = query.get('continue');
    let snapshot = token === null ? undefined : this.snapshots.get(token);
    if (token !== null && (snapshot === undefined || snapshot.rv < this.compactedRv)) {
      const message = 'The provided continue parameter is too old to display a consistent list result.';
      return sendJson(res, 410, status(410, 'Expired', message));
    }
    if (snapshot === undefined) {
      const items = [...this.pods.values()]
        .filter(inScope(namespace))
        .sort((a, b) => podKey(a).localeCompare(podKey(b)));
      snapshot = { rv: this.rv, items };
    }
    const limit = Number(query.get('limit') ?? '0');
    const page = limit > 0 ? snapshot.items.slice(0, limit) : snapshot.items;
    const rest = snapshot.items.slice(page.length);
    const metadata: Obj = { resourceVersion: String(snapshot.rv) };
    if (rest.length > 0) {
      const next = `c${this.snapshots.size + 1}-${snapshot.rv}`;
      this.snapshots.set(next, { rv: snapshot.rv, items: rest });
      metadata['continue'] = next;
      metadata['remainingItemCount'] = rest.length;
    }
    sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata, items: page });
  }

  private handleWatch({ req, res, namespace, query }: WatchRequest) {
    const from = query.get('resourceVersion') ?? '';
    const expired = from !== '' && from !== '0' && Number(from) < this.compactedRv;
    const message = `too old resource version: ${from} (${this.compactedRv})`;
    if (expired && this.expiredAs === 'http') return sendJson(res, 410, status(410, 'Expired', message));
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (expired) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', message) })}\n`);
      return;
    }
    // No resourceVersion: the server first sends the current state as synthetic ADDED events.
    const replay =
      from === '' || from === '0'
        ? [...this.pods.values()].filter(inScope(namespace)).map((object) => ({ type: 'ADDED', object }))
        : this.events.filter((e) => e.rv > Number(from) && inScope(namespace)(e.object));
    for (const event of replay) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    const watch: LiveWatch = { namespace, bookmarks: query.get('allowWatchBookmarks') === 'true', res };
    this.watches.add(watch);
    req.on('close', () => this.watches.delete(watch));
  }
}

function inScope(namespace: string | null) {
  return (pod: Obj) => namespace === null || meta(pod)['namespace'] === namespace;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const api = new FakeKubeApiServer();
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}
