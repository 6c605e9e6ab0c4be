import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestContext,
  type KubeActionsHarness,
  NODE,
  nodeFixture,
  podOn,
  readWorkloadFixture,
  startKubeActionsHarness,
} from '../../../test/helpers/kube-actions-harness.js';
import type { ActionKind, ActionRequest } from '../types.js';

let h: KubeActionsHarness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function start(
  options: Parameters<typeof startKubeActionsHarness>[0] = {},
): Promise<KubeActionsHarness> {
  h = await startKubeActionsHarness(options);
  return h;
}

const request = (kind: ActionKind): ActionRequest => ({
  kind,
  target: { type: 'node', node: NODE },
  reason: 'idle_gpu',
});
const VLLM = 'inference/vllm-llama-7d9c8b6f5-x2k8q';
const BERT = 'ml-training/bert-pretrain-worker-1';

function unschedulable(harness: KubeActionsHarness): unknown {
  const node = harness.api.get('Node', NODE);
  if (node === undefined) throw new Error('the node is gone');
  return (node['spec'] as Record<string, unknown>)['unschedulable'];
}

/** The node with a Deployment pod (covered by the vllm-llama PDB), a PyTorchJob pod, and pods a drain skips. */
function seedNode(harness: KubeActionsHarness, pdbAllows = 1): void {
  harness.api.put(nodeFixture());
  harness.api.put(podOn('deployment', NODE));
  harness.api.put(podOn('pytorchJob', NODE));
  harness.api.put(podOn('daemonset', NODE));
  harness.api.put(podOn('mirror', NODE));
  harness.api.put(podOn('cronJob', NODE));
  harness.api.put(podOn('bareMig', 'another-node'));
  harness.api.put(readWorkloadFixture('PodDisruptionBudget'));
  harness.api.setDisruptionsAllowed('inference', 'vllm-llama', pdbAllows);
}

