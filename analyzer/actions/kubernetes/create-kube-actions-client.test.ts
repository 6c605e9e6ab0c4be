import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeKubeActionsApi,
  startFakeKubeActionsApi,
} from '../../../test/helpers/fake-kube-actions-api.js';
import { fakeKubeConfig } from '../../../test/helpers/fake-kube-api.js';
import { NODE, nodeFixture, podOn, readWorkloadFixture } from '../../../test/helpers/kube-actions-harness.js';
import { createKubeActionsClient } from './create-kube-actions-client.js';
import { describeKubeError, isRetryableKubeError, toKubeApiError } from './kube-api-error.js';

let api: FakeKubeActionsApi | null = null;

afterEach(async () => {
  await api?.close();
  api = null;
});

async function start() {
  api = await startFakeKubeActionsApi();
  return { server: api, client: createKubeActionsClient(fakeKubeConfig(api.url)) };
}

describe('createKubeActionsClient', () => {
  it("reads a refused eviction as status 429, reason TooManyRequests and the budget's cause", async () => {
    const { server, client } = await start();
    server.put(podOn('deployment', NODE));
    server.put(readWorkloadFixture('PodDisruptionBudget'));
    const result = await client.evictPod('inference', 'vllm-llama-7d9c8b6f5-x2k8q');
    expect(result).toEqual({
      ok: false,
      error: {
        status: 429,
        reason: 'TooManyRequests',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        causes: ['The disruption budget vllm-llama needs 2 healthy pods and has 2 currently'],
        retryAfterSeconds: null,
      },
    });
    expect(server.writes[0]?.body).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'vllm-llama-7d9c8b6f5-x2k8q', namespace: 'inference' },
    });
  });

  it('reads a node, its providerID and Ready condition, and lists the pods bound to it by field selector', async () => {
    const { server, client } = await start();
    server.put(nodeFixture());
    server.put(podOn('daemonset', NODE));
    server.put(podOn('bareMig', 'another-node'));
    const node = await client.getNode(NODE);
    expect(node).toMatchObject({
      ok: true,
      value: { providerId: 'aws:///us-east-1a/i-0a1b2c3d4e5f67890', ready: 'True', unschedulable: false },
    });
    const pods = await client.listPodsOnNode(NODE);
    expect(pods).toMatchObject({
      ok: true,
      value: [{ name: 'nvidia-dcgm-exporter-7kq2m', controllerKind: 'DaemonSet', nodeName: NODE }],
    });
    expect(server.requests).toContain(`GET /api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}`);
  });

  it('sends patches as JSON merge patches, and dryRun=All only when asked', async () => {
    const { server, client } = await start();
    server.put(readWorkloadFixture('Job'));
    await client.patchJob('ml-training', 'finetune-lora-v2', { spec: { suspend: true } }, { dryRun: true });
    expect(server.writes.map((w) => [w.request, w.contentType])).toEqual([
      [
        'PATCH /apis/batch/v1/namespaces/ml-training/jobs/finetune-lora-v2?dryRun=All&fieldManager=gpuscope',
        'application/merge-patch+json',
      ],
    ]);
  });

  it('reports a StatefulSet Scale with its resourceVersion and replaces it', async () => {
    const { server, client } = await start();
    server.put(readWorkloadFixture('StatefulSet'));
    const ref = { kind: 'StatefulSet' as const, namespace: 'inference', name: 'triton-llm' };
    const scale = await client.getScale(ref);
    if (!scale.ok) throw new Error(scale.error.message);
    expect(scale.value.replicas).toBe(3);
    const put = await client.replaceScale(ref, { replicas: 1, resourceVersion: scale.value.resourceVersion });
    expect(put).toMatchObject({ ok: true, value: { replicas: 1 } });
    expect(Number(put.ok && put.value.resourceVersion)).toBeGreaterThan(Number(scale.value.resourceVersion));
  });

  it('turns a refused connection into a retryable error without a status', async () => {
    const { server, client } = await start();
    await server.close();
    api = null;
    const result = await client.getNode(NODE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.status).toBeNull();
    expect(isRetryableKubeError(result.error)).toBe(true);
  });
});

describe('toKubeApiError', () => {
  it('takes the wait from details.retryAfterSeconds, else from the Retry-After header', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'TooManyRequests',
      message: 'slow down',
      details: { retryAfterSeconds: 10 },
    });
    expect(toKubeApiError({ code: 429, body, headers: {} }).retryAfterSeconds).toBe(10);
    const bare = JSON.stringify({ kind: 'Status', message: 'slow down' });
    expect(toKubeApiError({ code: 429, body: bare, headers: { 'retry-after': '3' } }).retryAfterSeconds).toBe(
      3,
    );
  });

  it('describes an error with its message, causes, status and reason', () => {
    const error = {
      status: 429,
      reason: 'TooManyRequests',
      message: 'no',
      causes: ['budget x'],
      retryAfterSeconds: null,
    };
    expect(describeKubeError(error)).toBe('no: budget x (429 TooManyRequests)');
    expect(isRetryableKubeError({ ...error, status: 409 })).toBe(false);
  });
});
