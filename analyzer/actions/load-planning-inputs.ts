import { sql } from 'drizzle-orm';
import type { ActionsConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type {
  PlannableRecommendation,
  PlanningContext,
  PlanningInstance,
  PlanningJob,
} from './plan-actions.js';

/**
 * Open recommendations of the actions the planner maps. All of them, not only those without actions: one version
 * can plan several actions (one per idle node), and a crash between their inserts must not lose the rest; the
 * idempotency keys say which exist.
 */
export async function listPlannableRecommendations(
  db: Db,
  cluster: string,
  now: Date,
): Promise<PlannableRecommendation[]> {
  const rows = await queryRows<{
    id: number;
    version: number;
    cluster: string;
    action: string;
    subject_type: string;
    subject_id: string;
    details: Record<string, unknown>;
    expires_at: Date | string;
  }>(
    db,
    sql`select r.id, r.version, r.cluster, r.action, r.subject_type, r.subject_id, r.details, r.expires_at
      from recommendations r
      where r.cluster = ${cluster} and r.status = 'open' and r.expires_at > ${now}
        and r.action in ('scale_down', 'move_to_spot', 'release_gpu')
      order by r.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    cluster: r.cluster,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    details: r.details,
    expiresAt: new Date(r.expires_at),
  }));
}

/** Jobs the recommendations name, the EC2 inventory (with each instance's Auto Scaling group) and node pools. */
export async function loadPlanningContext(
  db: Db,
  cluster: string,
  recs: readonly PlannableRecommendation[],
  config: Pick<ActionsConfig, 'poolAsgs' | 'spotLaunchTemplate'>,
): Promise<PlanningContext> {
  const jobIds = [
    ...new Set(
      recs.flatMap((r) => {
        if (r.subjectType === 'job') return [r.subjectId];
        return typeof r.details.job === 'string' ? [r.details.job] : [];
      }),
    ),
  ];
  const [jobs, instances, pools] = await Promise.all([
    jobIds.length === 0
      ? Promise.resolve([])
      : queryRows<{
          job_id: string;
          source: 'slurm' | 'kubernetes';
          namespace: string | null;
          partition: string | null;
          nodes: string[];
          pods: string[];
          gpus_allocated: number;
        }>(
          db,
          sql`select job_id, source, namespace, partition, nodes, pods, gpus_allocated from jobs
            where cluster = ${cluster} and job_id = any(${sql.param(jobIds)}::text[])`,
        ),
    queryRows<{
      instance_id: string;
      node: string | null;
      market: string;
      state: string;
      asg: string | null;
    }>(
      db,
      sql`select instance_id, node, market, state, tags ->> 'aws:autoscaling:groupName' as asg
        from cloud_instances`,
    ),
    queryRows<{ node: string; pool: string }>(
      db,
      sql`select n.name as node, max(g.model) || ' x' || count(*) as pool
        from nodes n join gpus g on g.node_id = n.id and g.gpu_instance_id is null
        where n.cluster = ${cluster}
        group by n.name`,
    ),
  ]);
  return {
    config,
    jobs: new Map(
      jobs.map((j): [string, PlanningJob] => [
        j.job_id,
        {
          jobId: j.job_id,
          source: j.source,
          namespace: j.namespace,
          partition: j.partition,
          nodes: j.nodes,
          pods: j.pods,
          gpusAllocated: j.gpus_allocated,
        },
      ]),
    ),
    instances: instances.map(
      (i): PlanningInstance => ({
        instanceId: i.instance_id,
        node: i.node,
        market: i.market,
        state: i.state,
        asg: i.asg,
      }),
    ),
    nodePools: new Map(pools.map((p) => [p.node, p.pool])),
  };
}

/**
 * What a subject cost in [from, to): its nodes' node-hours (cost_node_hours), or its jobs' allocated cost
 * (cost_allocations), with how many priced rows it summed (0: nothing known, which is not the same as $0).
 */
export async function sumSubjectCostUsd(
  db: Db,
  cluster: string,
  subject: { nodes?: readonly string[] | undefined; jobs?: readonly string[] | undefined },
  from: Date,
  to: Date,
): Promise<{ costUsd: number; pricedRows: number }> {
  const nodes = [...(subject.nodes ?? [])];
  const jobs = [...(subject.jobs ?? [])];
  if (nodes.length === 0 && jobs.length === 0) return { costUsd: 0, pricedRows: 0 };
  const rows =
    nodes.length > 0
      ? await queryRows<{ cost: string | null; hours: number }>(
          db,
          sql`select sum(cost)::text as cost, count(cost)::int as hours from cost_node_hours
            where cluster = ${cluster} and node = any(${sql.param(nodes)}::text[]) and hour >= ${from} and hour < ${to}`,
        )
      : await queryRows<{ cost: string | null; hours: number }>(
          db,
          sql`select sum(cost)::text as cost, count(cost)::int as hours from cost_allocations
            where cluster = ${cluster} and job_id = any(${sql.param(jobs)}::text[]) and hour >= ${from} and hour < ${to}`,
        );
  const row = rows[0];
  return { costUsd: Number(row?.cost ?? 0), pricedRows: row?.hours ?? 0 };
}
