import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import type { KubernetesCollectorConfig } from '../../core/config.js';
import {
  type FakeKubeApi,
  fakeKubeConfig,
  POD_FIXTURES,
  readKubeFixture,
  startFakeKubeApi,
} from '../../test/helpers/fake-kube-api.js';
import { createKubeClient } from './create-kube-client.js';
import {
  createKubernetesSource,
  createKubernetesSourceWithClient,
  type KubernetesSource,
  loadKubeConfig,
} from './create-kubernetes-source.js';
import type { KubeClient } from './kube-client.js';

const config: KubernetesCollectorConfig = {
  enabled: true,
  teamLabel: 'team',
  userLabels: ['gpuscope.io/user', 'user'],
  projectLabel: 'project',
  namespaces: [],
};
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeCluster(): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi();
  cleanups.push(() => api.close());
  for (const name of Object.values(POD_FIXTURES)) api.addPod(readKubeFixture(name));
  for (const owner of readKubeFixture<Record<string, unknown>[]>('owners.json')) api.putObject(owner);
  api.putNamespace('testing', { team: 'platform', project: 'sandbox' });
  return api;
}

async function started(source: KubernetesSource): Promise<KubernetesSource> {
  cleanups.push(() => source.stop());
  source.start();
  await source.waitForSync();
  return source;
}

function mustCreate(...args: Parameters<typeof createKubernetesSource>): KubernetesSource {
  const source = createKubernetesSource(...args);
  if (!source.ok) throw new Error(source.error);
  return source.value;
}

