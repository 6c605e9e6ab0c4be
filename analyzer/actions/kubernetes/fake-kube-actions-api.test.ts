import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeKubeActionsApi,
  startFakeKubeActionsApi,
} from '../../../test/helpers/fake-kube-actions-api.js';
import { readKubeFixture } from '../../../test/helpers/fake-kube-api.js';
import { NODE, nodeFixture, podOn, readWorkloadFixture } from '../../../test/helpers/kube-actions-harness.js';
import { readJson } from '../../../test/helpers/read-json.js';

let api: FakeKubeActionsApi | null = null;

afterEach(async () => {
  await api?.close();
  api = null;
});

async function start(): Promise<FakeKubeActionsApi> {
  api = await startFakeKubeActionsApi();
  return api;
}

const VLLM_POD = 'vllm-llama-7d9c8b6f5-x2k8q';
const evictionPath = (name: string) => `/api/v1/namespaces/inference/pods/${name}/eviction`;
const scalePath = '/apis/apps/v1/namespaces/inference/deployments/vllm-llama/scale';

function send(
  server: FakeKubeActionsApi,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': type },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function eviction(name: string) {
  return { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'inference' } };
}

describe('fake Kubernetes actions API: eviction', () => {
  it('answers 429 with the recorded TooManyRequests Status while the PDB allows no disruption', async () => {
    const server = await start();
    server.put(podOn('deployment', NODE));
    server.put(readWorkloadFixture('PodDisruptionBudget'));
    const res = await send(server, 'POST', evictionPath(VLLM_POD), eviction(VLLM_POD));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual(readKubeFixture('status_eviction_pdb_429.json'));
    expect(server.get('Pod', VLLM_POD, 'inference')).toBeDefined();
  });

  it('evicts when the budget allows: 201 Success, the pod deleted, the budget decremented', async () => {
    const server = await start();
    server.put(podOn('deployment', NODE));
    server.put(readWorkloadFixture('PodDisruptionBudget'));
    server.setDisruptionsAllowed('inference', 'vllm-llama', 1);
    const res = await send(server, 'POST', evictionPath(VLLM_POD), eviction(VLLM_POD));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(readKubeFixture('status_eviction_201.json'));
    expect(server.get('Pod', VLLM_POD, 'inference')).toBeUndefined();
    const pdb = server.get('PodDisruptionBudget', 'vllm-llama', 'inference');
    expect(pdb?.['status']).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { [VLLM_POD]: expect.any(String) },
    });
  });

  it('deletes a Pending pod without consulting the budget, as the eviction handler does', async () => {
    const server = await start();
    server.put(podOn('deployment', NODE, { phase: 'Pending' }));
    server.put(readWorkloadFixture('PodDisruptionBudget'));
    const res = await send(server, 'POST', evictionPath(VLLM_POD), eviction(VLLM_POD));
    expect(res.status).toBe(201);
  });

  it("refuses a pod covered by two budgets with the handler's code-500 Status", async () => {
    const server = await start();
    server.put(podOn('deployment', NODE));
    const pdb = readWorkloadFixture('PodDisruptionBudget');
    server.put(pdb);
    server.put({ ...pdb, metadata: { name: 'second', namespace: 'inference' } });
    const res = await send(server, 'POST', evictionPath(VLLM_POD), eviction(VLLM_POD));
    expect(res.status).toBe(500);
    expect(await readJson(res)).toMatchObject({ status: 'Failure', code: 500 });
  });

  it('answers 404 NotFound for a pod that is gone and 400 for a name that differs from the URL', async () => {
    const server = await start();
    const gone = await send(server, 'POST', evictionPath('gone-pod'), eviction('gone-pod'));
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ reason: 'NotFound', message: 'pods "gone-pod" not found' });
    server.put(podOn('deployment', NODE));
    const mismatch = await send(server, 'POST', evictionPath(VLLM_POD), eviction('other'));
    expect(mismatch.status).toBe(400);
  });

  it('keeps a gracefully evicted pod Terminating until its grace period ends', async () => {
    const server = await start();
    server.gracefulEviction = true;
    server.put(podOn('deployment', NODE));
    await send(server, 'POST', evictionPath(VLLM_POD), eviction(VLLM_POD));
    const pod = server.get('Pod', VLLM_POD, 'inference');
    expect(pod?.['metadata']).toHaveProperty('deletionTimestamp');
    expect((pod?.['metadata'] as Record<string, unknown> | undefined)?.['deletionTimestamp']).toEqual(
      expect.any(String),
    );
    expect(server.finishTerminations()).toEqual([`inference/${VLLM_POD}`]);
    expect(server.get('Pod', VLLM_POD, 'inference')).toBeUndefined();
  });
});

