import { afterEach, describe, expect, it } from 'vitest';
import {
  INSTANCE_ID,
  type KubeActionsHarness,
  NODE,
  nodeFixture,
  podOn,
  readWorkloadFixture,
  startKubeActionsHarness,
} from '../../../test/helpers/kube-actions-harness.js';
import { parseAwsInstanceId } from './node-operations.js';

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

function notReadyNode(): Record<string, unknown> {
  const node = nodeFixture();
  const status = node['status'] as { conditions: { type: string; status: string }[] };
  for (const c of status.conditions) if (c.type === 'Ready') c.status = 'False';
  return node;
}

const signal = () => new AbortController().signal;

describe('parseAwsInstanceId', () => {
  it('reads the instance id from an AWS providerID with or without a zone and nothing from other providers', () => {
    expect(parseAwsInstanceId('aws:///us-east-1a/i-0a1b2c3d4e5f67890')).toBe('i-0a1b2c3d4e5f67890');
    expect(parseAwsInstanceId('aws:///i-0abc')).toBe('i-0abc');
    expect(parseAwsInstanceId('gce://project/zone/i-0abc')).toBeNull();
    expect(parseAwsInstanceId('aws:///us-east-1a/fargate-ip-10-0-0-1')).toBeNull();
    expect(parseAwsInstanceId(null)).toBeNull();
  });
});

describe('findNodeByInstanceId', () => {
  it('finds the node whose spec.providerID names the instance, and nothing for an unknown instance', async () => {
    const harness = await start();
    harness.api.put(nodeFixture());
    const ops = harness.actions.nodeOperations;
    expect(await ops.findNodeByInstanceId(INSTANCE_ID)).toBe(NODE);
    expect(await ops.findNodeByInstanceId('i-0fffffffffffffff0')).toBeUndefined();
  });

  it('throws naming the instance when the API cannot list nodes', async () => {
    const harness = await start();
    harness.api.failNext('GET', '/api/v1/nodes', 503);
    await expect(harness.actions.nodeOperations.findNodeByInstanceId(INSTANCE_ID)).rejects.toThrow(
      `list nodes for instance ${INSTANCE_ID}: injected fault (503)`,
    );
  });
});

describe('waitForNodeReady', () => {
  it('polls until the instance registers a node whose Ready condition is True', async () => {
    const harness = await start({ nodeReadyPollMs: 5_000 });
    let polls = 0;
    harness.onSleep(() => {
      polls += 1;
      if (polls === 2) harness.api.put(notReadyNode());
      if (polls === 3) harness.api.put(nodeFixture());
    });
    const result = await harness.actions.nodeOperations.waitForNodeReady(INSTANCE_ID, 60_000, signal());
    expect(result).toEqual({ ok: true, value: { node: NODE } });
    expect(harness.sleeps).toEqual([5_000, 5_000, 5_000]);
  });

  it('fails retryably at the timeout, saying what it last saw', async () => {
    const harness = await start({ nodeReadyPollMs: 5_000 });
    harness.api.put(notReadyNode());
    const result = await harness.actions.nodeOperations.waitForNodeReady(INSTANCE_ID, 12_000, signal());
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'NODE_NOT_READY',
        retryable: true,
        message: `instance ${INSTANCE_ID} has no Ready node after 12 s (node ${NODE} Ready=False)`,
      },
    });
    expect(harness.sleeps).toEqual([5_000, 5_000, 2_000]);
  });

  it('keeps polling through a failed node list', async () => {
    const harness = await start();
    harness.api.put(nodeFixture());
    harness.api.failNext('GET', '/api/v1/nodes', 500);
    const result = await harness.actions.nodeOperations.waitForNodeReady(INSTANCE_ID, 60_000, signal());
    expect(result.ok).toBe(true);
    expect(harness.sleeps).toHaveLength(1);
  });
});

describe('cordon, uncordon and drain', () => {
  it('reports whether a cordon or uncordon changed anything', async () => {
    const harness = await start();
    harness.api.put(nodeFixture());
    const ops = harness.actions.nodeOperations;
    expect(await ops.cordon(NODE)).toMatchObject({
      ok: true,
      value: { detail: { changed: true, wasUnschedulable: false } },
    });
    expect(await ops.cordon(NODE)).toMatchObject({ ok: true, value: { detail: { changed: false } } });
    expect(await ops.uncordon(NODE)).toMatchObject({
      ok: true,
      value: { detail: { changed: true, wasUnschedulable: true } },
    });
    expect(harness.api.writes).toHaveLength(2);
  });

  it('drains a node that goes away anyway: an opted-out pod stays (reported skipped), an unowned pod is evicted', async () => {
    const harness = await start();
    harness.api.put(nodeFixture({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }));
    harness.api.put(podOn('deployment', NODE, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }));
    harness.api.put(podOn('pytorchJob', NODE));
    harness.api.put(podOn('daemonset', NODE));
    harness.api.put(podOn('bareMig', NODE));
    harness.api.put(readWorkloadFixture('PodDisruptionBudget'));
    const result = await harness.actions.nodeOperations.drain(NODE, { timeoutMs: 60_000, signal: signal() });
    expect(result).toEqual({
      ok: true,
      value: {
        evicted: ['ml-training/bert-pretrain-worker-1', 'testing/notebook-mig-jdoe'],
        skipped: [
          { pod: 'gpu-operator/nvidia-dcgm-exporter-7kq2m', reason: 'daemonset' },
          { pod: 'inference/vllm-llama-7d9c8b6f5-x2k8q', reason: 'opted_out' },
        ],
      },
    });
    expect(harness.api.get('Pod', 'vllm-llama-7d9c8b6f5-x2k8q', 'inference')).toBeDefined();
  });

  it('fails a drain of a node that does not exist, not retryable', async () => {
    const harness = await start();
    const result = await harness.actions.nodeOperations.drain('gone-node', {
      timeoutMs: 1_000,
      signal: signal(),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', retryable: false } });
  });
});
