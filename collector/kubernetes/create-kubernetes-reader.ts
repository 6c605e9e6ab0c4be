import type { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesCollectorConfig } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import type { JobReader, JobReadResult } from '../jobs/run-jobs-tick.js';
import { createKubernetesSource, type KubernetesSource, loadKubeConfig } from './create-kubernetes-source.js';

export interface KubernetesReaderDeps {
  /** Cluster name on every record (the top-level `cluster` of the config). */
  cluster: string;
  log: Logger;
  /** How long the first read waits for the initial pod list before reporting it as an error. */
  initialSyncTimeoutMs?: number;
  /** Tests pass a KubeConfig pointing at the fake API server. */
  kubeConfig?: KubeConfig;
}

export type KubernetesReader = JobReader & { stop(): Promise<void> };

function waitAtMost(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A reader that can never read: a bad kubeconfig is a target error each tick, not a crash at start. */
function failedReader(target: string, message: string): KubernetesReader {
  return {
    source: 'kubernetes',
    target,
    read: async () => ({ jobs: [], issues: [], errors: [message] }),
    stop: async () => {},
  };
}

/**
 * The target is down only while the watcher's latest news is an error; a dropped watch that reconnected (or
 * a 410 that re-listed) is normal Kubernetes life, not a failed read.
 */
function readHealth(source: KubernetesSource, since: Date | null) {
  const { lastError, lastErrorAt, lastSyncAt } = source.health();
  const failing =
    lastError !== null && lastErrorAt !== null && (lastSyncAt === null || lastErrorAt >= lastSyncAt);
  const recovered =
    !failing && lastError !== null && lastErrorAt !== null && (since === null || lastErrorAt > since);
  return {
    errors: failing && lastError !== null ? [lastError] : [],
    recovered: recovered ? lastError : null,
  };
}

/**
 * Adapts the watching source to the jobs tick's `JobReader`: the watcher starts at once and runs in the
 * background; each `read` maps what it holds. The first read waits for the initial list.
 */
export async function createKubernetesReader(
  config: KubernetesCollectorConfig,
  deps: KubernetesReaderDeps,
): Promise<KubernetesReader> {
  let kubeConfig = deps.kubeConfig;
  if (kubeConfig === undefined) {
    const loaded = loadKubeConfig(config);
    if (!loaded.ok) return failedReader(`kubernetes://${deps.cluster}`, loaded.error);
    kubeConfig = loaded.value;
  }
  const target = kubeConfig.getCurrentCluster()?.server ?? `kubernetes://${deps.cluster}`;
  const created = createKubernetesSource(config, { cluster: deps.cluster }, kubeConfig);
  if (!created.ok) return failedReader(target, created.error);
  const source = created.value;
  source.start();
  const synced = source.waitForSync();
  let lastReadAt: Date | null = null;
  return {
    source: 'kubernetes',
    target,
    async read(now: Date): Promise<JobReadResult> {
      if (!(await waitAtMost(synced, deps.initialSyncTimeoutMs ?? 30_000))) {
        const { errors } = readHealth(source, lastReadAt);
        return { jobs: [], issues: [], errors: ['initial pod list not finished', ...errors] };
      }
      const { jobs, issues } = await source.listJobs();
      const { errors, recovered } = readHealth(source, lastReadAt);
      if (recovered !== null)
        deps.log.info({ target, error: recovered }, 'kubernetes watch recovered from an error');
      lastReadAt = now;
      return { jobs, issues, errors };
    },
    stop: () => source.stop(),
  };
}
