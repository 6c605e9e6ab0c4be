import type { ActionsConfig } from '../../core/config.js';
import type { ActionScope, CostSubject } from './schema.js';
import type { ActionRequest } from './types.js';

/** An open recommendation as the planner reads it. */
export interface PlannableRecommendation {
  id: number;
  version: number;
  cluster: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details: Record<string, unknown>;
  expiresAt: Date;
}

export interface PlanningJob {
  jobId: string;
  source: 'slurm' | 'kubernetes';
  namespace: string | null;
  partition: string | null;
  nodes: readonly string[];
  pods: readonly string[];
  gpusAllocated: number;
}

export interface PlanningInstance {
  instanceId: string;
  node: string | null;
  market: string;
  state: string;
  asg: string | null;
}

/** What the planner knows besides the recommendation: jobs, EC2 inventory, node pools, config. */
export interface PlanningContext {
  config: Pick<ActionsConfig, 'poolAsgs' | 'spotLaunchTemplate'>;
  jobs: ReadonlyMap<string, PlanningJob>;
  instances: readonly PlanningInstance[];
  /** Node → analyzer pool name (`<model> x<gpus>`), for the node-pool policy scope. */
  nodePools: ReadonlyMap<string, string>;
}

export interface PlannedAction {
  request: ActionRequest;
  scope: ActionScope;
  targetKey: string;
  blastNodes: number;
  blastGpus: number;
  costSubject: CostSubject;
  recommendationId: number;
  recommendationVersion: number;
  idempotencyKey: string;
  expiresAt: Date;
}

const gpusPerNodeOf = (pool: string | undefined) => Number(/ x(\d+)$/.exec(pool ?? '')?.[1] ?? 0);
const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * Recommendations → actions where a mapping exists; the rest (scale_up, right_size, unallocated GPUs, Slurm jobs)
 * stay recommendations. The idempotency key names the recommendation version, so each version plans once.
 */
export function planActions(recs: readonly PlannableRecommendation[], ctx: PlanningContext): PlannedAction[] {
  return recs.flatMap((rec) => {
    const drafts = draftActions(rec, ctx);
    return drafts.map((d) => ({
      ...d,
      recommendationId: rec.id,
      recommendationVersion: rec.version,
      idempotencyKey: `rec:${rec.id}:v${rec.version}:${d.request.kind}:${d.targetKey}`,
      expiresAt: rec.expiresAt,
    }));
  });
}

type Draft = Omit<
  PlannedAction,
  'recommendationId' | 'recommendationVersion' | 'idempotencyKey' | 'expiresAt'
>;

function draftActions(rec: PlannableRecommendation, ctx: PlanningContext): Draft[] {
  switch (rec.action) {
    case 'scale_down':
      return rec.subjectType === 'pool' ? draftPoolScaleDown(rec, ctx) : [];
    case 'move_to_spot':
      return rec.subjectType === 'job' ? draftSpotMigrations(rec, ctx) : [];
    case 'release_gpu':
      return draftWorkloadRelease(rec, ctx);
    default:
      return [];
  }
}

function draftPoolScaleDown(rec: PlannableRecommendation, ctx: PlanningContext): Draft[] {
  const pool = rec.subjectId;
  const by = Number(rec.details.by ?? 0);
  const idleNodes = stringList(rec.details.nodes);
  const gpusPerNode = gpusPerNodeOf(pool);
  const scope = { cluster: rec.cluster, nodePool: pool };
  if (!Number.isInteger(by) || by <= 0) return [];
  const mapping = ctx.config.poolAsgs.find((m) => m.pool === pool);
  if (mapping) {
    const running = ctx.instances.filter((i) => i.asg === mapping.asg && i.state === 'running');
    // the desired capacity comes from the inventory; the executor re-reads the live one before acting
    if (running.length < by) return [];
    return [
      {
        request: {
          kind: 'scale_asg',
          target: { type: 'asg', name: mapping.asg, desiredCapacity: running.length - by },
          reason: 'scale_down',
        },
        scope: { ...scope, nodes: idleNodes },
        targetKey: `asg:${mapping.asg}`,
        blastNodes: by,
        blastGpus: by * gpusPerNode,
        costSubject: { nodes: running.flatMap((i) => (i.node ? [i.node] : [])) },
      },
    ];
  }
  // a drain cordons first (as kubectl does), so one action per idle node covers cordon + drain
  return idleNodes.slice(0, by).map((node) => ({
    request: { kind: 'drain_node', target: { type: 'node', node }, reason: 'scale_down' },
    scope: { ...scope, nodes: [node] },
    targetKey: `node:${node}`,
    blastNodes: 1,
    blastGpus: gpusPerNode,
    costSubject: { nodes: [node] },
  }));
}

