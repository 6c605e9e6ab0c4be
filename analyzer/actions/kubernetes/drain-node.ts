import { err, ok, type Result } from '../../../core/result.js';
import type { ActionFailure, DrainSummary } from '../types.js';
import { abortedFailure, kubeFailure, optedOutFailure } from './action-failure.js';
import { type KubeActionDeps, tracked } from './deps.js';
import type { KubeApiError, KubePodSummary } from './kube-actions-client.js';
import { findOptOut } from './opt-out.js';
import { computeEvictionDelayMs, findDrainRefusal, planDrain, podKey } from './plan-drain.js';

/** What earlier attempts of this drain saved: the node's state before the cordon, and the pods evicted. */
export interface DrainProgress {
  wasUnschedulable?: boolean | undefined;
  evicted?: readonly string[] | undefined;
}

export interface DrainRun {
  timeoutMs: number;
  signal: AbortSignal;
  resume?: DrainProgress | undefined;
  /** Persists progress before the drain moves on (`cordoned` before the patch, `evicted` after each pod). */
  save?: ((step: 'cordoned' | 'evicted', data: Record<string, unknown>) => Promise<void>) | undefined;
  /**
   * `refuse` (default, voluntary actions): an opted-out node or pod, or a pod no controller owns, fails the drain
   * before anything is evicted. `skip` (a node that goes away anyway): opted-out pods stay and are reported as
   * skipped, unowned pods are evicted, node annotations are not consulted.
   */
  optOuts?: 'refuse' | 'skip' | undefined;
}

export type DrainResult = DrainSummary & { cordonedByUs: boolean };

interface Blocked {
  pod: KubePodSummary;
  error: KubeApiError;
}

/**
 * Cordons the node, then evicts through the Eviction API every pod but DaemonSet, mirror and finished ones,
 * backing off while a PodDisruptionBudget answers 429, and waits until the evicted pods are gone. Past the
 * timeout it uncordons the node (only if this drain cordoned it) and fails retryably: `PDB_BLOCKED` naming the
 * pods a budget held, or `DRAIN_TIMEOUT`. Abort leaves the node cordoned for the resumed drain to continue.
 */
export async function drainNode(
  deps: KubeActionDeps,
  node: string,
  run: DrainRun,
): Promise<Result<DrainResult, ActionFailure>> {
  const deadline = deps.clock.now() + run.timeoutMs;
  const cordon = await cordonForDrain(deps, node, run);
  if (!cordon.ok) return settle(deps, node, cordon, false);
  const cordonedByUs = cordon.value;
  const listed = tracked(deps, 'list_pods', await deps.client.listPodsOnNode(node));
  if (!listed.ok)
    return settle(deps, node, err(kubeFailure(`list pods on node ${node}`, listed.error)), cordonedByUs);
  const plan = planDrain(listed.value);
  const refusal = run.optOuts === 'skip' ? undefined : findDrainRefusal(plan.evict);
  if (refusal !== undefined) return settle(deps, node, err(refusal), cordonedByUs);
  if (run.optOuts === 'skip') skipOptedOut(deps, node, plan);
  const evicted = new Set(run.resume?.evicted ?? []);
  const pending = plan.evict.filter((pod) => !evicted.has(podKey(pod)));
  const evicting = await evictAll(deps, node, pending, evicted, { ...run, deadline });
  if (!evicting.ok) return settle(deps, node, evicting, cordonedByUs);
  const uids = new Map(plan.evict.map((pod) => [podKey(pod), pod.uid]));
  const gone = await waitForPodsGone(deps, node, [...evicted], uids, { ...run, deadline });
  if (!gone.ok) return settle(deps, node, gone, cordonedByUs);
  deps.metrics.drains.inc({ outcome: 'done' });
  deps.log.info({ node, evicted: evicted.size, skipped: plan.skipped.length }, 'node drained');
  return ok({ evicted: [...evicted].sort(), skipped: plan.skipped, cordonedByUs });
}

