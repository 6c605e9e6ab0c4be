import type { OwnerLink } from './owner-chain.js';
import type { KubeOwnerReference } from './pod.js';

/** Groups whose kinds every cluster has; a kind from any other group is a CRD and gets its group spelled out. */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set(['', 'apps', 'batch']);

export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** kubectl's `kind.group` type notation for CRDs, so a Volcano `Job` never merges with a batch/v1 `Job`. */
export function qualifiedKind(ref: KubeOwnerReference): string {
  const group = apiGroupOf(ref.apiVersion);
  return BUILT_IN_GROUPS.has(group) ? ref.kind : `${ref.kind}.${group}`;
}

/**
 * The link that stands for the job: the top owner, except that a CronJob is a schedule, not a job: each Job
 * it starts is one run, and the CronJob stays visible in the owner chain.
 */
export function pickJobLink(links: readonly OwnerLink[]): OwnerLink | null {
  const top = links.at(-1);
  if (top === undefined) return null;
  if (top.ref.kind === 'CronJob' && apiGroupOf(top.ref.apiVersion) === 'batch' && links.length > 1) {
    return links.at(-2) ?? top;
  }
  return top;
}

/**
 * `namespace/Kind/name` for a pod with owners (`ml/Deployment/vllm`, `ml/PyTorchJob.kubeflow.org/bert`),
 * `namespace/pod` for a bare pod; three parts versus two tell them apart.
 */
export function computeJobId(namespace: string, podName: string, links: readonly OwnerLink[]): string {
  const link = pickJobLink(links);
  return link === null
    ? `${namespace}/${podName}`
    : `${namespace}/${qualifiedKind(link.ref)}/${link.ref.name}`;
}