async function metric(
  harness: KubeActionsHarness,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const values = (await harness.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

describe('drain_node execute', () => {
  it('cordons, evicts all but DaemonSet, mirror and finished pods, and saves progress before each change', async () => {
    const harness = await start();
    seedNode(harness);
    const ctx = createTestContext();
    const result = await harness.executor('drain_node').execute(request('drain_node'), ctx);
    expect(result).toEqual({
      ok: true,
      value: {
        detail: {
          node: NODE,
          evicted: [VLLM, BERT].sort(),
          cordonedByUs: true,
          skipped: [
            { pod: 'gpu-operator/nvidia-dcgm-exporter-7kq2m', reason: 'daemonset' },
            { pod: `kube-system/kube-proxy-${NODE}`, reason: 'mirror' },
            { pod: 'research/nightly-eval-29410560-7tq4m', reason: 'completed' },
          ],
        },
      },
    });
    expect(unschedulable(harness)).toBe(true);
    expect(ctx.saved.map((s) => s.step)).toEqual(['cordoned', 'evicted', 'evicted']);
    expect(ctx.saved[0]?.data).toEqual({ node: NODE, wasUnschedulable: false });
    const cordonAt = harness.api.requests.findIndex((r) => r.startsWith(`PATCH /api/v1/nodes/${NODE}`));
    const firstEviction = harness.api.requests.findIndex((r) => r.includes('/eviction'));
    expect(cordonAt).toBeGreaterThan(-1);
    expect(cordonAt).toBeLessThan(firstEviction);
    expect(harness.api.requests.filter((r) => r.includes('/eviction'))).toHaveLength(2);
    expect(await metric(harness, 'gpuscope_kube_action_drains_total', { outcome: 'done' })).toBe(1);
  });

  it('gives up on a PDB that never allows eviction: backs off with jitter, uncordons, fails retryably naming the pod', async () => {
    const harness = await start({
      drainTimeoutMs: 60_000,
      evictionBackoff: { initialMs: 1_000, maxMs: 8_000 },
    });
    seedNode(harness, 0);
    const ctx = createTestContext();
    const result = await harness.executor('drain_node').execute(request('drain_node'), ctx);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'PDB_BLOCKED', retryable: true });
    expect(result.error.message).toContain(VLLM);
    expect(result.error.message).toContain(
      'The disruption budget vllm-llama needs 2 healthy pods and has 2 currently',
    );
    expect(result.error.message).toContain(`node ${NODE} uncordoned`);
    // random() = 0.5: three quarters of each doubling step, capped at 8 s, the last wait cut at the deadline.
    expect(harness.sleeps.slice(0, 5)).toEqual([750, 1_500, 3_000, 6_000, 6_000]);
    expect(harness.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(unschedulable(harness)).toBeUndefined();
    expect(harness.api.get('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference')).toBeDefined();
    expect(await metric(harness, 'gpuscope_kube_action_drains_total', { outcome: 'pdb_blocked' })).toBe(1);
    expect(
      await metric(harness, 'gpuscope_kube_action_evictions_total', { outcome: 'pdb_blocked' }),
    ).toBeGreaterThan(1);
  });

  it('finishes once the budget allows again after a back-off', async () => {
    const harness = await start();
    seedNode(harness, 0);
    harness.onSleep(() => harness.api.setDisruptionsAllowed('inference', 'vllm-llama', 1));
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result.ok).toBe(true);
    expect(harness.sleeps).toEqual([750]);
    expect(harness.api.get('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference')).toBeUndefined();
  });

  it('leaves a node cordoned by someone else cordoned when a PDB blocks', async () => {
    const harness = await start({ drainTimeoutMs: 5_000 });
    seedNode(harness, 0);
    harness.api.put(nodeFixture({ unschedulable: true }));
    const ctx = createTestContext();
    const result = await harness.executor('drain_node').execute(request('drain_node'), ctx);
    expect(result.ok).toBe(false);
    expect(unschedulable(harness)).toBe(true);
    const rollback = await harness.executor('drain_node').rollback(request('drain_node'), ctx);
    expect(rollback).toMatchObject({ ok: true, value: { detail: { uncordoned: false } } });
    expect(unschedulable(harness)).toBe(true);
  });

  it('resumes a crashed drain: keeps what the checkpoint says about the cordon and evicts only the rest', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(nodeFixture({ unschedulable: true }));
    harness.api.remove('Pod', 'bert-pretrain-worker-1', 'ml-training');
    const ctx = createTestContext({
      cordoned: { node: NODE, wasUnschedulable: false },
      evicted: { pods: [BERT] },
    });
    const result = await harness.executor('drain_node').execute(request('drain_node'), ctx);
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { cordonedByUs: true, evicted: [VLLM, BERT].sort() } },
    });
    expect(ctx.saved.map((s) => s.step)).toEqual(['evicted']);
    expect(harness.api.requests.filter((r) => r.includes('/eviction'))).toEqual([
      expect.stringContaining('/namespaces/inference/pods/vllm-llama-7d9c8b6f5-x2k8q/eviction'),
    ]);
  });

  it('waits until evicted pods have terminated before reporting the node drained', async () => {
    const harness = await start({ podGonePollMs: 2_000 });
    seedNode(harness);
    harness.api.gracefulEviction = true;
    harness.onSleep(() => harness.api.finishTerminations());
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result.ok).toBe(true);
    expect(harness.sleeps).toEqual([2_000]);
  });

  it('fails with DRAIN_TIMEOUT and uncordons when an evicted pod never terminates', async () => {
    const harness = await start({ drainTimeoutMs: 10_000, podGonePollMs: 2_000 });
    seedNode(harness);
    harness.api.gracefulEviction = true;
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result).toMatchObject({ ok: false, error: { code: 'DRAIN_TIMEOUT', retryable: true } });
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('retries an eviction that failed with a transient 500 and counts the error', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.failNext('POST', '/api/v1/namespaces/inference/pods/', 500);
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result.ok).toBe(true);
    expect(harness.sleeps).toHaveLength(1);
    expect(
      await metric(harness, 'gpuscope_kube_action_api_errors_total', {
        operation: 'evict_pod',
        status: '500',
      }),
    ).toBe(1);
  });

  it('stops at a forbidden eviction without retrying, and uncordons', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.failNext('POST', '/api/v1/namespaces/inference/pods/', 403);
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', retryable: false } });
    expect(harness.sleeps).toEqual([]);
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('counts a pod deleted by someone else between listing and eviction (404) as evicted', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.onRequest = (r) => {
      if (r.startsWith('POST /api/v1/namespaces/inference/pods/'))
        harness.api.remove('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference');
    };
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result).toMatchObject({ ok: true, value: { detail: { evicted: [VLLM, BERT].sort() } } });
    expect(await metric(harness, 'gpuscope_kube_action_evictions_total', { outcome: 'gone' })).toBe(1);
  });

  it('stops on abort and leaves the node cordoned for the resumed attempt', async () => {
    const harness = await start();
    seedNode(harness, 0);
    const controller = new AbortController();
    const ctx = { ...createTestContext(), signal: controller.signal };
    harness.onSleep(() => controller.abort());
    const result = await harness.executor('drain_node').execute(request('drain_node'), ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'ABORTED', retryable: true } });
    expect(unschedulable(harness)).toBe(true);
  });

  it('rolls back by uncordoning a node this drain cordoned', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(nodeFixture({ unschedulable: true }));
    const ctx = createTestContext({ cordoned: { node: NODE, wasUnschedulable: false } });
    const rollback = await harness.executor('drain_node').rollback(request('drain_node'), ctx);
    expect(rollback).toMatchObject({ ok: true, value: { detail: { uncordoned: true } } });
    expect(unschedulable(harness)).toBeUndefined();
  });
});

