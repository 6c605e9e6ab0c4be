import { err, ok, type Result } from '../../core/result.js';
import type { KubeClient, KubeError } from './kube-client.js';
import { type KubePod, normalizePod } from './pod.js';
import { isGpuPod, type PodGpuOptions } from './pod-gpus.js';

export interface ListedGpuPods {
  pods: KubePod[];
  /** The list's resourceVersion: where the following watch starts. */
  resourceVersion: string;
}

/**
 * Reads every page (`limit` + `continue`, so a 100,000-pod cluster never comes back in one body) and keeps the
 * GPU pods. A failed page fails the whole list, so the caller never swaps in half a state.
 */
export async function listGpuPods(
  client: KubeClient,
  request: { namespace: string | null; pageSize: number; gpu?: PodGpuOptions },
  onBadObject: (message: string) => void,
  signal: AbortSignal,
): Promise<Result<ListedGpuPods, KubeError | 'aborted'>> {
  const pods: KubePod[] = [];
  let continueToken: string | null = null;
  let resourceVersion = '';
  do {
    const page = await client.listPods({
      namespace: request.namespace,
      limit: request.pageSize,
      continueToken,
    });
    if (signal.aborted) return err('aborted');
    if (!page.ok) return page;
    for (const item of page.value.items) {
      const pod = normalizePod(item);
      if (!pod.ok) onBadObject(pod.error);
      else if (isGpuPod(pod.value, request.gpu)) pods.push(pod.value);
    }
    continueToken = page.value.continueToken;
    resourceVersion = page.value.resourceVersion || resourceVersion;
  } while (continueToken !== null);
  return ok({ pods, resourceVersion });
}
