import { err, ok, type Result } from '../../core/result.js';

/**
 * The few pod fields gpuscope reads, normalised from either raw API JSON (watch events: timestamps are strings)
 * or the client's typed `V1Pod` (list responses: timestamps are `Date`), so the pure code sees one shape.
 */
export interface KubeOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
}

export interface KubeContainer {
  name: string;
  limits: Record<string, string>;
  requests: Record<string, string>;
}

export interface KubeContainerStatus {
  name: string;
  /** `terminated.reason` of the current state (`OOMKilled`, `Completed`, `Error`), else null. */
  terminatedReason: string | null;
  /** `lastState.terminated.reason`: a restarted container keeps its previous death here. */
  lastTerminatedReason: string | null;
  finishedAt: Date | null;
}

export interface KubePod {
  uid: string;
  name: string;
  namespace: string;
  resourceVersion: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: KubeOwnerReference[];
  createdAt: Date | null;
  deletionRequestedAt: Date | null;
  nodeName: string | null;
  /** `spec.nodeSelector['nvidia.com/gpu.product']` when the pod pins a GPU model. */
  gpuProduct: string | null;
  containers: KubeContainer[];
  initContainers: KubeContainer[];
  phase: string | null;
  /** `status.reason`, e.g. `Evicted`, `DeadlineExceeded`, `NodeShutdown`. */
  reason: string | null;
  startedAt: Date | null;
  containerStatuses: KubeContainerStatus[];
}

type Obj = Record<string, unknown>;

function asObj(value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : null;
}

function asString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Resource quantities arrive as strings (`"1"`) in JSON but a sloppy writer may send numbers. */
function asStringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(asObj(value) ?? {})) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[key] = String(v);
  }
  return out;
}

function asDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string' || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function parseOwnerReference(value: unknown): KubeOwnerReference | null {
  const ref = asObj(value);
  const kind = asString(ref?.['kind']);
  const name = asString(ref?.['name']);
  if (ref === null || kind === null || name === null) return null;
  return {
    apiVersion: asString(ref['apiVersion']) ?? '',
    kind,
    name,
    uid: asString(ref['uid']) ?? '',
    controller: ref['controller'] === true,
  };
}

function parseContainer(value: unknown): KubeContainer | null {
  const container = asObj(value);
  if (container === null) return null;
  const resources = asObj(container['resources']);
  return {
    name: asString(container['name']) ?? '',
    limits: asStringMap(resources?.['limits']),
    requests: asStringMap(resources?.['requests']),
  };
}

function parseContainerStatus(value: unknown): KubeContainerStatus | null {
  const status = asObj(value);
  if (status === null) return null;
  const terminated = asObj(asObj(status['state'])?.['terminated']);
  const lastTerminated = asObj(asObj(status['lastState'])?.['terminated']);
  return {
    name: asString(status['name']) ?? '',
    terminatedReason: asString(terminated?.['reason']),
    lastTerminatedReason: asString(lastTerminated?.['reason']),
    finishedAt: asDate(terminated?.['finishedAt']),
  };
}

function compact<T>(values: (T | null)[]): T[] {
  return values.filter((v): v is T => v !== null);
}

/** Never throws: an object without the identity gpuscope keys on is an error the caller reports and skips. */
export function normalizePod(raw: unknown): Result<KubePod, string> {
  const pod = asObj(raw);
  const metadata = asObj(pod?.['metadata']);
  if (pod === null || metadata === null) return err('pod has no metadata');
  const name = asString(metadata['name']);
  const namespace = asString(metadata['namespace']);
  if (name === null) return err('pod has no metadata.name');
  if (namespace === null) return err(`pod ${name} has no metadata.namespace`);
  const spec = asObj(pod['spec']) ?? {};
  const status = asObj(pod['status']) ?? {};
  return ok({
    uid: asString(metadata['uid']) ?? `${namespace}/${name}`,
    name,
    namespace,
    resourceVersion: asString(metadata['resourceVersion']),
    labels: asStringMap(metadata['labels']),
    annotations: asStringMap(metadata['annotations']),
    ownerReferences: compact(asArray(metadata['ownerReferences']).map(parseOwnerReference)),
    createdAt: asDate(metadata['creationTimestamp']),
    deletionRequestedAt: asDate(metadata['deletionTimestamp']),
    nodeName: asString(spec['nodeName']),
    gpuProduct: asString(asObj(spec['nodeSelector'])?.['nvidia.com/gpu.product']),
    containers: compact(asArray(spec['containers']).map(parseContainer)),
    initContainers: compact(asArray(spec['initContainers']).map(parseContainer)),
    phase: asString(status['phase']),
    reason: asString(status['reason']),
    startedAt: asDate(status['startTime']),
    containerStatuses: compact(
      [...asArray(status['initContainerStatuses']), ...asArray(status['containerStatuses'])].map(
        parseContainerStatus,
      ),
    ),
  });
}

/** An owner object's metadata (typed client class or raw JSON) → what the owner chain needs. */
export function normalizeOwnerObject(
  raw: unknown,
): { uid: string; ownerReferences: KubeOwnerReference[]; labels: Record<string, string> } | null {
  const metadata = asObj(asObj(raw)?.['metadata']);
  if (metadata === null) return null;
  return {
    uid: asString(metadata['uid']) ?? '',
    ownerReferences: compact(asArray(metadata['ownerReferences']).map(parseOwnerReference)),
    labels: asStringMap(metadata['labels']),
  };
}
