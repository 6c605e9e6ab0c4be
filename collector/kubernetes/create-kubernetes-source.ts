import { KubeConfig } from '@kubernetes/client-node';
import { mapWithConcurrency } from '../../core/concurrency.js';
import type { KubernetesCollectorConfig } from '../../core/config.js';
import { err, ok, type Result } from '../../core/result.js';
import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { createKubeClient } from './create-kube-client.js';
import type { KubeClient } from './kube-client.js';
import { mapPodsToJobs, type ObservedPod } from './map-pods-to-jobs.js';
import {
  createCachedOwnerResolver,
  type OwnerChain,
  type OwnerResolver,
  resolveOwnerChain,
} from './owner-chain.js';
import type { PodDevice } from './parse-pod-resources.js';
import type { PodGpuOptions } from './pod-gpus.js';
import {
  createPodWatcher,
  type PodWatcherHealth,
  type PodWatcherOptions,
  type WatchedPod,
} from './pod-watcher.js';

export interface KubernetesSourceOptions {
  /** Cluster name on every record; defaults to the kubeconfig's current context. */
  cluster?: string;
  /** Label/annotation keys naming the user (config has no key for it yet). */
  userKeys?: readonly string[];
  gpu?: PodGpuOptions;
  /** Kubelet pod-resources devices where a site collects them; they fill `GpuAllocation.gpuUuid`. */
  devices?: () => readonly PodDevice[];
  watcher?: Pick<PodWatcherOptions, 'clock' | 'backoff' | 'pageSize' | 'deletedRetentionMs'>;
  /** How many owner GETs may be in flight at once on a cold cache. */
  ownerConcurrency?: number;
  namespaceLabelsTtlMs?: number;
}

export interface KubernetesSource {
  /** Starts list + watch; `listJobs` reads whatever the watcher holds so far. */
  start(): void;
  waitForSync(): Promise<void>;
  listJobs(): Promise<{ jobs: JobRecord[]; issues: RecordIssue[] }>;
  health(): PodWatcherHealth;
  stop(): Promise<void>;
}

/** A kubeconfig file when configured, else the pod's in-cluster service account. Never throws. */
export function loadKubeConfig(config: KubernetesCollectorConfig): Result<KubeConfig, string> {
  const kc = new KubeConfig();
  try {
    if (config.kubeconfig !== undefined) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromCluster();
  } catch (error) {
    return err(
      `kubeconfig ${config.kubeconfig ?? '(in-cluster)'}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (config.context !== undefined) {
    if (kc.getContextObject(config.context) === null)
      return err(`kubeconfig has no context "${config.context}"`);
    kc.setCurrentContext(config.context);
  }
  const server = kc.getCurrentCluster()?.server ?? '';
  if (server === '' || server.includes('undefined')) {
    return err('no Kubernetes API server: set collectors.kubernetes.kubeconfig or run inside a cluster');
  }
  return ok(kc);
}

/** Namespace labels change rarely; cache them so team/project fall-backs cost one GET per namespace per TTL. */
function createNamespaceLabelCache(client: KubeClient, ttlMs: number, now: () => number) {
  const cache = new Map<string, { at: number; labels: Record<string, string> }>();
  return async (namespaces: readonly string[], issues: RecordIssue[]) => {
    const out = new Map<string, Record<string, string>>();
    for (const namespace of namespaces) {
      const hit = cache.get(namespace);
      if (hit !== undefined && now() - hit.at < ttlMs) {
        out.set(namespace, hit.labels);
        continue;
      }
      const result = await client.getNamespaceLabels(namespace);
      const labels = result.ok ? result.value : {};
      if (!result.ok) {
        const message = `namespace labels unavailable: ${result.error.message} (${result.error.status ?? 'no status'})`;
        issues.push({
          source: `/api/v1/namespaces/${namespace}`,
          line: null,
          field: null,
          jobId: null,
          message,
        });
      }
      cache.set(namespace, { at: now(), labels });
      out.set(namespace, labels);
    }
    return out;
  };
}

/** Keeps each pod's last chain that ended cleanly, so a passing API error never changes a running job's id. */
function createPodChains(resolver: OwnerResolver) {
  const lastGood = new Map<string, OwnerChain>();
  return async (pods: readonly WatchedPod[], concurrency: number): Promise<ObservedPod[]> => {
    const observed = await mapWithConcurrency(pods, concurrency, async (watched) => {
      const chain = await resolveOwnerChain(watched.pod.namespace, watched.pod.ownerReferences, resolver);
      const previous = lastGood.get(watched.pod.uid);
      if (!chain.transient) lastGood.set(watched.pod.uid, chain);
      else if (previous !== undefined) return { ...watched, chain: { ...previous, issues: chain.issues } };
      return { ...watched, chain };
    });
    const present = new Set(pods.map((w) => w.pod.uid));
    for (const uid of lastGood.keys()) if (!present.has(uid)) lastGood.delete(uid);
    return observed;
  };
}

/** Wires a client (real or injected) to the watcher, the owner resolver and the pure mapping. */
export function createKubernetesSourceWithClient(
  client: KubeClient,
  config: KubernetesCollectorConfig,
  options: KubernetesSourceOptions & { cluster: string },
): KubernetesSource {
  const watcher = createPodWatcher({
    client,
    namespaces: config.namespaces,
    gpu: options.gpu,
    ...options.watcher,
  });
  const now = () => options.watcher?.clock?.now() ?? Date.now();
  const chains = createPodChains(createCachedOwnerResolver(client, { now }));
  const namespaceLabels = createNamespaceLabelCache(client, options.namespaceLabelsTtlMs ?? 600_000, now);
  return {
    start: () => watcher.start(),
    waitForSync: () => watcher.waitForSync(),
    health: () => watcher.health(),
    stop: () => watcher.stop(),
    async listJobs() {
      const issues = watcher.takeIssues();
      const observed = await chains(watcher.snapshot(), options.ownerConcurrency ?? 16);
      const namespaces = [...new Set(observed.map((o) => o.pod.namespace))].sort();
      const mapped = mapPodsToJobs(observed, {
        cluster: options.cluster,
        teamLabel: config.teamLabel,
        projectLabel: config.projectLabel,
        userKeys: options.userKeys ?? config.userLabels,
        namespaceLabels: await namespaceLabels(namespaces, issues),
        devices: options.devices?.(),
        gpu: options.gpu,
      });
      return { jobs: mapped.jobs, issues: [...issues, ...mapped.issues] };
    },
  };
}

/** From `collectors.kubernetes` config: KubeConfig (file or in-cluster) → client → watcher. Not started. */
export function createKubernetesSource(
  config: KubernetesCollectorConfig,
  options: KubernetesSourceOptions = {},
  kubeConfig?: KubeConfig,
): Result<KubernetesSource, string> {
  let kc = kubeConfig;
  if (kc === undefined) {
    const loaded = loadKubeConfig(config);
    if (!loaded.ok) return loaded;
    kc = loaded.value;
  }
  const cluster = options.cluster ?? (kc.getCurrentContext() || 'kubernetes');
  return ok(createKubernetesSourceWithClient(createKubeClient(kc), config, { ...options, cluster }));
}
