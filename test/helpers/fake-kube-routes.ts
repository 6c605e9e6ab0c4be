import type { IncomingMessage } from 'node:http';
import { badRequest, type GroupResource } from './fake-kube-semantics.js';

/** Where the fake Kubernetes actions API keeps each kind, and how it reads a request's path, body and dryRun. */

export type FakeKind = 'Node' | 'Pod' | 'Deployment' | 'StatefulSet' | 'Job' | 'PodDisruptionBudget';

export const KINDS: Record<FakeKind, { prefix: string; group: string; resource: string }> = {
  Node: { prefix: '/api/v1', group: '', resource: 'nodes' },
  Pod: { prefix: '/api/v1', group: '', resource: 'pods' },
  Deployment: { prefix: '/apis/apps/v1', group: 'apps', resource: 'deployments' },
  StatefulSet: { prefix: '/apis/apps/v1', group: 'apps', resource: 'statefulsets' },
  Job: { prefix: '/apis/batch/v1', group: 'batch', resource: 'jobs' },
  PodDisruptionBudget: { prefix: '/apis/policy/v1', group: 'policy', resource: 'poddisruptionbudgets' },
};

function kindOfResource(resource: string): FakeKind | undefined {
  return (Object.keys(KINDS) as FakeKind[]).find((k) => KINDS[k].resource === resource);
}

export function objectPath(kind: FakeKind, name: string, namespace?: string): string {
  const { prefix, resource } = KINDS[kind];
  return kind === 'Node'
    ? `${prefix}/nodes/${name}`
    : `${prefix}/namespaces/${namespace}/${resource}/${name}`;
}

const ROUTE =
  /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/;

export interface Route {
  namespace: string | undefined;
  kind: FakeKind;
  gr: GroupResource;
  name: string | undefined;
  subresource: string | undefined;
  path: string;
}

export function parseRoute(pathname: string): Route | undefined {
  const m = ROUTE.exec(pathname);
  const kind = m ? kindOfResource(m[2] ?? '') : undefined;
  if (!m || kind === undefined) return undefined;
  const [, namespace, , name, subresource] = m;
  const path = name === undefined ? pathname : objectPath(kind, name, namespace);
  const { group, resource } = KINDS[kind];
  return { namespace, kind, gr: { group, resource }, name, subresource, path };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the body of the request could not be decoded as JSON');
  }
}

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  const bad = values.find((v) => v !== 'All');
  if (bad !== undefined) throw badRequest(`dryRun: Unsupported value: "${bad}": supported values: "All"`);
  return values.length > 0;
}
