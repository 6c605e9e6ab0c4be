import { status } from './fake-kube-api.js';

/**
 * The pure parts of the fake API server's write semantics, after kube-apiserver: JSON merge patch (RFC 7386),
 * the `Status` bodies of its errors (k8s.io/apimachinery/pkg/api/errors), the Scale subresource view of a
 * workload (pkg/registry/apps/deployment/storage `scaleFromDeployment`), and PodDisruptionBudget matching and
 * checks of the eviction subresource (pkg/registry/core/pod/storage/eviction.go).
 */

export type Obj = Record<string, unknown>;

export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly body: Obj,
  ) {
    super(String(body['message']));
  }
}

export function meta(object: Obj): Obj {
  return (object['metadata'] ?? {}) as Obj;
}

export function isPlainObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Obj = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * A strategic merge patch equals a merge patch for maps and scalars, which is all the executors send. Lists
 * (merged by key in a real server) and `$patch`-style directives are refused rather than merged wrongly.
 */
export function checkStrategicPatch(patch: unknown, path = ''): void {
  if (Array.isArray(patch))
    throw badRequest(`fake API server: strategic merge of the list at ${path || '.'} is not implemented`);
  if (!isPlainObject(patch)) return;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$'))
      throw badRequest(`fake API server: strategic merge directive ${key} is not implemented`);
    checkStrategicPatch(value, `${path}.${key}`);
  }
}

/** `deployments.apps`, `nodes` (core has no group). */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified({ group, resource }: GroupResource): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, status(400, 'BadRequest', message));
}

export function notFound(gr: GroupResource, name: string): ApiStatusError {
  const details = { name, group: gr.group, kind: gr.resource };
  return new ApiStatusError(404, status(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details));
}

/** The optimistic-lock message of `registry.OptimisticLockErrorMsg`. */
export function conflict(gr: GroupResource, name: string): ApiStatusError {
  const message = `Operation cannot be fulfilled on ${qualified(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
  return new ApiStatusError(
    409,
    status(409, 'Conflict', message, { name, group: gr.group, kind: gr.resource }),
  );
}

/** `errors.NewInvalid`: 422 with one cause per field. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  field: string,
  detail: string,
): ApiStatusError {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const cause = { reason: 'FieldValueInvalid', message: `Invalid value: ${detail}`, field };
  const message = `${qualifiedKind} "${name}" is invalid: ${field}: Invalid value: ${detail}`;
  return new ApiStatusError(422, status(422, 'Invalid', message, { name, group, kind, causes: [cause] }));
}

export function unsupportedMediaType(contentType: string): ApiStatusError {
  const message = `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (fake API server; got ${contentType || 'none'})`;
  return new ApiStatusError(415, status(415, 'UnsupportedMediaType', message));
}

export function internalError(message: string): ApiStatusError {
  const body = status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  return new ApiStatusError(500, body);
}

/** `errors.NewTooManyRequests` as the eviction subresource builds it for a PDB with no disruptions left. */
export function pdbBlocked(pdb: Obj): ApiStatusError {
  const s = (pdb['status'] ?? {}) as Obj;
  const cause = {
    reason: 'DisruptionBudget',
    message: `The disruption budget ${meta(pdb)['name']} needs ${s['desiredHealthy'] ?? 0} healthy pods and has ${s['currentHealthy'] ?? 0} currently`,
  };
  const message = "Cannot evict pod as it would violate the pod's disruption budget.";
  return new ApiStatusError(429, status(429, 'TooManyRequests', message, { causes: [cause] }));
}

/** What the eviction handler returns (not throws) for a pod covered by two budgets: code 500, no reason. */
export function multiplePdbs(): ApiStatusError {
  return new ApiStatusError(500, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    code: 500,
  });
}

export function successStatus(code: number): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

export function labelsMatch(selector: unknown, labels: unknown): boolean {
  const matchLabels = isPlainObject(selector) ? selector['matchLabels'] : undefined;
  // An empty or missing selector matches nothing, as in the eviction handler.
  if (!isPlainObject(matchLabels) || Object.keys(matchLabels).length === 0) return false;
  const have = isPlainObject(labels) ? labels : {};
  return Object.entries(matchLabels).every(([k, v]) => have[k] === v);
}

/** Pending, terminal and terminating pods are deleted without consulting a PDB (`canIgnorePDB`). */
export function canIgnorePdb(pod: Obj): boolean {
  const phase = ((pod['status'] ?? {}) as Obj)['phase'];
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    phase === 'Pending' ||
    meta(pod)['deletionTimestamp'] !== undefined
  );
}

export function scaleOf(workload: Obj): Obj {
  const m = meta(workload);
  const spec = (workload['spec'] ?? {}) as Obj;
  const matchLabels = ((spec['selector'] ?? {}) as Obj)['matchLabels'];
  const selector = isPlainObject(matchLabels)
    ? Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m['name'],
      namespace: m['namespace'],
      uid: m['uid'],
      resourceVersion: m['resourceVersion'],
      creationTimestamp: m['creationTimestamp'],
    },
    spec: { replicas: spec['replicas'] ?? 0 },
    status: { replicas: ((workload['status'] ?? {}) as Obj)['replicas'] ?? 0, selector },
  };
}

/** Field checks the real validation makes on the fields gpuscope writes (strategy `ValidateUpdate`). */
export function validateUpdate(kind: string, group: string, before: Obj, after: Obj): void {
  const name = String(meta(before)['name']);
  const spec = (after['spec'] ?? {}) as Obj;
  if (meta(after)['name'] !== name)
    throw invalid(kind, group, name, 'metadata.name', `"${meta(after)['name']}": field is immutable`);
  const boolField = kind === 'Node' ? 'unschedulable' : kind === 'Job' ? 'suspend' : null;
  if (boolField !== null && spec[boolField] !== undefined && typeof spec[boolField] !== 'boolean')
    throw invalid(
      kind,
      group,
      name,
      `spec.${boolField}`,
      `${JSON.stringify(spec[boolField])}: must be a boolean`,
    );
  if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'Scale') {
    const replicas = spec['replicas'];
    if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0))
      throw invalid(kind, group, name, 'spec.replicas', `${replicas}: must be greater than or equal to 0`);
  }
}

/** The Job controller's part of a suspend flip: the `Suspended` condition and no active pods. */
export function reconcileJob(before: Obj, after: Obj): void {
  const was = ((before['spec'] ?? {}) as Obj)['suspend'] === true;
  const now = ((after['spec'] ?? {}) as Obj)['suspend'] === true;
  if (was === now) return;
  const s = { ...((after['status'] ?? {}) as Obj) };
  const others = Array.isArray(s['conditions'])
    ? (s['conditions'] as Obj[]).filter((c) => c['type'] !== 'Suspended')
    : [];
  const condition = now
    ? { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }
    : { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' };
  s['conditions'] = [
    ...others,
    { ...condition, lastProbeTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() },
  ];
  if (now) s['active'] = 0;
  after['status'] = s;
}