describe('fake Kubernetes actions API: writes', () => {
  it('answers a PUT of a Scale with a stale resourceVersion with the recorded 409 Conflict', async () => {
    const server = await start();
    const stored = server.put(readWorkloadFixture('Deployment'));
    const staleRv = (stored['metadata'] as Record<string, unknown>)['resourceVersion'];
    server.put(readWorkloadFixture('Deployment'));
    const body = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'vllm-llama', resourceVersion: staleRv },
      spec: { replicas: 0 },
    };
    const res = await send(server, 'PUT', scalePath, body);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual(readKubeFixture('status_scale_conflict_409.json'));
    expect(server.get('Deployment', 'vllm-llama', 'inference')?.['spec']).toMatchObject({ replicas: 2 });
  });

  it('scales through the Scale subresource and bumps the resourceVersion it reports', async () => {
    const server = await start();
    server.put(readWorkloadFixture('Deployment'));
    const before = await readJson(await fetch(`${server.url}${scalePath}`));
    expect(before).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { selector: 'app=vllm-llama' },
    });
    const body = { ...before, spec: { replicas: 1 } };
    const after = await readJson(await send(server, 'PUT', scalePath, body));
    expect(after.spec.replicas).toBe(1);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
  });

  it('changes nothing and keeps the resourceVersion on dryRun=All for every mutating verb', async () => {
    const server = await start();
    server.put(nodeFixture());
    server.put(podOn('deployment', NODE));
    server.put(readWorkloadFixture('Deployment'));
    server.put(readWorkloadFixture('Job'));
    const rv = server.resourceVersion();
    const merge = 'application/merge-patch+json';
    const answers = await Promise.all([
      send(server, 'PATCH', `/api/v1/nodes/${NODE}?dryRun=All`, { spec: { unschedulable: true } }, merge),
      send(server, 'POST', `${evictionPath(VLLM_POD)}?dryRun=All`, eviction(VLLM_POD)),
      send(server, 'PUT', `${scalePath}?dryRun=All`, {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'vllm-llama' },
        spec: { replicas: 0 },
      }),
      send(
        server,
        'PATCH',
        '/apis/batch/v1/namespaces/ml-training/jobs/finetune-lora-v2?dryRun=All',
        { spec: { suspend: true } },
        merge,
      ),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 201, 200, 200]);
    expect((await readJson(answers[0] as Response)).spec.unschedulable).toBe(true);
    expect(server.resourceVersion()).toBe(rv);
    expect(server.get('Node', NODE)?.['spec']).not.toHaveProperty('unschedulable');
    expect(server.get('Pod', VLLM_POD, 'inference')).toBeDefined();
    expect(server.get('Deployment', 'vllm-llama', 'inference')?.['spec']).toMatchObject({ replicas: 2 });
    expect(server.get('Job', 'finetune-lora-v2', 'ml-training')?.['spec']).toMatchObject({ suspend: false });
  });

  it('applies a merge patch (null removes a key), refuses other patch types with 415, a bad dryRun with 400', async () => {
    const server = await start();
    server.put(nodeFixture({ unschedulable: true }));
    const path = `/api/v1/nodes/${NODE}`;
    const patched = await send(
      server,
      'PATCH',
      path,
      { spec: { unschedulable: null } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    expect(server.get('Node', NODE)?.['spec']).toEqual({
      providerID: 'aws:///us-east-1a/i-0a1b2c3d4e5f67890',
    });
    const jsonPatch = [{ op: 'replace', path: '/spec/unschedulable', value: true }];
    expect((await send(server, 'PATCH', path, jsonPatch, 'application/json-patch+json')).status).toBe(415);
    const badDryRun = await send(server, 'PATCH', `${path}?dryRun=yes`, {}, 'application/merge-patch+json');
    expect(badDryRun.status).toBe(400);
  });

  it('answers 409 to a patch carrying a stale resourceVersion and 422 to a non-boolean suspend', async () => {
    const server = await start();
    server.put(readWorkloadFixture('Job'));
    const path = '/apis/batch/v1/namespaces/ml-training/jobs/finetune-lora-v2';
    const merge = 'application/merge-patch+json';
    const stale = await send(
      server,
      'PATCH',
      path,
      { metadata: { resourceVersion: '1' }, spec: { suspend: true } },
      merge,
    );
    expect(stale.status).toBe(409);
    const invalid = await send(server, 'PATCH', path, { spec: { suspend: 'yes' } }, merge);
    expect(invalid.status).toBe(422);
    expect(await readJson(invalid)).toMatchObject({
      reason: 'Invalid',
      details: { causes: [{ field: 'spec.suspend' }] },
    });
  });

  it('sets the Suspended condition when a Job is suspended, as the Job controller does', async () => {
    const server = await start();
    server.put(readWorkloadFixture('Job'));
    const path = '/apis/batch/v1/namespaces/ml-training/jobs/finetune-lora-v2';
    const job = await readJson(
      await send(server, 'PATCH', path, { spec: { suspend: true } }, 'application/merge-patch+json'),
    );
    expect(job.status.conditions).toEqual([
      expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended' }),
    ]);
  });
});