describe('createKubernetesSource', () => {
  it('takes the user from the configured label keys, in order', async () => {
    const api = await fakeCluster();
    const custom = { ...config, userLabels: ['user'] };
    const source = await started(mustCreate(custom, { cluster: 'lab' }, fakeKubeConfig(api.url)));
    const users = Object.fromEntries((await source.listJobs()).jobs.map((j) => [j.jobId, j.user]));
    // only the bare MIG pod carries `user`; `gpuscope.io/user` on the PyTorchJob worker is not a key asked for
    expect(users['testing/notebook-mig-jdoe']).toBe('jdoe');
    expect(users['ml-training/PyTorchJob.kubeflow.org/bert-pretrain']).toBeNull();
  });

  it('reads the fixture cluster through a KubeConfig into one record per job, owner chains included', async () => {
    const api = await fakeCluster();
    const source = await started(mustCreate(config, { cluster: 'lab' }, fakeKubeConfig(api.url)));
    const { jobs, issues } = await source.listJobs();
    expect(jobs.map((j) => `${j.jobId} ${j.state} ${j.gpusAllocated} ${j.team}`).sort()).toEqual([
      'inference/Deployment/vllm-llama running 2 search',
      'ml-training/Job/finetune-lora out_of_memory 4 nlp',
      'ml-training/PyTorchJob.kubeflow.org/bert-pretrain running 8 nlp',
      'research/Job/nightly-eval-29410560 completed 1 research-eval',
      'testing/notebook-mig-jdoe running 1 platform',
    ]);
    expect(jobs.every((j) => j.cluster === 'lab' && j.source === 'kubernetes')).toBe(true);
    expect(api.requests).toContain(
      'GET /apis/kubeflow.org/v1/namespaces/ml-training/pytorchjobs/bert-pretrain',
    );
    expect(api.requests).toContain('GET /apis/batch/v1/namespaces/research/cronjobs/nightly-eval');
    expect(issues.filter((i) => i.jobId !== null)).toEqual([
      {
        source: 'kubernetes pods',
        line: null,
        field: 'pod ml-training/finetune-lora-q8w2z',
        jobId: 'ml-training/Job/finetune-lora',
        message: 'owner Job/finetune-lora: is gone (404)',
      },
    ]);
  });

  it('flags, and does not drop, a running job whose owner is deleted later', async () => {
    const api = await fakeCluster();
    const source = await started(mustCreate(config, { cluster: 'lab' }, fakeKubeConfig(api.url)));
    api.deleteObject('kubeflow.org/v1', 'PyTorchJob', 'ml-training', 'bert-pretrain');
    const pod = readKubeFixture<{ metadata: { ownerReferences: { uid: string }[] } }>(
      POD_FIXTURES.pytorchJob,
    );
    // The operator re-created the PyTorchJob under the same name: the pod still points at the old uid.
    api.putObject({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'bert-pretrain', namespace: 'ml-training', uid: 'new-uid' },
    });
    expect(pod.metadata.ownerReferences[0]?.uid).not.toBe('new-uid');
    const { jobs, issues } = await source.listJobs();
    expect(jobs.find((j) => j.name === 'bert-pretrain')?.state).toBe('running');
    expect(issues.map((i) => i.message)).toContain(
      'owner PyTorchJob/bert-pretrain is gone (uid e1d2c3b4-4444-4a5b-9c6d-7e8f9a0b1c2d replaced by new-uid)',
    );
  });

  it('keeps each job’s id when owner lookups fail for a while, and flags the failures', async () => {
    const api = await fakeCluster();
    const clock = createManualClock(Date.parse('2026-12-01T12:00:00Z'));
    const real = createKubeClient(fakeKubeConfig(api.url));
    let failing = false;
    const client: KubeClient = {
      ...real,
      getOwner: (namespace, ref) =>
        failing
          ? Promise.resolve({ found: false, reason: 'error', message: 'etcdserver: request timed out (500)' })
          : real.getOwner(namespace, ref),
    };
    const source = await started(
      createKubernetesSourceWithClient(client, config, { cluster: 'lab', watcher: { clock } }),
    );
    const before = (await source.listJobs()).jobs.map((j) => j.jobId).sort();
    failing = true;
    clock.advance(3_600_000);
    const { jobs, issues } = await source.listJobs();
    expect(jobs.map((j) => j.jobId).sort()).toEqual(before);
    expect(issues.map((i) => i.message)).toContain(
      'owner ReplicaSet/vllm-llama-7d9c8b6f5: etcdserver: request timed out (500)',
    );
  });

  it('asks for each owner once across collect ticks', async () => {
    const api = await fakeCluster();
    const source = await started(mustCreate(config, { cluster: 'lab' }, fakeKubeConfig(api.url)));
    await source.listJobs();
    const ownerGets = () => api.requests.filter((r) => r.startsWith('GET /apis/')).length;
    const first = ownerGets();
    await source.listJobs();
    expect(ownerGets()).toBe(first);
  });

  it('watches only the configured namespaces', async () => {
    const api = await fakeCluster();
    const scoped = { ...config, namespaces: ['research', 'testing'] };
    const source = await started(mustCreate(scoped, { cluster: 'lab' }, fakeKubeConfig(api.url)));
    const { jobs } = await source.listJobs();
    expect(jobs.map((j) => j.namespace).sort()).toEqual(['research', 'testing']);
    expect(api.requests.some((r) => r.startsWith('GET /api/v1/pods'))).toBe(false);
  });
});

describe('loadKubeConfig', () => {
  it('builds a working client from a kubeconfig file and its named context', async () => {
    const api = await fakeCluster();
    const dir = mkdtempSync(join(tmpdir(), 'gpuscope-kube-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: ${api.url}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: tester\n  user:\n    token: not-a-secret',
        'contexts:',
        '- name: other\n  context:\n    cluster: fake\n    user: tester',
        '- name: lab\n  context:\n    cluster: fake\n    user: tester',
        'current-context: other',
      ].join('\n'),
    );
    const source = await started(mustCreate({ ...config, kubeconfig: file, context: 'lab' }));
    expect((await source.listJobs()).jobs.every((j) => j.cluster === 'lab')).toBe(true);
    expect(loadKubeConfig({ ...config, kubeconfig: file, context: 'nope' })).toEqual({
      ok: false,
      error: 'kubeconfig has no context "nope"',
    });
  });

  it('returns an error naming a kubeconfig file that does not exist', () => {
    const result = loadKubeConfig({ ...config, kubeconfig: '/nonexistent/kubeconfig' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain('/nonexistent/kubeconfig');
  });
});
