import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestContext,
  type KubeActionsHarness,
  readWorkloadFixture,
  startKubeActionsHarness,
} from '../../../test/helpers/kube-actions-harness.js';
import type { ActionRequest, PreconditionSnapshot } from '../types.js';

let h: KubeActionsHarness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function start(): Promise<KubeActionsHarness> {
  h = await startKubeActionsHarness();
  h.api.put(readWorkloadFixture('Deployment'));
  h.api.put(readWorkloadFixture('StatefulSet'));
  return h;
}

function scale(kind: 'Deployment' | 'StatefulSet', name: string, replicas: number): ActionRequest {
  return {
    kind: 'scale_workload',
    target: { type: 'workload', namespace: 'inference', kind, name, replicas },
    reason: 'right_size',
  };
}

const vllm = (replicas: number) => scale('Deployment', 'vllm-llama', replicas);

function replicasOf(harness: KubeActionsHarness, kind: 'Deployment' | 'StatefulSet', name: string): unknown {
  const workload = harness.api.get(kind, name, 'inference');
  if (workload === undefined) throw new Error(`${kind} ${name} is gone`);
  return (workload['spec'] as Record<string, unknown>)['replicas'];
}

async function snapshotOf(harness: KubeActionsHarness, req: ActionRequest): Promise<PreconditionSnapshot> {
  const result = await harness.executor('scale_workload').checkPreconditions(req);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('scale_workload', () => {
  it('snapshots the Scale, PUTs it with that resourceVersion, and rolls back to the saved replica count', async () => {
    const harness = await start();
    const exec = harness.executor('scale_workload');
    const snapshot = await snapshotOf(harness, vllm(1));
    const stored = harness.api.get('Deployment', 'vllm-llama', 'inference') ?? {};
    const rv = (stored['metadata'] as Record<string, unknown>)['resourceVersion'];
    expect(snapshot.observed).toEqual({
      kind: 'Deployment',
      namespace: 'inference',
      name: 'vllm-llama',
      replicas: 2,
      targetReplicas: 1,
      resourceVersion: rv,
    });
    const ctx = createTestContext({}, snapshot);
    const result = await exec.execute(vllm(1), ctx);
    expect(result).toEqual({
      ok: true,
      value: { detail: { workload: 'Deployment/inference/vllm-llama', from: 2, to: 1, changed: true } },
    });
    expect(ctx.saved).toEqual([{ step: 'scaling', data: { previousReplicas: 2, replicas: 1 } }]);
    const put = harness.api.writes.find((w) => w.request.startsWith('PUT'));
    expect(put?.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { resourceVersion: rv },
      spec: { replicas: 1 },
    });
    expect(replicasOf(harness, 'Deployment', 'vllm-llama')).toBe(1);
    const rollback = await exec.rollback(vllm(1), ctx);
    expect(rollback).toMatchObject({ ok: true, value: { detail: { restored: true, replicas: 2 } } });
    expect(replicasOf(harness, 'Deployment', 'vllm-llama')).toBe(2);
  });

  it('fails with CONFLICT, not retryable, when the workload changed after the snapshot (409), changing nothing', async () => {
    const harness = await start();
    const snapshot = await snapshotOf(harness, vllm(1));
    const changed = readWorkloadFixture('Deployment');
    (changed['spec'] as Record<string, unknown>)['replicas'] = 4;
    harness.api.put(changed);
    const ctx = createTestContext({}, snapshot);
    const result = await harness.executor('scale_workload').execute(vllm(1), ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'CONFLICT', retryable: false } });
    if (!result.ok) expect(result.error.message).toContain('the object has been modified');
    expect(replicasOf(harness, 'Deployment', 'vllm-llama')).toBe(4);
  });

  it('reads the Scale itself when the engine passes no snapshot', async () => {
    const harness = await start();
    const result = await harness
      .executor('scale_workload')
      .execute(scale('StatefulSet', 'triton-llm', 5), createTestContext());
    expect(result).toMatchObject({ ok: true, value: { detail: { from: 3, to: 5 } } });
    expect(replicasOf(harness, 'StatefulSet', 'triton-llm')).toBe(5);
  });

  it('resumed after its PUT landed, sees the target reached and PUTs nothing', async () => {
    const harness = await start();
    const ctx = createTestContext({ scaling: { previousReplicas: 3, replicas: 2 } });
    const before = harness.api.writes.length;
    const changed = readWorkloadFixture('Deployment');
    (changed['spec'] as Record<string, unknown>)['replicas'] = 1;
    harness.api.put(changed);
    const result = await harness.executor('scale_workload').execute(vllm(1), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { from: 3, to: 1, changed: false } } });
    expect(harness.api.writes.length).toBe(before);
    expect(ctx.saved).toEqual([]);
  });

  it('rolls back through a conflict by re-reading the Scale', async () => {
    const harness = await start();
    let raced = false;
    harness.api.onRequest = (r) => {
      if (!raced && r.startsWith('PUT')) {
        raced = true;
        harness.api.put(harness.api.get('Deployment', 'vllm-llama', 'inference') ?? {});
      }
    };
    const ctx = createTestContext({ scaling: { previousReplicas: 3, replicas: 2 } });
    const result = await harness.executor('scale_workload').rollback(vllm(2), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { restored: true, replicas: 3 } } });
    expect(harness.api.writes.filter((w) => w.request.startsWith('PUT'))).toHaveLength(2);
    expect(replicasOf(harness, 'Deployment', 'vllm-llama')).toBe(3);
  });

  it('dry-runs the PUT with dryRun=All and leaves the workload alone', async () => {
    const harness = await start();
    const snapshot = await snapshotOf(harness, vllm(0));
    const rv = harness.api.resourceVersion();
    const result = await harness.executor('scale_workload').dryRun(vllm(0), snapshot);
    expect(result).toEqual({
      ok: true,
      value: { detail: { workload: 'Deployment/inference/vllm-llama', from: 2, to: 0 } },
    });
    expect(harness.api.writes[0]?.request).toContain('dryRun=All');
    expect(harness.api.resourceVersion()).toBe(rv);
    expect(replicasOf(harness, 'Deployment', 'vllm-llama')).toBe(2);
  });

  it('refuses scaling down a workload whose pod template says karpenter.sh/do-not-disrupt, but not scaling up', async () => {
    const harness = await start();
    const down = await harness
      .executor('scale_workload')
      .checkPreconditions(scale('StatefulSet', 'triton-llm', 1));
    expect(down).toEqual({
      ok: false,
      error: {
        code: 'OPTED_OUT',
        retryable: false,
        message:
          'StatefulSet/inference/triton-llm pod template is annotated karpenter.sh/do-not-disrupt: "true"; gpuscope leaves it alone',
      },
    });
    const up = await harness
      .executor('scale_workload')
      .checkPreconditions(scale('StatefulSet', 'triton-llm', 4));
    expect(up.ok).toBe(true);
  });

  it('refuses any scale of a workload annotated gpuscope.io/do-not-disrupt', async () => {
    const harness = await start();
    const annotated = readWorkloadFixture('Deployment');
    (annotated['metadata'] as Record<string, unknown>)['annotations'] = {
      'gpuscope.io/do-not-disrupt': 'true',
    };
    harness.api.put(annotated);
    const result = await harness.executor('scale_workload').checkPreconditions(vllm(3));
    expect(result).toMatchObject({ ok: false, error: { code: 'OPTED_OUT' } });
    if (!result.ok)
      expect(result.error.message).toContain(
        'Deployment/inference/vllm-llama is annotated gpuscope.io/do-not-disrupt',
      );
  });

  it('fails preconditions, not retryable, for a missing workload or a negative replica count', async () => {
    const harness = await start();
    const missing = await harness
      .executor('scale_workload')
      .checkPreconditions(scale('Deployment', 'nope', 1));
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', retryable: false } });
    const negative = await harness.executor('scale_workload').checkPreconditions(vllm(-1));
    expect(negative).toMatchObject({ ok: false, error: { code: 'INVALID_TARGET', retryable: false } });
  });

  it('restores nothing when execute never saved a checkpoint', async () => {
    const harness = await start();
    const result = await harness.executor('scale_workload').rollback(vllm(1), createTestContext());
    expect(result).toEqual({
      ok: true,
      value: { detail: { workload: 'Deployment/inference/vllm-llama', restored: false } },
    });
    expect(harness.api.writes).toEqual([]);
  });
});
