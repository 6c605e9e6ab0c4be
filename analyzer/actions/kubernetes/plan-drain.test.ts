import { describe, expect, it } from 'vitest';
import type { KubePodSummary } from './kube-actions-client.js';
import { findOptOut } from './opt-out.js';
import { computeEvictionDelayMs, findDrainRefusal, findDrainSkipReason, planDrain } from './plan-drain.js';

function pod(overrides: Partial<KubePodSummary> = {}): KubePodSummary {
  return {
    namespace: 'ml',
    name: 'p',
    uid: 'u',
    nodeName: 'n',
    phase: 'Running',
    annotations: {},
    controllerKind: 'ReplicaSet',
    terminating: false,
    ...overrides,
  };
}

describe('findDrainSkipReason', () => {
  it('skips DaemonSet, mirror and finished pods and evicts the rest', () => {
    expect(findDrainSkipReason(pod({ controllerKind: 'DaemonSet' }))).toBe('daemonset');
    expect(
      findDrainSkipReason(
        pod({ annotations: { 'kubernetes.io/config.mirror': 'abc' }, controllerKind: 'Node' }),
      ),
    ).toBe('mirror');
    expect(findDrainSkipReason(pod({ phase: 'Succeeded' }))).toBe('completed');
    expect(findDrainSkipReason(pod({ phase: 'Failed', controllerKind: 'Job' }))).toBe('completed');
    expect(findDrainSkipReason(pod({ controllerKind: null }))).toBeNull();
    expect(findDrainSkipReason(pod({ phase: 'Pending' }))).toBeNull();
  });

  it('plans evictions in a stable order', () => {
    const plan = planDrain([
      pod({ name: 'b' }),
      pod({ name: 'a' }),
      pod({ name: 'ds', controllerKind: 'DaemonSet' }),
    ]);
    expect(plan.evict.map((p) => p.name)).toEqual(['a', 'b']);
    expect(plan.skipped).toEqual([{ pod: 'ml/ds', reason: 'daemonset' }]);
  });
});

describe('findDrainRefusal', () => {
  it('refuses an opted-out pod first, then pods without a controller, and nothing else', () => {
    const optedOut = pod({ name: 'keep', annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    const bare = pod({ name: 'bare', controllerKind: null });
    expect(findDrainRefusal([bare, optedOut])?.code).toBe('OPTED_OUT');
    expect(findDrainRefusal([bare, pod()])).toEqual({
      message: 'no controller would recreate ml/bare: evicting would delete it for good',
      retryable: false,
      code: 'UNMANAGED_POD',
    });
    expect(findDrainRefusal([pod(), pod({ controllerKind: 'StatefulSet' })])).toBeUndefined();
  });
});

describe('computeEvictionDelayMs', () => {
  const backoff = { initialMs: 1_000, maxMs: 8_000 };

  it('doubles from the initial step up to the cap, jittered between half and all of the step', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => computeEvictionDelayMs(n, backoff, 0, null))).toEqual([
      500, 1_000, 2_000, 4_000, 4_000, 4_000,
    ]);
    expect([0, 1, 2, 3, 4].map((n) => computeEvictionDelayMs(n, backoff, 0.999_999, null))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
  });

  it('never waits less than the server asked with Retry-After', () => {
    expect(computeEvictionDelayMs(0, backoff, 0, 10)).toBe(10_000);
  });
});

describe('findOptOut', () => {
  it('treats gpuscope.io/do-not-disrupt "true" as hands-off for every action', () => {
    expect(findOptOut({ 'gpuscope.io/do-not-disrupt': 'true' }, 'node/n', { disruptive: false })).toEqual({
      annotation: 'gpuscope.io/do-not-disrupt',
      value: 'true',
      object: 'node/n',
    });
  });

  it('counts the Karpenter and cluster-autoscaler keys only for disruptive actions and only with their blocking value', () => {
    const karpenter = { 'karpenter.sh/do-not-disrupt': 'true' };
    expect(findOptOut(karpenter, 'pod/a/b', { disruptive: false })).toBeUndefined();
    expect(findOptOut(karpenter, 'pod/a/b', { disruptive: true })?.annotation).toBe(
      'karpenter.sh/do-not-disrupt',
    );
    const safe = { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' };
    expect(findOptOut(safe, 'pod/a/b', { disruptive: true })?.annotation).toBe(
      'cluster-autoscaler.kubernetes.io/safe-to-evict',
    );
    expect(
      findOptOut({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' }, 'pod/a/b', {
        disruptive: true,
      }),
    ).toBeUndefined();
    expect(
      findOptOut({ 'karpenter.sh/do-not-disrupt': 'false', 'gpuscope.io/do-not-disrupt': 'no' }, 'x', {
        disruptive: true,
      }),
    ).toBeUndefined();
  });
});
