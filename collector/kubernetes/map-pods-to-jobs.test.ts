import { describe, expect, it } from 'vitest';
import { POD_FIXTURES, readKubeFixture } from '../../test/helpers/fake-kube-api.js';
import type { JobRecord } from '../jobs/types.js';
import { type MapPodsOptions, mapPodsToJobs, type ObservedPod } from './map-pods-to-jobs.js';
import { type OwnerResolver, resolveOwnerChain } from './owner-chain.js';
import { parsePodResources } from './parse-pod-resources.js';
import { normalizeOwnerObject, normalizePod } from './pod.js';

type Raw = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

const owners = readKubeFixture<Raw[]>('owners.json');
const resolver: OwnerResolver = {
  async getOwner(namespace, ref) {
    const raw = owners.find(
      (o) =>
        o['kind'] === ref.kind && o.metadata['name'] === ref.name && o.metadata['namespace'] === namespace,
    );
    const object = raw === undefined ? null : normalizeOwnerObject(raw);
    return object === null
      ? { found: false, reason: 'gone', message: 'is gone (404)' }
      : { found: true, object };
  },
};

async function observe(raw: unknown, deletedAt: Date | null = null): Promise<ObservedPod> {
  const pod = normalizePod(raw);
  if (!pod.ok) throw new Error(pod.error);
  return {
    pod: pod.value,
    deletedAt,
    chain: await resolveOwnerChain(pod.value.namespace, pod.value.ownerReferences, resolver),
  };
}

const options: MapPodsOptions = { cluster: 'gpu-east', teamLabel: 'team', projectLabel: 'project' };

function only(jobs: JobRecord[]): JobRecord {
  expect(jobs).toHaveLength(1);
  return jobs[0]!;
}

