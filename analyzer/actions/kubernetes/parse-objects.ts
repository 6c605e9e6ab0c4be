import type { KubeJob, KubeNode, KubePodSummary, KubeScale, KubeWorkload } from './kube-actions-client.js';

/**
 * Raw JSON or @kubernetes/client-node model objects → the few fields the executors read. Field names are the
 * API's in both forms; a missing name or resourceVersion makes the object unusable (null), never a throw.
 */
type Obj = Record<string, unknown>;

function obj(value: unknown): Obj {
  return typeof value === 'object' && value !== null ? (value as Obj) : {};
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(obj(value))) if (typeof v === 'string') out[key] = v;
  return out;
}

function isoTime(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return str(value);
}

function conditionStatus(conditions: unknown, type: string): string | null {
  if (!Array.isArray(conditions)) return null;
  const found = conditions.map(obj).find((c) => c['type'] === type);
  return found === undefined ? null : str(found['status']);
}

export function parseNode(raw: unknown): KubeNode | null {
  const metadata = obj(obj(raw)['metadata']);
  const spec = obj(obj(raw)['spec']);
  const name = str(metadata['name']);
  const resourceVersion = str(metadata['resourceVersion']);
  if (name === null || resourceVersion === null) return null;
  return {
    name,
    resourceVersion,
    creationTimestamp: isoTime(metadata['creationTimestamp']),
    unschedulable: spec['unschedulable'] === true,
    providerId: str(spec['providerID']),
    annotations: stringMap(metadata['annotations']),
    ready: conditionStatus(obj(obj(raw)['status'])['conditions'], 'Ready'),
  };
}

export function parsePodSummary(raw: unknown): KubePodSummary | null {
  const metadata = obj(obj(raw)['metadata']);
  const namespace = str(metadata['namespace']);
  const name = str(metadata['name']);
  if (namespace === null || name === null) return null;
  const owners = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'].map(obj) : [];
  const controller = owners.find((o) => o['controller'] === true);
  const deletion = metadata['deletionTimestamp'];
  return {
    namespace,
    name,
    uid: str(metadata['uid']) ?? '',
    nodeName: str(obj(obj(raw)['spec'])['nodeName']),
    phase: str(obj(obj(raw)['status'])['phase']),
    annotations: stringMap(metadata['annotations']),
    controllerKind: controller === undefined ? null : str(controller['kind']),
    terminating: deletion !== undefined && deletion !== null,
  };
}

function templateAnnotations(raw: unknown): Record<string, string> {
  const template = obj(obj(obj(raw)['spec'])['template']);
  return stringMap(obj(template['metadata'])['annotations']);
}

export function parseWorkload(raw: unknown): KubeWorkload | null {
  const metadata = obj(obj(raw)['metadata']);
  if (str(metadata['name']) === null) return null;
  return { annotations: stringMap(metadata['annotations']), templateAnnotations: templateAnnotations(raw) };
}

export function parseScale(raw: unknown): KubeScale | null {
  const resourceVersion = str(obj(obj(raw)['metadata'])['resourceVersion']);
  const replicas = obj(obj(raw)['spec'])['replicas'];
  if (resourceVersion === null) return null;
  // An unset spec.replicas means 0 on the Scale subresource (omitempty of an int32).
  return { resourceVersion, replicas: typeof replicas === 'number' ? replicas : 0 };
}

export function parseJob(raw: unknown): KubeJob | null {
  const metadata = obj(obj(raw)['metadata']);
  const resourceVersion = str(metadata['resourceVersion']);
  if (str(metadata['name']) === null || resourceVersion === null) return null;
  const conditions = obj(obj(raw)['status'])['conditions'];
  const finished =
    conditionStatus(conditions, 'Complete') === 'True'
      ? 'Complete'
      : conditionStatus(conditions, 'Failed') === 'True'
        ? 'Failed'
        : null;
  return {
    resourceVersion,
    suspend: obj(obj(raw)['spec'])['suspend'] === true,
    annotations: stringMap(metadata['annotations']),
    templateAnnotations: templateAnnotations(raw),
    finished,
  };
}
