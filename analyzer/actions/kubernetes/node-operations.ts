import { AppError } from '../../../core/errors.js';
import { err, ok, type Result } from '../../../core/result.js';
import type { ActionFailure, NodeOperations, StepOutcome } from '../types.js';
import { abortedFailure, kubeFailure } from './action-failure.js';
import { type KubeActionDeps, tracked } from './deps.js';
import { cordonNode, drainNode, uncordonNode } from './drain-node.js';
import type { KubeNode } from './kube-actions-client.js';
import { describeKubeError } from './kube-api-error.js';

/** `aws:///us-east-1a/i-0a1b…` (also `aws:///i-…` without zone) → the instance id; other providers → null. */
export function parseAwsInstanceId(providerId: string | null): string | null {
  if (providerId === null || !providerId.startsWith('aws://')) return null;
  const last = providerId.split('/').at(-1) ?? '';
  return /^i-[0-9a-f]+$/.test(last) ? last : null;
}

function findByInstance(nodes: readonly KubeNode[], instanceId: string): KubeNode | undefined {
  return nodes.find((n) => parseAwsInstanceId(n.providerId) === instanceId);
}

async function setUnschedulable(
  deps: KubeActionDeps,
  node: string,
  unschedulable: boolean,
): Promise<Result<StepOutcome, ActionFailure>> {
  const got = tracked(deps, 'get_node', await deps.client.getNode(node));
  if (!got.ok) return err(kubeFailure(`get node ${node}`, got.error));
  const wasUnschedulable = got.value.unschedulable;
  if (wasUnschedulable === unschedulable) return ok({ detail: { node, wasUnschedulable, changed: false } });
  const done = unschedulable ? await cordonNode(deps, node) : await uncordonNode(deps, node);
  return done.ok ? ok({ detail: { node, wasUnschedulable, changed: true } }) : done;
}

/**
 * What spot migration and interruption handling need from Kubernetes. `drain` cordons, evicts and waits like the
 * `drain_node` action but keeps no checkpoint, and leaves opted-out pods in place (reported as skipped) instead
 * of refusing: its callers drain nodes that go away anyway. A voluntary caller checks opt-outs first.
 */
export function createNodeOperations(deps: KubeActionDeps): NodeOperations {
  return {
    async findNodeByInstanceId(instanceId) {
      const listed = tracked(deps, 'list_nodes', await deps.client.listNodes());
      if (!listed.ok)
        throw new AppError(
          'UNAVAILABLE',
          `list nodes for instance ${instanceId}: ${describeKubeError(listed.error)}`,
        );
      return findByInstance(listed.value, instanceId)?.name;
    },
    async waitForNodeReady(instanceId, timeoutMs, signal) {
      const deadline = deps.clock.now() + timeoutMs;
      let lastSeen = 'no node with this instance id';
      for (;;) {
        const listed = tracked(deps, 'list_nodes', await deps.client.listNodes());
        if (listed.ok) {
          const node = findByInstance(listed.value, instanceId);
          if (node?.ready === 'True') return ok({ node: node.name });
          if (node !== undefined) lastSeen = `node ${node.name} Ready=${node.ready ?? 'unreported'}`;
        } else {
          lastSeen = `listing nodes failed: ${describeKubeError(listed.error)}`;
        }
        if (signal.aborted) return err(abortedFailure(`wait for instance ${instanceId}`));
        const now = deps.clock.now();
        if (now >= deadline) {
          const message = `instance ${instanceId} has no Ready node after ${Math.round(timeoutMs / 1000)} s (${lastSeen})`;
          return err({ message, retryable: true, code: 'NODE_NOT_READY' });
        }
        await deps.sleep(Math.min(deps.options.nodeReadyPollMs, deadline - now), signal);
      }
    },
    cordon: (node) => setUnschedulable(deps, node, true),
    uncordon: (node) => setUnschedulable(deps, node, false),
    async drain(node, { timeoutMs, signal }) {
      const drained = await drainNode(deps, node, { timeoutMs, signal, optOuts: 'skip' });
      return drained.ok ? ok({ evicted: drained.value.evicted, skipped: drained.value.skipped }) : drained;
    },
  };
}
