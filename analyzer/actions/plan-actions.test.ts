import { describe, expect, it } from 'vitest';
import {
  type PlannableRecommendation,
  type PlanningContext,
  type PlanningJob,
  planActions,
} from './plan-actions.js';

const POOL = 'NVIDIA H100 80GB HBM3 x8';
const expiresAt = new Date('2026-12-01T13:00:00Z');

function rec(overrides: Partial<PlannableRecommendation>): PlannableRecommendation {
  return {
    id: 7,
    version: 2,
    cluster: 'c1',
    action: 'scale_down',
    subjectType: 'pool',
    subjectId: POOL,
    details: { pool: POOL, by: 2, nodes: ['gpu-a', 'gpu-b'] },
    expiresAt,
    ...overrides,
  };
}

function job(overrides: Partial<PlanningJob>): PlanningJob {
  return {
    jobId: 'inference/Deployment/vllm-llama',
    source: 'kubernetes',
    namespace: 'inference',
    partition: null,
    nodes: ['gpu-a'],
    pods: ['inference/vllm-llama-1', 'inference/vllm-llama-2', 'inference/vllm-llama-3'],
    gpusAllocated: 6,
    ...overrides,
  };
}

function ctx(overrides: Partial<PlanningContext> = {}): PlanningContext {
  return {
    config: { poolAsgs: [] },
    jobs: new Map(),
    instances: [],
    nodePools: new Map([
      ['gpu-a', POOL],
      ['gpu-b', POOL],
    ]),
    ...overrides,
  };
}

describe('planActions', () => {
  it('drains each idle node of a pool scale-down when the pool maps to no Auto Scaling group', () => {
    const planned = planActions([rec({})], ctx());
    expect(planned.map((p) => [p.request.kind, p.targetKey, p.idempotencyKey, p.blastGpus])).toEqual([
      ['drain_node', 'node:gpu-a', 'rec:7:v2:drain_node:node:gpu-a', 8],
      ['drain_node', 'node:gpu-b', 'rec:7:v2:drain_node:node:gpu-b', 8],
    ]);
    expect(planned[0]).toMatchObject({
      scope: { cluster: 'c1', nodePool: POOL, nodes: ['gpu-a'] },
      expiresAt,
    });
  });

  it('scales the Auto Scaling group the pool maps to, from its running instances, down by the surplus', () => {
    const instances = ['i-1', 'i-2', 'i-3', 'i-4'].map((id, n) => ({
      instanceId: id,
      node: `gpu-${'abcd'[n]}`,
      market: 'on-demand',
      state: n === 3 ? 'terminated' : 'running',
      asg: 'gpu-h100',
    }));
    const planned = planActions(
      [rec({})],
      ctx({ config: { poolAsgs: [{ pool: POOL, asg: 'gpu-h100' }] }, instances }),
    );
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({
      request: { kind: 'scale_asg', target: { type: 'asg', name: 'gpu-h100', desiredCapacity: 1 } },
      blastNodes: 2,
      blastGpus: 16,
      costSubject: { nodes: ['gpu-a', 'gpu-b', 'gpu-c'] },
    });
  });

  it('migrates each on-demand node of a move_to_spot job when a launch template is configured', () => {
    const recommendation = rec({
      action: 'move_to_spot',
      subjectType: 'job',
      subjectId: 'train/Job/bert',
      details: { instanceTypes: 'p5.48xlarge, p5e.48xlarge' },
    });
    const jobs = new Map([
      ['train/Job/bert', job({ jobId: 'train/Job/bert', namespace: 'train', nodes: ['gpu-a', 'gpu-b'] })],
    ]);
    const instances = [
      { instanceId: 'i-a', node: 'gpu-a', market: 'on-demand', state: 'running', asg: null },
      { instanceId: 'i-b', node: 'gpu-b', market: 'spot', state: 'running', asg: null },
    ];
    expect(planActions([recommendation], ctx({ jobs, instances }))).toEqual([]);
    const config = { poolAsgs: [], spotLaunchTemplate: { launchTemplateId: 'lt-0abc', version: '3' } };
    const planned = planActions([recommendation], ctx({ jobs, instances, config }));
    expect(planned.map((p) => p.request)).toEqual([
      {
        kind: 'migrate_to_spot',
        target: {
          type: 'spot_migration',
          instanceId: 'i-a',
          node: 'gpu-a',
          instanceTypes: ['p5.48xlarge', 'p5e.48xlarge'],
          launchTemplateId: 'lt-0abc',
          launchTemplateVersion: '3',
          subnetIds: undefined,
        },
        reason: 'move_to_spot',
      },
    ]);
  });

  it('scales a Deployment holding an idle GPU to one replica fewer and suspends a batch Job', () => {
    const deployment = job({});
    const batch = job({
      jobId: 'research/Job/eval-1',
      namespace: 'research',
      pods: ['research/eval-1-x'],
      gpusAllocated: 1,
    });
    const jobs = new Map([
      [deployment.jobId, deployment],
      [batch.jobId, batch],
    ]);
    const release = (id: number, j: string) =>
      rec({
        id,
        action: 'release_gpu',
        subjectType: 'gpu',
        subjectId: `GPU-${id}`,
        details: { node: 'gpu-a', job: j },
      });
    const planned = planActions([release(1, deployment.jobId), release(2, batch.jobId)], ctx({ jobs }));
    expect(planned.map((p) => [p.request.target, p.scope.namespace, p.blastGpus])).toEqual([
      [
        { type: 'workload', namespace: 'inference', kind: 'Deployment', name: 'vllm-llama', replicas: 2 },
        'inference',
        2,
      ],
      [{ type: 'k8s_job', namespace: 'research', name: 'eval-1' }, 'research', 1],
    ]);
  });

  it('leaves recommendations without a mapping as recommendations', () => {
    const slurm = job({ jobId: '4242', source: 'slurm', namespace: null, partition: 'gpu' });
    const planned = planActions(
      [
        rec({ action: 'scale_up' }),
        rec({ action: 'right_size', subjectType: 'job', subjectId: '4242' }),
        rec({ action: 'reclaim_gpu', subjectType: 'gpu', details: { node: 'gpu-a', job: null } }),
        rec({ action: 'release_gpu', subjectType: 'gpu', details: { node: 'gpu-a', job: '4242' } }),
        rec({
          action: 'release_gpu',
          subjectType: 'gpu',
          details: { node: 'gpu-a', job: 'ml/PyTorchJob.kubeflow.org/x' },
        }),
        rec({ details: { pool: POOL, by: 0, nodes: [] } }),
      ],
      ctx({
        jobs: new Map([
          ['4242', slurm],
          ['ml/PyTorchJob.kubeflow.org/x', job({ jobId: 'ml/PyTorchJob.kubeflow.org/x' })],
        ]),
      }),
    );
    expect(planned).toEqual([]);
  });
});