describe('drain_node preconditions and dry run', () => {
  it('fails preconditions, not retryable, for a pod annotated safe-to-evict "false", naming annotation and pod', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(
      podOn('pytorchJob', NODE, {
        annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
      }),
    );
    const result = await harness.executor('drain_node').checkPreconditions(request('drain_node'));
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'OPTED_OUT',
        retryable: false,
        message: `pod/${BERT} is annotated cluster-autoscaler.kubernetes.io/safe-to-evict: "false"; gpuscope leaves it alone`,
      },
    });
  });

  it('fails preconditions, not retryable, for a pod no controller owns (its eviction would delete it for good)', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(podOn('bareMig', NODE));
    const result = await harness.executor('drain_node').checkPreconditions(request('drain_node'));
    expect(result).toMatchObject({ ok: false, error: { code: 'UNMANAGED_POD', retryable: false } });
    if (!result.ok) expect(result.error.message).toContain('testing/notebook-mig-jdoe');
    const executed = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(executed).toMatchObject({ ok: false, error: { code: 'UNMANAGED_POD' } });
    expect(harness.api.requests.some((r) => r.includes('/eviction'))).toBe(false);
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('ignores opt-outs on pods a drain skips', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(podOn('daemonset', NODE, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }));
    const result = await harness.executor('drain_node').checkPreconditions(request('drain_node'));
    expect(result).toMatchObject({ ok: true, value: { observed: { evict: [VLLM, BERT].sort() } } });
  });

  it('refuses a drain the execute step meets an opted-out pod in, before evicting anything, and uncordons', async () => {
    const harness = await start();
    seedNode(harness);
    harness.api.put(podOn('deployment', NODE, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }));
    const result = await harness.executor('drain_node').execute(request('drain_node'), createTestContext());
    expect(result).toMatchObject({ ok: false, error: { code: 'OPTED_OUT' } });
    expect(harness.api.requests.some((r) => r.includes('/eviction'))).toBe(false);
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('dry-runs the cordon and every eviction with dryRun=All and reports a budget that refuses now', async () => {
    const harness = await start();
    seedNode(harness, 0);
    const rv = harness.api.resourceVersion();
    const snapshot = await harness.executor('drain_node').checkPreconditions(request('drain_node'));
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const result = await harness.executor('drain_node').dryRun(request('drain_node'), snapshot.value);
    expect(result).toMatchObject({ ok: false, error: { code: 'PDB_BLOCKED', retryable: true } });
    const writes = harness.api.writes.map((w) => w.request);
    expect(writes.length).toBe(3);
    expect(writes.every((w) => w.includes('dryRun=All'))).toBe(true);
    expect(harness.api.resourceVersion()).toBe(rv);
  });

  it('dry-runs a drain a budget allows as ok with the pods it would evict', async () => {
    const harness = await start();
    seedNode(harness);
    const snapshot = await harness.executor('drain_node').checkPreconditions(request('drain_node'));
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const result = await harness.executor('drain_node').dryRun(request('drain_node'), snapshot.value);
    expect(result).toMatchObject({ ok: true, value: { detail: { wouldEvict: [VLLM, BERT].sort() } } });
    expect(harness.api.get('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference')).toBeDefined();
  });
});

