import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  Watch,
} from '@kubernetes/client-node';
import { err, ok, type Result } from '../../core/result.js';
import { apiGroupOf } from './job-id.js';
import type { KubeClient, KubeError } from './kube-client.js';
import type { OwnerLookup } from './owner-chain.js';
import { BUILT_IN_OWNER_KINDS, crdPlural } from './owner-kinds.js';
import { type KubeOwnerReference, normalizeOwnerObject } from './pod.js';

type Obj = Record<string, unknown>;

function statusReason(body: unknown): string | null {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
  }
  const reason = (parsed as Obj | null)?.['reason'];
  return typeof reason === 'string' ? reason : null;
}

/** The client throws `ApiException` (`code`, `body`) from typed calls and an Error with `statusCode` from Watch. */
export function toKubeError(error: unknown): KubeError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Obj;
  const status =
    typeof e['code'] === 'number' ? e['code'] : typeof e['statusCode'] === 'number' ? e['statusCode'] : null;
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
  return { status, reason: statusReason(e['body']), message };
}

async function attempt<T>(call: () => Promise<T>): Promise<Result<T, KubeError>> {
  try {
    return ok(await call());
  } catch (error) {
    return err(toKubeError(error));
  }
}

interface OwnerApis {
  apps: AppsV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
}

function fetchOwner(apis: OwnerApis, namespace: string, ref: KubeOwnerReference): Promise<unknown> | null {
  const group = apiGroupOf(ref.apiVersion);
  const params = { namespace, name: ref.name };
  const apps = () => apis.apps;
  const batch = () => apis.batch;
  if (BUILT_IN_OWNER_KINDS[group]?.includes(ref.kind)) {
    switch (ref.kind) {
      case 'ReplicaSet':
        return apps().readNamespacedReplicaSet(params);
      case 'Deployment':
        return apps().readNamespacedDeployment(params);
      case 'StatefulSet':
        return apps().readNamespacedStatefulSet(params);
      case 'DaemonSet':
        return apps().readNamespacedDaemonSet(params);
      case 'Job':
        return batch().readNamespacedJob(params);
      case 'CronJob':
        return batch().readNamespacedCronJob(params);
    }
  }
  const plural = crdPlural(group, ref.kind);
  if (plural === null) return null;
  const version = ref.apiVersion.slice(group.length + 1);
  return apis.custom.getNamespacedCustomObject({ group, version, plural, ...params });
}

async function getOwner(apis: OwnerApis, namespace: string, ref: KubeOwnerReference): Promise<OwnerLookup> {
  const request = fetchOwner(apis, namespace, ref);
  if (request === null)
    return { found: false, reason: 'unsupported', message: `kind ${ref.kind} is not followed` };
  const result = await attempt(() => request);
  if (!result.ok) {
    const code = result.error.status;
    if (code === 404) return { found: false, reason: 'gone', message: 'is gone (404)' };
    const message = `${result.error.message}${code === null ? '' : ` (${code})`}`;
    return { found: false, reason: code === 403 ? 'forbidden' : 'error', message };
  }
  const object = normalizeOwnerObject(result.value);
  if (object === null) return { found: false, reason: 'error', message: 'owner object has no metadata' };
  return { found: true, object };
}

/** The real `KubeClient` over @kubernetes/client-node 1.x (object-parameter APIs, Watch over node-fetch). */
export function createKubeClient(kc: KubeConfig): KubeClient {
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const apis: OwnerApis = {
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
  return {
    async listPods({ namespace, limit, continueToken }) {
      const _continue = continueToken ?? undefined;
      const result = await attempt(() =>
        namespace === null
          ? core.listPodForAllNamespaces({ limit, _continue })
          : core.listNamespacedPod({ namespace, limit, _continue }),
      );
      if (!result.ok) return result;
      const metadata = result.value.metadata;
      return ok({
        items: result.value.items,
        resourceVersion: metadata?.resourceVersion ?? '',
        continueToken: metadata?._continue || null,
      });
    },
    async watchPods({ namespace, resourceVersion }, onEvent, onDone) {
      const path =
        namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
      // Like client-go's reflector: ask the server to end the watch after 5–10 min, so a half-dead connection
      // that never delivers a FIN cannot hold the reader forever.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      try {
        const controller = await watch.watch(
          path,
          query,
          (type, object) => onEvent(type, object),
          (error) => onDone(error === null || error === undefined ? null : toKubeError(error)),
        );
        return { stop: () => controller.abort() };
      } catch (error) {
        onDone(toKubeError(error));
        return { stop: () => {} };
      }
    },
    getOwner: (namespace, ref) => getOwner(apis, namespace, ref),
    async getNamespaceLabels(name) {
      const result = await attempt(() => core.readNamespace({ name }));
      return result.ok ? ok({ ...(result.value.metadata?.labels ?? {}) }) : result;
    },
  };
}
