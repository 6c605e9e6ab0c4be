import type { ActionFailure, DrainSummary } from '../types.js';
import { optedOutFailure } from './action-failure.js';
import type { KubePodSummary } from './kube-actions-client.js';
import { findOptOut } from './opt-out.js';

export type DrainSkipReason = DrainSummary['skipped'][number]['reason'];

/** Annotation the kubelet sets on the API server's copy (mirror) of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export function podKey(pod: Pick<KubePodSummary, 'namespace' | 'name'>): string {
  return `${pod.namespace}/${pod.name}`;
}

/**
 * Pods a drain leaves alone, as `kubectl drain --ignore-daemonsets` does: DaemonSet pods (the controller puts
 * them back on a cordoned node), mirror pods (the kubelet owns them; the API cannot evict them) and pods that
 * already finished.
 */
export function findDrainSkipReason(pod: KubePodSummary): DrainSkipReason | null {
  if (pod.annotations[MIRROR_POD_ANNOTATION] !== undefined) return 'mirror';
  if (pod.controllerKind === 'DaemonSet') return 'daemonset';
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return 'completed';
  return null;
}

export function planDrain(pods: readonly KubePodSummary[]): {
  evict: KubePodSummary[];
  skipped: DrainSummary['skipped'][number][];
} {
  const evict: KubePodSummary[] = [];
  const skipped: DrainSummary['skipped'][number][] = [];
  for (const pod of [...pods].sort((a, b) => podKey(a).localeCompare(podKey(b)))) {
    const reason = findDrainSkipReason(pod);
    if (reason === null) evict.push(pod);
    else skipped.push({ pod: podKey(pod), reason });
  }
  return { evict, skipped };
}

/**
 * Why a voluntary drain must evict none of these pods: an opt-out annotation, or a pod no controller owns (its
 * eviction would delete it for good; `kubectl drain` refuses those without `--force`).
 */
export function findDrainRefusal(pods: readonly KubePodSummary[]): ActionFailure | undefined {
  for (const pod of pods) {
    const optOut = findOptOut(pod.annotations, `pod/${podKey(pod)}`, { disruptive: true });
    if (optOut !== undefined) return optedOutFailure(optOut);
  }
  const bare = pods.filter((pod) => pod.controllerKind === null).map(podKey);
  if (bare.length === 0) return undefined;
  return {
    message: `no controller would recreate ${bare.join(', ')}: evicting would delete ${bare.length === 1 ? 'it' : 'them'} for good`,
    retryable: false,
    code: 'UNMANAGED_POD',
  };
}

/**
 * Exponential back-off with jitter between eviction rounds: half the step fixed, half random, so many drains
 * blocked by one budget do not retry in lock-step; never shorter than the server's Retry-After.
 */
export function computeEvictionDelayMs(
  attempt: number,
  backoff: { initialMs: number; maxMs: number },
  random: number,
  retryAfterSeconds: number | null,
): number {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  const jittered = step / 2 + random * (step / 2);
  return Math.round(Math.max(jittered, (retryAfterSeconds ?? 0) * 1000));
}
