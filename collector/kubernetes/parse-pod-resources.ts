import type { RecordIssue } from '../jobs/types.js';

/**
 * The kubelet pod-resources API (`List`, as dcgm-exporter reads it from the kubelet socket) tells which device
 * ids each container got. NVIDIA's device plugin uses GPU UUIDs (`GPU-…`) and MIG device ids (`MIG-GPU-<uuid>/
 * <gi>/<ci>` on older drivers, `MIG-<uuid>` on newer ones) as ids.
 */
export interface PodDevice {
  namespace: string;
  pod: string;
  container: string;
  resourceName: string;
  deviceId: string;
  /** The physical GPU's UUID when the id names it (a `GPU-…` id, or the parent in `MIG-GPU-<uuid>/…`). */
  gpuUuid: string | null;
  /** True for a MIG instance id. */
  mig: boolean;
}

type Obj = Record<string, unknown>;
const SOURCE = 'kubelet pod-resources';

function asObj(value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : null;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function parseDeviceId(deviceId: string): { gpuUuid: string | null; mig: boolean } {
  if (deviceId.startsWith('GPU-')) return { gpuUuid: deviceId, mig: false };
  if (deviceId.startsWith('MIG-GPU-')) {
    return { gpuUuid: deviceId.slice('MIG-'.length).split('/')[0] ?? null, mig: true };
  }
  if (deviceId.startsWith('MIG-')) return { gpuUuid: null, mig: true };
  return { gpuUuid: null, mig: false };
}

function parseContainerDevices(namespace: string, pod: string, raw: unknown, out: PodDevice[]): void {
  const container = asObj(raw);
  const name = typeof container?.['name'] === 'string' ? container['name'] : '';
  for (const entry of asList(container?.['devices'])) {
    const device = asObj(entry);
    const resourceName = device?.['resource_name'] ?? device?.['resourceName'];
    if (typeof resourceName !== 'string') continue;
    for (const id of asList(device?.['device_ids'] ?? device?.['deviceIds'])) {
      if (typeof id !== 'string' || id === '') continue;
      out.push({ namespace, pod, container: name, resourceName, deviceId: id, ...parseDeviceId(id) });
    }
  }
}

/**
 * Accepts the Go/protobuf JSON names (`pod_resources`, `device_ids`) and the camelCase gRPC-JSON ones. Never
 * throws: entries without a pod name or namespace become issues and are skipped.
 */
export function parsePodResources(json: unknown): { devices: PodDevice[]; issues: RecordIssue[] } {
  const devices: PodDevice[] = [];
  const issues: RecordIssue[] = [];
  const root = asObj(json);
  const pods = root?.['pod_resources'] ?? root?.['podResources'];
  if (!Array.isArray(pods)) {
    issues.push({ source: SOURCE, line: null, field: 'pod_resources', jobId: null, message: 'not a list' });
    return { devices, issues };
  }
  pods.forEach((raw, index) => {
    const pod = asObj(raw);
    const name = pod?.['name'];
    const namespace = pod?.['namespace'];
    if (typeof name !== 'string' || typeof namespace !== 'string' || name === '' || namespace === '') {
      const field = `pod_resources[${index}]`;
      issues.push({
        source: SOURCE,
        line: null,
        field,
        jobId: null,
        message: 'entry without name/namespace',
      });
      return;
    }
    for (const container of asList(pod?.['containers']))
      parseContainerDevices(namespace, name, container, devices);
  });
  return { devices, issues };
}