/** Moves opted-out pods from the evictions to the skipped, each with a warning. */
function skipOptedOut(deps: KubeActionDeps, node: string, plan: ReturnType<typeof planDrain>): void {
  for (const pod of [...plan.evict]) {
    const optOut = findOptOut(pod.annotations, `pod/${podKey(pod)}`, { disruptive: true });
    if (optOut === undefined) continue;
    deps.log.warn(
      { node, pod: podKey(pod), annotation: optOut.annotation },
      'opted-out pod left on a drained node',
    );
    plan.evict.splice(plan.evict.indexOf(pod), 1);
    plan.skipped.push({ pod: podKey(pod), reason: 'opted_out' });
  }
}

const OUTCOME_BY_CODE: Record<string, string> = {
  PDB_BLOCKED: 'pdb_blocked',
  DRAIN_TIMEOUT: 'timeout',
  OPTED_OUT: 'opted_out',
  UNMANAGED_POD: 'opted_out',
  ABORTED: 'aborted',
};

/** A failed drain: counted, logged, and the node uncordoned if this drain cordoned it (not on abort). */
async function settle(
  deps: KubeActionDeps,
  node: string,
  failed: Result<never, ActionFailure>,
  cordonedByUs: boolean,
): Promise<Result<never, ActionFailure>> {
  if (failed.ok) return failed;
  const failure = failed.error;
  deps.metrics.drains.inc({ outcome: OUTCOME_BY_CODE[failure.code ?? ''] ?? 'failed' });
  deps.log.warn({ node, code: failure.code, reason: failure.message }, 'node drain failed');
  if (!cordonedByUs || failure.code === 'ABORTED') return failed;
  const undone = await uncordonNode(deps, node);
  if (undone.ok) return err({ ...failure, message: `${failure.message}; node ${node} uncordoned` });
  deps.log.error({ node, reason: undone.error.message }, 'uncordon after a failed drain failed');
  return err({
    ...failure,
    message: `${failure.message}; uncordoning ${node} failed too: ${undone.error.message}`,
  });
}

export async function cordonNode(deps: KubeActionDeps, node: string): Promise<Result<void, ActionFailure>> {
  const patched = tracked(
    deps,
    'patch_node',
    await deps.client.patchNode(node, { spec: { unschedulable: true } }),
  );
  return patched.ok ? ok(undefined) : err(kubeFailure(`cordon node ${node}`, patched.error));
}

export async function uncordonNode(deps: KubeActionDeps, node: string): Promise<Result<void, ActionFailure>> {
  const patched = tracked(
    deps,
    'patch_node',
    await deps.client.patchNode(node, { spec: { unschedulable: null } }),
  );
  return patched.ok ? ok(undefined) : err(kubeFailure(`uncordon node ${node}`, patched.error));
}

/** Ok(true) when this drain cordoned the node; the `cordoned` checkpoint is saved before the patch. */
async function cordonForDrain(
  deps: KubeActionDeps,
  node: string,
  run: DrainRun,
): Promise<Result<boolean, ActionFailure>> {
  const got = tracked(deps, 'get_node', await deps.client.getNode(node));
  if (!got.ok) return err(kubeFailure(`get node ${node}`, got.error));
  const optOut = findOptOut(got.value.annotations, `node/${node}`, { disruptive: true });
  if (optOut !== undefined && run.optOuts !== 'skip') return err(optedOutFailure(optOut));
  let wasUnschedulable = run.resume?.wasUnschedulable;
  if (wasUnschedulable === undefined) {
    wasUnschedulable = got.value.unschedulable;
    await run.save?.('cordoned', { node, wasUnschedulable });
  }
  if (!got.value.unschedulable) {
    const cordoned = await cordonNode(deps, node);
    if (!cordoned.ok) return cordoned;
  }
  return ok(!wasUnschedulable);
}

