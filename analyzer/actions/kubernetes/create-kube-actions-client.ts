import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { err, ok, type Result } from '../../../core/result.js';
import type { KubeActionsClient, KubeApiError, WriteOptions } from './kube-actions-client.js';
import { toKubeApiError } from './kube-api-error.js';
import { parseJob, parseNode, parsePodSummary, parseScale, parseWorkload } from './parse-objects.js';

export interface KubeActionsClientOptions {
  /** `fieldManager` on every write: one stable name, so managedFields keeps one entry for gpuscope. */
  fieldManager?: string;
}

async function call<T>(request: () => Promise<T>): Promise<Result<T, KubeApiError>> {
  try {
    return ok(await request());
  } catch (error) {
    return err(toKubeApiError(error));
  }
}

function parsed<R>(
  what: string,
  result: Result<unknown, KubeApiError>,
  parse: (raw: unknown) => R | null,
): Result<R, KubeApiError> {
  if (!result.ok) return result;
  const value = parse(result.value);
  if (value !== null) return ok(value);
  return err({
    status: null,
    reason: 'BadObject',
    message: `${what}: the API answered an object without name or resourceVersion`,
    causes: [],
    retryAfterSeconds: null,
  });
}

/** The generated patch calls default to JSON Patch; this sends a JSON merge patch instead. */
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The real `KubeActionsClient` over @kubernetes/client-node 1.x. */
export function createKubeActionsClient(
  kc: KubeConfig,
  options: KubeActionsClientOptions = {},
): KubeActionsClient {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const fieldManager = options.fieldManager ?? 'gpuscope';
  const write = (o: WriteOptions | undefined) => ({
    fieldManager,
    ...(o?.dryRun ? { dryRun: 'All' } : {}),
  });

  return {
    async listNodes() {
      const result = await call(() => core.listNode({}));
      if (!result.ok) return result;
      return ok(result.value.items.flatMap((item) => parseNode(item) ?? []));
    },
    getNode: async (name) => parsed(`node ${name}`, await call(() => core.readNode({ name })), parseNode),
    patchNode: async (name, body, o) =>
      parsed(
        `node ${name}`,
        await call(() => core.patchNode({ name, body, ...write(o) }, mergePatch)),
        parseNode,
      ),
    async listPodsOnNode(node) {
      const fieldSelector = `spec.nodeName=${node}`;
      const result = await call(() => core.listPodForAllNamespaces({ fieldSelector }));
      if (!result.ok) return result;
      return ok(result.value.items.flatMap((item) => parsePodSummary(item) ?? []));
    },
    getPod: async (namespace, name) =>
      parsed(
        `pod ${namespace}/${name}`,
        await call(() => core.readNamespacedPod({ namespace, name })),
        parsePodSummary,
      ),
    async evictPod(namespace, name, o) {
      const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
      const result = await call(() =>
        core.createNamespacedPodEviction({ namespace, name, body, ...write(o) }),
      );
      return result.ok ? ok(undefined) : result;
    },
    getWorkload: async ({ kind, namespace, name }) =>
      parsed(
        `${kind} ${namespace}/${name}`,
        await call<unknown>(() =>
          kind === 'Deployment'
            ? apps.readNamespacedDeployment({ namespace, name })
            : apps.readNamespacedStatefulSet({ namespace, name }),
        ),
        parseWorkload,
      ),
    getScale: async ({ kind, namespace, name }) =>
      parsed(
        `${kind} ${namespace}/${name} scale`,
        await call<unknown>(() =>
          kind === 'Deployment'
            ? apps.readNamespacedDeploymentScale({ namespace, name })
            : apps.readNamespacedStatefulSetScale({ namespace, name }),
        ),
        parseScale,
      ),
    async replaceScale({ kind, namespace, name }, { replicas, resourceVersion }, o) {
      const body = {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
        spec: { replicas },
      };
      const params = { namespace, name, body, ...write(o) };
      const result = await call<unknown>(() =>
        kind === 'Deployment'
          ? apps.replaceNamespacedDeploymentScale(params)
          : apps.replaceNamespacedStatefulSetScale(params),
      );
      return parsed(`${kind} ${namespace}/${name} scale`, result, parseScale);
    },
    getJob: async (namespace, name) =>
      parsed(
        `job ${namespace}/${name}`,
        await call(() => batch.readNamespacedJob({ namespace, name })),
        parseJob,
      ),
    patchJob: async (namespace, name, body, o) =>
      parsed(
        `job ${namespace}/${name}`,
        await call(() => batch.patchNamespacedJob({ namespace, name, body, ...write(o) }, mergePatch)),
        parseJob,
      ),
  };
}