describe('fake Kubernetes actions API: other patch types', () => {
  it('takes a strategic merge patch of maps and refuses its list merges and directives rather than guess', async () => {
    const server = await start();
    server.put(nodeFixture());
    const path = `/api/v1/nodes/${NODE}`;
    const smp = 'application/strategic-merge-patch+json';
    expect((await send(server, 'PATCH', path, { spec: { unschedulable: true } }, smp)).status).toBe(200);
    expect(server.get('Node', NODE)?.['spec']).toMatchObject({ unschedulable: true });
    const taints = { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    expect((await send(server, 'PATCH', path, taints, smp)).status).toBe(400);
    expect((await send(server, 'PATCH', path, { $patch: 'replace' }, smp)).status).toBe(400);
  });

  it('patches a Scale subresource and refuses a negative replica count with 422', async () => {
    const server = await start();
    server.put(readWorkloadFixture('StatefulSet'));
    const path = '/apis/apps/v1/namespaces/inference/statefulsets/triton-llm/scale';
    const merge = 'application/merge-patch+json';
    const scaled = await readJson(await send(server, 'PATCH', path, { spec: { replicas: 1 } }, merge));
    expect(scaled).toMatchObject({ kind: 'Scale', spec: { replicas: 1 }, status: { replicas: 1 } });
    const negative = await send(server, 'PATCH', path, { spec: { replicas: -1 } }, merge);
    expect(negative.status).toBe(422);
    expect(server.get('StatefulSet', 'triton-llm', 'inference')?.['spec']).toMatchObject({ replicas: 1 });
  });
});

describe('fake Kubernetes actions API: lists', () => {
  it('lists only the pods bound to a node with fieldSelector=spec.nodeName and refuses other selectors', async () => {
    const server = await start();
    server.put(podOn('deployment', NODE));
    server.put(podOn('bareMig', 'elsewhere'));
    const list = await readJson(
      await fetch(`${server.url}/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}`),
    );
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([VLLM_POD]);
    expect((await fetch(`${server.url}/api/v1/pods?fieldSelector=status.phase%3DRunning`)).status).toBe(400);
  });
});