describe('mapPodsToJobs', () => {
  it('maps the vLLM pod to its Deployment with team, project, GPUs, node and owner chain', async () => {
    const { jobs, issues } = mapPodsToJobs(
      [await observe(readKubeFixture(POD_FIXTURES.deployment))],
      options,
    );
    expect(issues).toEqual([]);
    expect(only(jobs)).toMatchObject({
      source: 'kubernetes',
      cluster: 'gpu-east',
      jobId: 'inference/Deployment/vllm-llama',
      name: 'vllm-llama',
      namespace: 'inference',
      team: 'search',
      project: 'assistant',
      state: 'running',
      rawState: 'Running',
      gpusRequested: 2,
      gpusAllocated: 2,
      gpuType: 'NVIDIA-H100-80GB-HBM3',
      nodes: ['gpu-node-a07'],
      startedAt: new Date('2026-11-30T08:14:03Z'),
      endedAt: null,
      owners: [
        { kind: 'ReplicaSet', name: 'vllm-llama-7d9c8b6f5', apiVersion: 'apps/v1' },
        { kind: 'Deployment', name: 'vllm-llama', apiVersion: 'apps/v1' },
      ],
    });
    expect(only(jobs).allocations).toEqual([
      { node: 'gpu-node-a07', gpuIndex: null, gpuUuid: null, migProfile: null },
      { node: 'gpu-node-a07', gpuIndex: null, gpuUuid: null, migProfile: null },
    ]);
  });

  it('makes each CronJob run its own job and takes the project from the CronJob’s label', async () => {
    const job = only(mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.cronJob))], options).jobs);
    expect(job).toMatchObject({
      jobId: 'research/Job/nightly-eval-29410560',
      state: 'completed',
      rawState: 'Succeeded',
      team: 'research-eval',
      project: 'evals',
      gpusAllocated: 1,
      endedAt: new Date('2026-12-01T02:47:30Z'),
    });
    expect(job.owners.map((o) => o.kind)).toEqual(['Job', 'CronJob']);
  });

  it('groups the PyTorchJob’s pods into one job with all their GPUs and nodes', async () => {
    const worker = readKubeFixture<Raw>(POD_FIXTURES.pytorchJob);
    const master = readKubeFixture<Raw>(POD_FIXTURES.pytorchJob);
    master.metadata['name'] = 'bert-pretrain-master-0';
    master.metadata['uid'] = 'master-uid';
    master.metadata['creationTimestamp'] = '2026-12-01T09:30:10Z';
    master.spec['nodeName'] = 'gpu-node-c10';
    const job = only(mapPodsToJobs([await observe(worker), await observe(master)], options).jobs);
    expect(job).toMatchObject({
      jobId: 'ml-training/PyTorchJob.kubeflow.org/bert-pretrain',
      user: 'alice',
      team: 'nlp',
      project: 'bert-v3',
      state: 'running',
      gpusRequested: 16,
      gpusAllocated: 16,
      nodes: ['gpu-node-c10', 'gpu-node-c11'],
      submittedAt: new Date('2026-12-01T09:30:10Z'),
    });
    expect(job.pods).toEqual([
      'ml-training/bert-pretrain-master-0',
      `ml-training/${worker.metadata['name']}`,
    ]);
  });

  it('keys a bare MIG pod by namespace/pod and records its MIG profile', async () => {
    const job = only(mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.bareMig))], options).jobs);
    expect(job).toMatchObject({
      jobId: 'testing/notebook-mig-jdoe',
      name: 'notebook-mig-jdoe',
      user: 'jdoe',
      owners: [],
    });
    expect(job.gpuType).toBe('mig-1g.10gb');
    expect(job.allocations).toEqual([
      { node: 'gpu-node-m01', gpuIndex: null, gpuUuid: null, migProfile: '1g.10gb' },
    ]);
  });

  it('reports an OOMKilled pod whose Job is gone as out_of_memory, with a flagged owner issue', async () => {
    const { jobs, issues } = mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.oomKilled))], options);
    expect(only(jobs)).toMatchObject({
      jobId: 'ml-training/Job/finetune-lora',
      state: 'out_of_memory',
      rawState: 'Failed/OOMKilled',
      endedAt: new Date('2026-12-01T07:41:11Z'),
      gpusAllocated: 4,
      owners: [{ kind: 'Job', name: 'finetune-lora' }],
    });
    expect(issues).toEqual([
      {
        source: 'kubernetes pods',
        line: null,
        field: 'pod ml-training/finetune-lora-q8w2z',
        jobId: 'ml-training/Job/finetune-lora',
        message: 'owner Job/finetune-lora: is gone (404)',
      },
    ]);
  });

  it('fills GPU UUIDs from kubelet pod-resources devices when a site provides them', async () => {
    const { devices } = parsePodResources({
      pod_resources: [
        {
          name: 'vllm-llama-7d9c8b6f5-x2k8q',
          namespace: 'inference',
          containers: [
            {
              name: 'vllm',
              devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ['GPU-aaa', 'GPU-bbb'] }],
            },
          ],
        },
      ],
    });
    const job = only(
      mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.deployment))], { ...options, devices }).jobs,
    );
    expect(job.allocations.map((a) => a.gpuUuid)).toEqual(['GPU-aaa', 'GPU-bbb']);
  });

  it('marks a pod deleted while running as cancelled, ended when the deletion was seen', async () => {
    const deletedAt = new Date('2026-12-01T12:00:00Z');
    const job = only(
      mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.bareMig), deletedAt)], options).jobs,
    );
    expect(job).toMatchObject({
      state: 'cancelled',
      rawState: 'Running (deleted)',
      endedAt: deletedAt,
      gpusAllocated: 1,
    });
  });

  it('keeps a group running while one pod runs; live pods count as requested, bound ones as allocated', async () => {
    const done = readKubeFixture<Raw>(POD_FIXTURES.oomKilled);
    const running = readKubeFixture<Raw>(POD_FIXTURES.oomKilled);
    running.metadata['name'] = 'finetune-lora-retry';
    running.metadata['uid'] = 'retry-uid';
    running['status'] = { phase: 'Running', startTime: '2026-12-01T07:42:00Z' };
    const waiting = readKubeFixture<Raw>(POD_FIXTURES.oomKilled);
    waiting.metadata['name'] = 'finetune-lora-extra';
    waiting.metadata['uid'] = 'extra-uid';
    waiting.spec['nodeName'] = undefined;
    waiting['status'] = { phase: 'Pending' };
    const job = only(
      mapPodsToJobs([await observe(done), await observe(running), await observe(waiting)], options).jobs,
    );
    expect(job).toMatchObject({
      state: 'running',
      endedAt: null,
      gpusRequested: 8,
      gpusAllocated: 4,
      nodes: ['gpu-node-b05'],
    });
    expect(job.rawState).toBe('Pending:1,Failed/OOMKilled:1,Running:1');
  });

  it('falls back to the namespace’s labels for team and project', async () => {
    const namespaceLabels = new Map([['testing', { team: 'platform', project: 'sandbox' }]]);
    const job = only(
      mapPodsToJobs([await observe(readKubeFixture(POD_FIXTURES.bareMig))], { ...options, namespaceLabels })
        .jobs,
    );
    expect(job).toMatchObject({ team: 'platform', project: 'sandbox' });
  });

  it('drops pods without GPUs', async () => {
    const raw = readKubeFixture<Raw>(POD_FIXTURES.bareMig);
    raw.spec['containers'] = [{ name: 'cpu', resources: { limits: { cpu: '1' } } }];
    expect(mapPodsToJobs([await observe(raw)], options).jobs).toEqual([]);
  });
});
