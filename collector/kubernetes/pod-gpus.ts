import type { KubeContainer, KubePod } from './pod.js';

export const NVIDIA_GPU_RESOURCE = 'nvidia.com/gpu';
/** MIG slices under the device plugin's `mixed` strategy: `nvidia.com/mig-1g.10gb`, `nvidia.com/mig-3g.40gb`. */
export const NVIDIA_MIG_PREFIX = 'nvidia.com/mig-';

export interface PodGpuOptions {
  /** Other whole-accelerator resource names to count, e.g. `amd.com/gpu`, `habana.ai/gaudi`. */
  extraResources?: readonly string[];
}

export interface PodGpus {
  /** Effective count per resource name, as the scheduler charges the pod. */
  resources: Record<string, number>;
  /** Whole GPUs plus MIG slices. */
  count: number;
  /** One entry per MIG slice held, e.g. `['1g.10gb', '1g.10gb']`. */
  migProfiles: string[];
  /** Quantities that are not whole numbers (the API server rejects them, so this means a bad object). */
  issues: string[];
}

export function isGpuResource(name: string, options: PodGpuOptions = {}): boolean {
  return (
    name === NVIDIA_GPU_RESOURCE ||
    name.startsWith(NVIDIA_MIG_PREFIX) ||
    (options.extraResources?.includes(name) ?? false)
  );
}

/** Extended resources must be whole numbers; limits win because requests default to them. */
function containerGpus(
  container: KubeContainer,
  options: PodGpuOptions,
  issues: string[],
): Map<string, number> {
  const out = new Map<string, number>();
  const keys = new Set([...Object.keys(container.limits), ...Object.keys(container.requests)]);
  for (const key of keys) {
    if (!isGpuResource(key, options)) continue;
    const quantity = container.limits[key] ?? container.requests[key] ?? '';
    if (!/^\d+$/.test(quantity)) {
      issues.push(`container ${container.name}: ${key} quantity "${quantity}" is not a whole number`);
      continue;
    }
    out.set(key, Number(quantity));
  }
  return out;
}

/**
 * The pod's effective count per resource: max(largest init container, sum of app containers), because init
 * containers run one at a time before the app containers and the kubelet reuses their devices.
 */
export function computePodGpus(pod: KubePod, options: PodGpuOptions = {}): PodGpus {
  const issues: string[] = [];
  const appSum = new Map<string, number>();
  for (const container of pod.containers) {
    for (const [key, n] of containerGpus(container, options, issues))
      appSum.set(key, (appSum.get(key) ?? 0) + n);
  }
  const effective = new Map(appSum);
  for (const container of pod.initContainers) {
    for (const [key, n] of containerGpus(container, options, issues)) {
      effective.set(key, Math.max(effective.get(key) ?? 0, n));
    }
  }
  const resources: Record<string, number> = {};
  const migProfiles: string[] = [];
  let count = 0;
  for (const [key, n] of [...effective].sort(([a], [b]) => a.localeCompare(b))) {
    if (n === 0) continue;
    resources[key] = n;
    count += n;
    if (key.startsWith(NVIDIA_MIG_PREFIX)) {
      for (let i = 0; i < n; i++) migProfiles.push(key.slice(NVIDIA_MIG_PREFIX.length));
    }
  }
  return { resources, count, migProfiles, issues };
}

export function isGpuPod(pod: KubePod, options: PodGpuOptions = {}): boolean {
  return computePodGpus(pod, options).count > 0;
}