describe('cordon_node and uncordon_node', () => {
  it('cordons by merge patch with gpuscope as field manager, after saving that the node was schedulable', async () => {
    const harness = await start();
    harness.api.put(nodeFixture());
    const ctx = createTestContext();
    const result = await harness.executor('cordon_node').execute(request('cordon_node'), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { wasUnschedulable: false, changed: true } } });
    expect(ctx.saved).toEqual([{ step: 'cordoned', data: { node: NODE, wasUnschedulable: false } }]);
    expect(harness.api.writes).toEqual([
      {
        request: `PATCH /api/v1/nodes/${NODE}?fieldManager=gpuscope`,
        contentType: 'application/merge-patch+json',
        body: { spec: { unschedulable: true } },
      },
    ]);
    expect(unschedulable(harness)).toBe(true);
    await harness.executor('cordon_node').rollback(request('cordon_node'), ctx);
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('does not uncordon on rollback a node that was cordoned before gpuscope came', async () => {
    const harness = await start();
    harness.api.put(nodeFixture({ unschedulable: true }));
    const ctx = createTestContext();
    await harness.executor('cordon_node').execute(request('cordon_node'), ctx);
    const rollback = await harness.executor('cordon_node').rollback(request('cordon_node'), ctx);
    expect(rollback).toMatchObject({ ok: true, value: { detail: { uncordoned: false } } });
    expect(unschedulable(harness)).toBe(true);
  });

  it('uncordons, and its rollback cordons again', async () => {
    const harness = await start();
    harness.api.put(nodeFixture({ unschedulable: true }));
    const ctx = createTestContext();
    const result = await harness.executor('uncordon_node').execute(request('uncordon_node'), ctx);
    expect(result.ok).toBe(true);
    expect(harness.api.writes[0]?.body).toEqual({ spec: { unschedulable: null } });
    expect(unschedulable(harness)).toBeUndefined();
    await harness.executor('uncordon_node').rollback(request('uncordon_node'), ctx);
    expect(unschedulable(harness)).toBe(true);
  });

  it('snapshots the node with its resourceVersion and creation time, and dry-runs without changing it', async () => {
    const harness = await start();
    harness.api.put(nodeFixture());
    const snapshot = await harness.executor('cordon_node').checkPreconditions(request('cordon_node'));
    expect(snapshot).toMatchObject({
      ok: true,
      value: {
        observed: {
          node: NODE,
          unschedulable: false,
          ready: 'True',
          creationTimestamp: '2026-11-28T06:02:44.000Z',
        },
      },
    });
    if (!snapshot.ok) return;
    const dry = await harness.executor('cordon_node').dryRun(request('cordon_node'), snapshot.value);
    expect(dry).toEqual({ ok: true, value: { detail: { node: NODE, wouldChange: true } } });
    expect(harness.api.writes[0]?.request).toContain('dryRun=All');
    expect(unschedulable(harness)).toBeUndefined();
  });

  it('fails preconditions for a node annotated karpenter.sh/do-not-disrupt, but lets an uncordon through', async () => {
    const harness = await start();
    harness.api.put(nodeFixture({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }));
    const cordon = await harness.executor('cordon_node').checkPreconditions(request('cordon_node'));
    expect(cordon).toMatchObject({ ok: false, error: { code: 'OPTED_OUT', retryable: false } });
    if (!cordon.ok)
      expect(cordon.error.message).toContain(`node/${NODE} is annotated karpenter.sh/do-not-disrupt`);
    const uncordon = await harness.executor('uncordon_node').checkPreconditions(request('uncordon_node'));
    expect(uncordon.ok).toBe(true);
  });

  it('fails preconditions for gpuscope.io/do-not-disrupt on the node for every node action', async () => {
    const harness = await start();
    harness.api.put(nodeFixture({ annotations: { 'gpuscope.io/do-not-disrupt': 'true' } }));
    for (const kind of ['cordon_node', 'uncordon_node', 'drain_node'] as const) {
      const result = await harness.executor(kind).checkPreconditions(request(kind));
      expect(result).toMatchObject({ ok: false, error: { code: 'OPTED_OUT' } });
    }
  });

  it('fails preconditions, not retryable, for a node that does not exist; a wrong target is refused', async () => {
    const harness = await start();
    const result = await harness.executor('cordon_node').checkPreconditions(request('cordon_node'));
    expect(result).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', retryable: false } });
    if (!result.ok) expect(result.error.message).toContain(`nodes "${NODE}" not found`);
    const wrong: ActionRequest = {
      kind: 'cordon_node',
      target: { type: 'asg', name: 'x', desiredCapacity: 1 },
      reason: 'idle_gpu',
    };
    expect(await harness.executor('cordon_node').checkPreconditions(wrong)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_TARGET' },
    });
  });
});