function draftSpotMigrations(rec: PlannableRecommendation, ctx: PlanningContext): Draft[] {
  const template = ctx.config.spotLaunchTemplate;
  const job = ctx.jobs.get(rec.subjectId);
  if (!template || !job) return [];
  const instanceTypes = String(rec.details.instanceTypes ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (instanceTypes.length === 0) return [];
  const onDemand = ctx.instances.filter(
    (i) => i.node !== null && job.nodes.includes(i.node) && i.market === 'on-demand' && i.state === 'running',
  );
  return onDemand.map((i) => {
    const node = i.node as string;
    const pool = ctx.nodePools.get(node);
    return {
      request: {
        kind: 'migrate_to_spot',
        target: {
          type: 'spot_migration',
          instanceId: i.instanceId,
          node,
          instanceTypes,
          launchTemplateId: template.launchTemplateId,
          launchTemplateVersion: template.version,
          subnetIds: template.subnetIds,
        },
        reason: 'move_to_spot',
      },
      scope: {
        cluster: rec.cluster,
        nodePool: pool,
        namespace: job.namespace ?? undefined,
        partition: job.partition ?? undefined,
        nodes: [node],
      },
      targetKey: `node:${node}`,
      blastNodes: 1,
      blastGpus: gpusPerNodeOf(pool),
      costSubject: { nodes: [node] },
    };
  });
}

/** An idle GPU a Kubernetes Deployment/StatefulSet holds: one replica fewer; a batch Job's: suspend it. */
function draftWorkloadRelease(rec: PlannableRecommendation, ctx: PlanningContext): Draft[] {
  const jobId = typeof rec.details.job === 'string' ? rec.details.job : undefined;
  const job = jobId ? ctx.jobs.get(jobId) : undefined;
  if (job?.source !== 'kubernetes') return [];
  const [namespace, kind, name] = job.jobId.split('/');
  if (!namespace || !kind || !name) return [];
  const node = typeof rec.details.node === 'string' ? rec.details.node : undefined;
  const base = {
    scope: {
      cluster: rec.cluster,
      namespace,
      nodePool: node ? ctx.nodePools.get(node) : undefined,
      nodes: node ? [node] : [],
    },
    blastNodes: 0,
    costSubject: { jobs: [job.jobId] },
  };
  const perPod = job.pods.length > 0 ? Math.max(1, Math.round(job.gpusAllocated / job.pods.length)) : 1;
  if ((kind === 'Deployment' || kind === 'StatefulSet') && job.pods.length > 0) {
    return [
      {
        ...base,
        request: {
          kind: 'scale_workload',
          target: { type: 'workload', namespace, kind, name, replicas: job.pods.length - 1 },
          reason: 'idle_gpu',
        },
        targetKey: `workload:${job.jobId}`,
        blastGpus: perPod,
      },
    ];
  }
  if (kind === 'Job') {
    return [
      {
        ...base,
        request: { kind: 'suspend_job', target: { type: 'k8s_job', namespace, name }, reason: 'idle_gpu' },
        targetKey: `workload:${job.jobId}`,
        blastGpus: job.gpusAllocated,
      },
    ];
  }
  return [];
}
