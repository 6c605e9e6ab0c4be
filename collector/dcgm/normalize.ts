import type { Labels } from './parse.js';

/** A GPU (or MIG GPU instance) as dcgm-exporter labels describe it, after alias normalisation. */
export interface GpuLabels {
  uuid: string;
  gpuInstanceId: number | null;
  gpuIndex: number | null;
  device: string | null;
  model: string | null;
  pciBusId: string | null;
  migProfile: string | null;
  hostname: string | null;
  driverVersion: string | null;
  /** pod, namespace, container, hpc_job as the exporter gave them (exported_* preferred: see below). */
  owner: Record<string, string>;
}

const ownerKeys = ['pod', 'namespace', 'container', 'hpc_job'] as const;

/** Old `--use-old-namespace` names and Kubernetes-era spellings, mapped to today's label names. */
const ownerAliases: Record<string, (typeof ownerKeys)[number]> = {
  pod_name: 'pod',
  pod_namespace: 'namespace',
  container_name: 'container',
};

/** Values DCGM prints when a string field is blank. */
const blankStrings = new Set(['', '<<<NULL>>>', 'N/A', '[N/A]']);

const cache = new WeakMap<Labels, GpuLabels | null>();

/**
 * Reads a GPU identity out of a label set, or null when the series is not about one GPU (no UUID).
 * Memoised per label object: the parser hands out one shared object per distinct label block.
 */
export function readGpuLabels(labels: Labels): GpuLabels | null {
  let out = cache.get(labels);
  if (out === undefined) {
    out = computeGpuLabels(labels);
    cache.set(labels, out);
  }
  return out;
}

function computeGpuLabels(labels: Labels): GpuLabels | null {
  const uuid = present(labels['UUID']) ?? present(labels['uuid']) ?? present(labels['gpu_uuid']);
  if (!uuid) return null;
  const instanceText = present(labels['GPU_I_ID']) ?? present(labels['gpu_instance_id']);
  return {
    uuid,
    gpuInstanceId: toInt(instanceText),
    gpuIndex: toInt(present(labels['gpu'])),
    device: present(labels['device']) ?? null,
    model: present(labels['modelName']) ?? present(labels['DCGM_FI_DEV_NAME']) ?? null,
    pciBusId: present(labels['pci_bus_id']) ?? null,
    migProfile: present(labels['GPU_I_PROFILE']) ?? present(labels['mig_profile']) ?? null,
    hostname: present(labels['Hostname']) ?? present(labels['hostname']) ?? null,
    driverVersion: present(labels['DCGM_FI_DRIVER_VERSION']) ?? null,
    owner: readOwner(labels),
  };
}

/**
 * When Prometheus scrapes without honor_labels it renames the exporter's pod/namespace/container to
 * exported_* and puts the exporter's own pod there; the exported_* value is the workload's.
 */
function readOwner(labels: Labels): Record<string, string> {
  const owner: Record<string, string> = {};
  for (const key of ownerKeys) {
    const value = present(labels[`exported_${key}`]) ?? present(labels[key]);
    if (value) owner[key] = value;
  }
  for (const [alias, key] of Object.entries(ownerAliases)) {
    const value = present(labels[alias]);
    if (value && owner[key] === undefined) owner[key] = value;
  }
  return owner;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || blankStrings.has(value) ? undefined : value;
}

function toInt(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isInteger(n) ? n : null;
}

export function gpuKey(node: string, gpu: Pick<GpuLabels, 'uuid' | 'gpuInstanceId'>): string {
  return gpu.gpuInstanceId === null ? `${node}/${gpu.uuid}` : `${node}/${gpu.uuid}/${gpu.gpuInstanceId}`;
}
