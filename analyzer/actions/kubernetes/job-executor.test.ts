import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestContext,
  type KubeActionsHarness,
  readWorkloadFixture,
  startKubeActionsHarness,
} from '../../../test/helpers/kube-actions-harness.js';
import type { ActionRequest } from '../types.js';

let h: KubeActionsHarness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

type Obj = Record<string, unknown>;

async function start(edit: (job: Obj) => void = () => {}): Promise<KubeActionsHarness> {
  h = await startKubeActionsHarness();
  const job = readWorkloadFixture('Job');
  edit(job);
  h.api.put(job);
  return h;
}

const request = (kind: 'suspend_job' | 'resume_job'): ActionRequest => ({
  kind,
  target: { type: 'k8s_job', namespace: 'ml-training', name: 'finetune-lora-v2' },
  reason: 'idle_gpu',
});

function jobOf(harness: KubeActionsHarness): Obj {
  return harness.api.get('Job', 'finetune-lora-v2', 'ml-training') ?? {};
}

const suspendOf = (harness: KubeActionsHarness) => (jobOf(harness)['spec'] as Obj)['suspend'];
const suspended = (job: Obj) => {
  (job['spec'] as Obj)['suspend'] = true;
};

describe('suspend_job', () => {
  it('suspends by merge patch after saving the old value, and its rollback resumes the Job', async () => {
    const harness = await start();
    const exec = harness.executor('suspend_job');
    const snapshot = await exec.checkPreconditions(request('suspend_job'));
    expect(snapshot).toMatchObject({
      ok: true,
      value: { observed: { suspend: false, name: 'finetune-lora-v2' } },
    });
    const ctx = createTestContext();
    const result = await exec.execute(request('suspend_job'), ctx);
    expect(result).toEqual({
      ok: true,
      value: { detail: { job: 'Job/ml-training/finetune-lora-v2', suspend: true } },
    });
    expect(ctx.saved).toEqual([{ step: 'suspending', data: { previousSuspend: false } }]);
    expect(harness.api.writes).toEqual([
      {
        request: 'PATCH /apis/batch/v1/namespaces/ml-training/jobs/finetune-lora-v2?fieldManager=gpuscope',
        contentType: 'application/merge-patch+json',
        body: { spec: { suspend: true } },
      },
    ]);
    expect(suspendOf(harness)).toBe(true);
    expect((jobOf(harness)['status'] as Obj)['conditions']).toEqual([
      expect.objectContaining({ type: 'Suspended', status: 'True' }),
    ]);
    await exec.rollback(request('suspend_job'), ctx);
    expect(suspendOf(harness)).toBe(false);
  });

  it('leaves an already suspended Job alone and does not resume it on rollback', async () => {
    const harness = await start(suspended);
    const ctx = createTestContext();
    const result = await harness.executor('suspend_job').execute(request('suspend_job'), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { changed: false } } });
    const rollback = await harness.executor('suspend_job').rollback(request('suspend_job'), ctx);
    expect(rollback).toMatchObject({ ok: true, value: { detail: { restored: false } } });
    expect(suspendOf(harness)).toBe(true);
    expect(harness.api.writes).toEqual([]);
  });

  it('dry-runs with dryRun=All and changes nothing', async () => {
    const harness = await start();
    const rv = harness.api.resourceVersion();
    const exec = harness.executor('suspend_job');
    const snapshot = await exec.checkPreconditions(request('suspend_job'));
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const result = await exec.dryRun(request('suspend_job'), snapshot.value);
    expect(result).toMatchObject({ ok: true, value: { detail: { suspend: true } } });
    expect(harness.api.writes[0]?.request).toContain('dryRun=All');
    expect(harness.api.resourceVersion()).toBe(rv);
    expect(suspendOf(harness)).toBe(false);
  });

  it('fails preconditions, not retryable, for a Job that has completed', async () => {
    const harness = await start((job) => {
      job['status'] = { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 };
    });
    const result = await harness.executor('suspend_job').checkPreconditions(request('suspend_job'));
    expect(result).toMatchObject({ ok: false, error: { code: 'JOB_FINISHED', retryable: false } });
  });

  it('refuses a Job annotated gpuscope.io/do-not-disrupt, for suspend and resume', async () => {
    const harness = await start((job) => {
      (job['metadata'] as Obj)['annotations'] = { 'gpuscope.io/do-not-disrupt': 'true' };
    });
    for (const kind of ['suspend_job', 'resume_job'] as const) {
      const result = await harness.executor(kind).checkPreconditions(request(kind));
      expect(result).toMatchObject({ ok: false, error: { code: 'OPTED_OUT', retryable: false } });
      if (!result.ok)
        expect(result.error.message).toContain(
          'Job/ml-training/finetune-lora-v2 is annotated gpuscope.io/do-not-disrupt',
        );
    }
  });

  it('refuses suspending a Job whose pods say karpenter.sh/do-not-disrupt, but lets a resume through', async () => {
    const harness = await start((job) => {
      const template = (job['spec'] as Obj)['template'] as Obj;
      (template['metadata'] as Obj)['annotations'] = { 'karpenter.sh/do-not-disrupt': 'true' };
    });
    const suspend = await harness.executor('suspend_job').checkPreconditions(request('suspend_job'));
    expect(suspend).toMatchObject({ ok: false, error: { code: 'OPTED_OUT' } });
    expect((await harness.executor('resume_job').checkPreconditions(request('resume_job'))).ok).toBe(true);
  });

  it('fails preconditions, not retryable, for a Job that does not exist', async () => {
    const harness = await start();
    const req: ActionRequest = {
      ...request('suspend_job'),
      target: { type: 'k8s_job', namespace: 'ml-training', name: 'nope' },
    };
    const result = await harness.executor('suspend_job').checkPreconditions(req);
    expect(result).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', retryable: false } });
    if (!result.ok) expect(result.error.message).toContain('jobs.batch "nope" not found');
  });
});

describe('resume_job', () => {
  it('resumes a suspended Job and its rollback suspends it again', async () => {
    const harness = await start(suspended);
    const exec = harness.executor('resume_job');
    const ctx = createTestContext();
    expect((await exec.execute(request('resume_job'), ctx)).ok).toBe(true);
    expect(ctx.saved).toEqual([{ step: 'resuming', data: { previousSuspend: true } }]);
    expect(suspendOf(harness)).toBe(false);
    await exec.rollback(request('resume_job'), ctx);
    expect(suspendOf(harness)).toBe(true);
  });

  it('fails retryably when the API server is unavailable', async () => {
    const harness = await start(suspended);
    harness.api.failNext('PATCH', '/apis/batch/v1/', 503);
    const result = await harness.executor('resume_job').execute(request('resume_job'), createTestContext());
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
  });
});
