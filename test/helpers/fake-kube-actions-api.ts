import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson, status } from './fake-kube-api.js';
import {
  type FakeKind,
  isDryRun,
  KINDS,
  objectPath,
  parseJsonBody,
  parseRoute,
  type Route,
  readBody,
} from './fake-kube-routes.js';
import {
  ApiStatusError,
  applyMergePatch,
  badRequest,
  canIgnorePdb,
  checkStrategicPatch,
  conflict,
  internalError,
  isPlainObject,
  labelsMatch,
  meta,
  multiplePdbs,
  notFound,
  type Obj,
  pdbBlocked,
  reconcileJob,
  scaleOf,
  successStatus,
  unsupportedMediaType,
  validateUpdate,
} from './fake-kube-semantics.js';

export type { FakeKind };

/**
 * A local stand-in for the Kubernetes endpoints gpuscope's action executors write to, with the API server's
 * semantics: one resourceVersion bumped by every write; JSON merge patch (and strategic merge for maps) with a
 * 409 Conflict when a patch or PUT carries a stale `metadata.resourceVersion`; `?dryRun=All` validating every
 * mutating verb and storing nothing; the policy/v1 eviction subresource consulting PodDisruptionBudgets (429
 * TooManyRequests with the budget's cause while `status.disruptionsAllowed` is 0, decrement otherwise; pending,
 * terminal and terminating pods skip the check); the autoscaling/v1 Scale subresource of Deployments and
 * StatefulSets; `fieldSelector=spec.nodeName=…` on pod lists.
 * Not run: controllers. A PDB's status changes only by eviction or `setDisruptionsAllowed`; a scaled workload's
 * status.replicas follows spec at once; an evicted pod is gone at once unless `gracefulEviction` is set.
 */

export interface RecordedWrite {
  /** `METHOD path?query` */
  request: string;
  contentType: string;
  body: unknown;
}

export interface FakeKubeActionsApi {
  url: string;
  /** Every request as `METHOD path?query`. */
  requests: string[];
  writes: RecordedWrite[];
  /** Evicted pods stay Terminating (deletionTimestamp set) until `finishTerminations()`. */
  gracefulEviction: boolean;
  /** Runs before each request is answered (`METHOD path?query`): a race with another client, for instance. */
  onRequest: ((request: string) => void) | undefined;
  /** Stores an object as a client's create or update would: bumps resourceVersion, fills uid. */
  put(object: Obj): Obj;
  get(kind: FakeKind, name: string, namespace?: string): Obj | undefined;
  remove(kind: FakeKind, name: string, namespace?: string): void;
  setDisruptionsAllowed(namespace: string, pdb: string, allowed: number): void;
  /** Deletes every terminating pod (their grace period ended); returns `namespace/name` of each. */
  finishTerminations(): string[];
  /** The next `times` requests matching method and path prefix get this status (a 500, a 503 …). */
  failNext(method: string, pathPrefix: string, code: number, times?: number): void;
  resourceVersion(): number;
  close(): Promise<void>;
}