async function evictAll(
  deps: KubeActionDeps,
  node: string,
  pods: readonly KubePodSummary[],
  evicted: Set<string>,
  run: DrainRun & { deadline: number },
): Promise<Result<void, ActionFailure>> {
  let remaining = pods;
  for (let attempt = 0; ; attempt++) {
    const blocked: Blocked[] = [];
    for (const pod of remaining) {
      if (run.signal.aborted) return err(abortedFailure(`drain of node ${node}`));
      const result = tracked(deps, 'evict_pod', await deps.client.evictPod(pod.namespace, pod.name));
      const gone = !result.ok && result.error.status === 404;
      if (result.ok || gone) {
        deps.metrics.evictions.inc({ outcome: gone ? 'gone' : 'evicted' });
        evicted.add(podKey(pod));
        await run.save?.('evicted', { pods: [...evicted] });
        continue;
      }
      const error = result.error;
      deps.metrics.evictions.inc({ outcome: error.status === 429 ? 'pdb_blocked' : 'error' });
      if (error.status !== 429 && error.status !== null && error.status < 500)
        return err(kubeFailure(`evict pod ${podKey(pod)}`, error));
      blocked.push({ pod, error });
    }
    if (blocked.length === 0) return ok(undefined);
    const now = deps.clock.now();
    if (now >= run.deadline) return err(blockedFailure(node, blocked, run.timeoutMs));
    const retryAfter = Math.max(0, ...blocked.map((b) => b.error.retryAfterSeconds ?? 0));
    const delayMs = computeEvictionDelayMs(attempt, deps.options.evictionBackoff, deps.random(), retryAfter);
    const waitMs = Math.min(delayMs, run.deadline - now);
    deps.log.info(
      { node, blocked: blocked.map((b) => podKey(b.pod)), waitMs },
      'evictions refused; backing off',
    );
    await deps.sleep(waitMs, run.signal);
    remaining = blocked.map((b) => b.pod);
  }
}

function blockedFailure(node: string, blocked: readonly Blocked[], timeoutMs: number): ActionFailure {
  const byBudget = blocked.filter((b) => b.error.status === 429);
  const seconds = Math.round(timeoutMs / 1000);
  if (byBudget.length > 0) {
    const causes = [...new Set(byBudget.flatMap((b) => b.error.causes))];
    const pods = byBudget.map((b) => podKey(b.pod)).join(', ');
    return {
      message: `drain of node ${node} gave up after ${seconds} s: a PodDisruptionBudget refused evicting ${pods}${causes.length > 0 ? ` (${causes.join('; ')})` : ''}`,
      retryable: true,
      code: 'PDB_BLOCKED',
    };
  }
  const errors = blocked.map((b) => `${podKey(b.pod)}: ${b.error.message}`).join('; ');
  return {
    message: `drain of node ${node} gave up after ${seconds} s: ${errors}`,
    retryable: true,
    code: 'DRAIN_TIMEOUT',
  };
}

/** Gone: 404, or the name now belongs to a new pod (another uid) or a pod on another node. */
async function waitForPodsGone(
  deps: KubeActionDeps,
  node: string,
  keys: readonly string[],
  uids: ReadonlyMap<string, string>,
  run: DrainRun & { deadline: number },
): Promise<Result<void, ActionFailure>> {
  let pending = keys;
  for (;;) {
    const still: string[] = [];
    for (const key of pending) {
      const [namespace = '', name = ''] = key.split('/');
      const got = tracked(deps, 'get_pod', await deps.client.getPod(namespace, name));
      if (!got.ok) {
        if (got.error.status !== 404) still.push(key);
        continue;
      }
      const uid = uids.get(key);
      if (got.value.nodeName === node && (uid === undefined || uid === '' || got.value.uid === uid))
        still.push(key);
    }
    if (still.length === 0) return ok(undefined);
    if (run.signal.aborted) return err(abortedFailure(`drain of node ${node}`));
    const now = deps.clock.now();
    if (now >= run.deadline) {
      const message = `drain of node ${node} gave up after ${Math.round(run.timeoutMs / 1000)} s: evicted pods still on the node: ${still.join(', ')}`;
      return err({ message, retryable: true, code: 'DRAIN_TIMEOUT' });
    }
    await deps.sleep(Math.min(deps.options.podGonePollMs, run.deadline - now), run.signal);
    pending = still;
  }
}
