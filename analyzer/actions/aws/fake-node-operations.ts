import { err, ok } from '../../../core/result.js';
import type { ActionFailure, DrainSummary, NodeOperations } from '../types.js';

/** Test double for NodeOperations: nodes by instance id, a call log, and failures to inject per operation. */
export interface FakeNodeOperations extends NodeOperations {
  calls: string[];
  nodesByInstance: Map<string, string>;
  cordoned: Set<string>;
  fail: Partial<Record<'waitForNodeReady' | 'cordon' | 'uncordon' | 'drain', ActionFailure>>;
  lastDrainTimeoutMs: number | undefined;
}

export function createFakeNodeOperations(nodesByInstance: Record<string, string> = {}): FakeNodeOperations {
  const fake: FakeNodeOperations = {
    calls: [],
    nodesByInstance: new Map(Object.entries(nodesByInstance)),
    cordoned: new Set(),
    fail: {},
    lastDrainTimeoutMs: undefined,
    async findNodeByInstanceId(instanceId) {
      fake.calls.push(`find ${instanceId}`);
      return fake.nodesByInstance.get(instanceId);
    },
    async waitForNodeReady(instanceId) {
      fake.calls.push(`ready ${instanceId}`);
      if (fake.fail.waitForNodeReady) return err(fake.fail.waitForNodeReady);
      const node = `ip-${instanceId}.ec2.internal`;
      fake.nodesByInstance.set(instanceId, node);
      return ok({ node });
    },
    async cordon(node) {
      fake.calls.push(`cordon ${node}`);
      if (fake.fail.cordon) return err(fake.fail.cordon);
      fake.cordoned.add(node);
      return ok({ detail: { node } });
    },
    async uncordon(node) {
      fake.calls.push(`uncordon ${node}`);
      if (fake.fail.uncordon) return err(fake.fail.uncordon);
      fake.cordoned.delete(node);
      return ok({ detail: { node } });
    },
    async drain(node, options) {
      fake.calls.push(`drain ${node}`);
      fake.lastDrainTimeoutMs = options.timeoutMs;
      if (fake.fail.drain) return err(fake.fail.drain);
      const summary: DrainSummary = {
        evicted: ['team-a/train-0', 'team-a/train-1'],
        skipped: [{ pod: 'kube-system/nvidia-dcgm-exporter-x', reason: 'daemonset' }],
      };
      return ok(summary);
    },
  };
  return fake;
}