class FakeKubeActionsServer implements FakeKubeActionsApi {
  url = '';
  readonly requests: string[] = [];
  readonly writes: RecordedWrite[] = [];
  gracefulEviction = false;
  onRequest: ((request: string) => void) | undefined = undefined;
  private rv = 2000;
  private readonly objects = new Map<string, Obj>();
  private readonly faults: { method: string; prefix: string; code: number; times: number }[] = [];
  readonly server: Server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => sendJson(res, 500, internalError(String(error)).body));
  });

  put(object: Obj): Obj {
    const kind = object['kind'] as FakeKind;
    if (KINDS[kind] === undefined) throw new Error(`fake API server does not store kind ${String(kind)}`);
    const m = meta(object);
    const stored = structuredClone(object);
    stored['metadata'] = {
      uid: randomUUID(),
      creationTimestamp: '2026-12-01T00:00:00Z',
      ...m,
    };
    this.stamp(stored);
    this.objects.set(objectPath(kind, String(m['name']), m['namespace'] as string | undefined), stored);
    return structuredClone(stored);
  }

  get(kind: FakeKind, name: string, namespace?: string): Obj | undefined {
    const found = this.objects.get(objectPath(kind, name, namespace));
    return found === undefined ? undefined : structuredClone(found);
  }

  remove(kind: FakeKind, name: string, namespace?: string): void {
    this.objects.delete(objectPath(kind, name, namespace));
  }

  setDisruptionsAllowed(namespace: string, name: string, allowed: number): void {
    const pdb = this.objects.get(objectPath('PodDisruptionBudget', name, namespace));
    if (pdb === undefined) throw new Error(`no PodDisruptionBudget ${namespace}/${name}`);
    pdb['status'] = { ...((pdb['status'] ?? {}) as Obj), disruptionsAllowed: allowed };
    this.stamp(pdb);
  }

  finishTerminations(): string[] {
    const done: string[] = [];
    for (const [path, object] of this.objects) {
      if (object['kind'] === 'Pod' && meta(object)['deletionTimestamp'] !== undefined) {
        this.objects.delete(path);
        done.push(`${meta(object)['namespace']}/${meta(object)['name']}`);
      }
    }
    if (done.length > 0) this.rv += 1;
    return done;
  }

  failNext(method: string, prefix: string, code: number, times = 1): void {
    this.faults.push({ method, prefix, code, times });
  }

  resourceVersion = () => this.rv;

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private stamp(object: Obj): void {
    this.rv += 1;
    object['metadata'] = { ...meta(object), resourceVersion: String(this.rv) };
  }

  private takeFault(method: string, pathname: string): ApiStatusError | undefined {
    const fault = this.faults.find((f) => f.method === method && pathname.startsWith(f.prefix));
    if (fault === undefined) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const reasons: Record<number, string> = { 403: 'Forbidden', 404: 'NotFound', 503: 'ServiceUnavailable' };
    const reason = reasons[fault.code] ?? 'InternalError';
    return new ApiStatusError(fault.code, status(fault.code, reason, `injected fault (${fault.code})`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const request = `${method} ${url.pathname}${url.search}`;
    this.requests.push(request);
    this.onRequest?.(request);
    const text = await readBody(req);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    try {
      const body = text === '' ? undefined : parseJsonBody(text);
      if (method !== 'GET') this.writes.push({ request, contentType, body });
      const fault = this.takeFault(method, url.pathname);
      if (fault !== undefined) throw fault;
      const dryRun = method === 'GET' ? false : isDryRun(url.searchParams);
      const route = parseRoute(url.pathname);
      if (route === undefined)
        throw new ApiStatusError(
          404,
          status(404, 'NotFound', 'the server could not find the requested resource'),
        );
      const [code, answer] = this.dispatch({
        method,
        route,
        body,
        contentType,
        dryRun,
        query: url.searchParams,
      });
      sendJson(res, code, answer);
    } catch (error) {
      if (!(error instanceof ApiStatusError)) throw error;
      sendJson(res, error.code, error.body);
    }
  }

  private dispatch(call: Call): [number, Obj] {
    const { method, route } = call;
    const notAllowed = new ApiStatusError(
      405,
      status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
    );
    if (route.name === undefined) {
      if (method !== 'GET') throw notAllowed;
      return [200, this.list(route, call.query)];
    }
    if (route.subresource === 'eviction' && route.kind === 'Pod' && method === 'POST')
      return [201, this.evict(route, call)];
    if (route.subresource === 'scale' && (route.kind === 'Deployment' || route.kind === 'StatefulSet'))
      return this.scale(route, call);
    if (route.subresource !== undefined)
      throw new ApiStatusError(
        404,
        status(404, 'NotFound', 'the server could not find the requested resource'),
      );
    const current = this.objects.get(route.path);
    if (current === undefined) throw notFound(route.gr, route.name);
    if (method === 'GET') return [200, structuredClone(current)];
    if (method === 'PATCH') return [200, this.patch(route, current, call)];
    throw notAllowed;
  }

  private list(route: Route, query: URLSearchParams): Obj {
    const { prefix } = KINDS[route.kind];
    let items = [...this.objects.entries()]
      .filter(([path, o]) => o['kind'] === route.kind && path.startsWith(prefix))
      .filter(([, o]) => route.namespace === undefined || meta(o)['namespace'] === route.namespace)
      .map(([, o]) => structuredClone(o));
    if (query.has('labelSelector')) throw badRequest('fake API server: labelSelector is not implemented');
    const field = query.get('fieldSelector');
    if (field !== null) {
      const m = /^spec\.nodeName==?(.*)$/.exec(field);
      if (route.kind !== 'Pod' || m === null)
        throw badRequest(`field label not supported: ${field.split('=')[0]}`);
      items = items.filter((o) => ((o['spec'] ?? {}) as Obj)['nodeName'] === m[1]);
    }
    const apiVersion = route.kind === 'Node' || route.kind === 'Pod' ? 'v1' : `${KINDS[route.kind].group}/v1`;
    return { kind: `${route.kind}List`, apiVersion, metadata: { resourceVersion: String(this.rv) }, items };
  }

  private mergeBody(call: Call, current: Obj): Obj {
    const { contentType, body } = call;
    if (contentType === 'application/strategic-merge-patch+json') checkStrategicPatch(body);
    else if (contentType !== 'application/merge-patch+json') throw unsupportedMediaType(contentType);
    if (!isPlainObject(body)) throw badRequest('a merge patch must be a JSON object');
    return applyMergePatch(current, body) as Obj;
  }

  /** Optimistic concurrency: a resourceVersion in the request must be the stored one. */
  private checkVersion(route: Route, current: Obj, requested: unknown): void {
    if (requested !== undefined && requested !== meta(current)['resourceVersion'])
      throw conflict(route.gr, String(meta(current)['name']));
  }

  private patch(route: Route, current: Obj, call: Call): Obj {
    const patched = this.mergeBody(call, current);
    this.checkVersion(route, current, meta((call.body ?? {}) as Obj)['resourceVersion']);
    patched['metadata'] = { ...meta(patched), resourceVersion: meta(current)['resourceVersion'] };
    validateUpdate(route.kind, route.gr.group, current, patched);
    if (route.kind === 'Job') reconcileJob(current, patched);
    if (call.dryRun) return patched;
    this.stamp(patched);
    this.objects.set(route.path, patched);
    return structuredClone(patched);
  }

  private scale(route: Route, call: Call): [number, Obj] {
    const workload = this.objects.get(route.path);
    if (workload === undefined) throw notFound(route.gr, route.name ?? '');
    const current = scaleOf(workload);
    if (call.method === 'GET') return [200, current];
    let next: Obj;
    if (call.method === 'PUT') {
      if (!isPlainObject(call.body) || call.body['kind'] !== 'Scale')
        throw badRequest('the body is not a Scale');
      next = call.body;
      const bodyName = meta(next)['name'];
      if (bodyName !== undefined && bodyName !== route.name)
        throw badRequest(
          `the name of the object (${bodyName}) does not match the name on the URL (${route.name})`,
        );
    } else if (call.method === 'PATCH') {
      next = this.mergeBody(call, current);
    } else {
      throw new ApiStatusError(
        405,
        status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      );
    }
    this.checkVersion(route, workload, meta(call.body as Obj)['resourceVersion']);
    const replicas = ((next['spec'] ?? {}) as Obj)['replicas'];
    const updated = structuredClone(workload);
    updated['spec'] = { ...((workload['spec'] ?? {}) as Obj), replicas };
    validateUpdate(route.kind, route.gr.group, workload, updated);
    if (call.dryRun) return [200, scaleOf(updated)];
    updated['status'] = { ...((workload['status'] ?? {}) as Obj), replicas };
    this.stamp(updated);
    this.objects.set(route.path, updated);
    return [200, scaleOf(updated)];
  }

  private evict(route: Route, call: Call): Obj {
    const name = route.name ?? '';
    const eviction = isPlainObject(call.body) ? call.body : {};
    if (eviction['kind'] !== 'Eviction')
      throw badRequest(`not a Eviction object: ${String(eviction['kind'])}`);
    if (meta(eviction)['name'] !== name)
      throw badRequest('name in URL does not match name in Eviction object');
    const pod = this.objects.get(route.path);
    if (pod === undefined) throw notFound(route.gr, name);
    if (!canIgnorePdb(pod)) {
      const pdbs = [...this.objects.values()].filter(
        (o) =>
          o['kind'] === 'PodDisruptionBudget' &&
          meta(o)['namespace'] === route.namespace &&
          labelsMatch(((o['spec'] ?? {}) as Obj)['selector'], meta(pod)['labels']),
      );
      if (pdbs.length > 1) throw multiplePdbs();
      const pdb = pdbs[0];
      if (pdb !== undefined) {
        const pdbStatus = (pdb['status'] ?? {}) as Obj;
        const allowed = Number(pdbStatus['disruptionsAllowed'] ?? 0);
        if (allowed <= 0) throw pdbBlocked(pdb);
        if (!call.dryRun) {
          const disrupted = {
            ...((pdbStatus['disruptedPods'] ?? {}) as Obj),
            [name]: new Date().toISOString(),
          };
          pdb['status'] = { ...pdbStatus, disruptionsAllowed: allowed - 1, disruptedPods: disrupted };
          this.stamp(pdb);
        }
      }
    }
    if (!call.dryRun) this.deletePod(route.path, pod);
    return successStatus(201);
  }

  private deletePod(path: string, pod: Obj): void {
    if (!this.gracefulEviction) {
      this.objects.delete(path);
      this.rv += 1;
      return;
    }
    if (meta(pod)['deletionTimestamp'] !== undefined) return;
    pod['metadata'] = {
      ...meta(pod),
      deletionTimestamp: new Date().toISOString(),
      deletionGracePeriodSeconds: 30,
    };
    this.stamp(pod);
  }
}

interface Call {
  method: string;
  route: Route;
  body: unknown;
  contentType: string;
  dryRun: boolean;
  query: URLSearchParams;
}

export async function startFakeKubeActionsApi(): Promise<FakeKubeActionsApi> {
  const api = new FakeKubeActionsServer();
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}
