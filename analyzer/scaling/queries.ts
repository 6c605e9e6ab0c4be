import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import { poolName } from '../findings/detect-pool-capacity.js';
import {
  computePoolScaling,
  type PendingDemand,
  type PoolScaling,
  type PoolUsage,
} from './compute-desired-capacity.js';

type CapacityThresholds = AnalyzerConfig['capacity'];

/**
 * Per node over the window: its physical GPUs, and those allocated or not idle (the capacity detector's idle
 * test, activity max below idleActivityMax; no activity reading counts as busy, never as idle). Nodes known only
 * from earlier keep their pool listed at zero, so an autoscaler can bring a pool back from zero.
 */
async function loadPoolUsage(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  t: CapacityThresholds,
): Promise<PoolUsage[]> {
  const rows = await queryRows<{ model: string | null; gpus: number; nodes: number; busy: number }>(
    db,
    sql`with per_gpu as (
        select g.node_id, g.uuid, max(g.model) as model,
          bool_or(r.job_ref is not null or r.owner_kind is not null)
            or not coalesce(max(r.activity_max) < ${t.idleActivityMax}, false) as busy
        from gpu_rollups r join gpus g on g.id = r.gpu_id
        where r.bucket >= ${from} and r.bucket < ${to} and g.gpu_instance_id is null
        group by g.node_id, g.uuid),
      live as (
        select p.node_id, max(p.model) as model, count(*)::int as gpus,
          (count(*) filter (where p.busy))::int as busy
        from per_gpu p group by p.node_id),
      known as (
        select g.node_id, max(g.model) as model, count(distinct g.uuid)::int as gpus
        from gpus g where g.gpu_instance_id is null group by g.node_id)
      select coalesce(l.model, k.model) as model, coalesce(l.gpus, k.gpus) as gpus,
        (count(*) filter (where l.node_id is not null))::int as nodes,
        coalesce(sum(l.busy), 0)::int as busy
      from known k join nodes n on n.id = k.node_id
        left join live l on l.node_id = k.node_id
      where n.cluster = ${cluster}
      group by 1, 2`,
  );
  const pools = new Map<string, PoolUsage>();
  for (const r of rows) {
    const pool = poolName(r.model, r.gpus);
    const p = pools.get(pool) ?? { pool, gpusPerNode: r.gpus, nodes: 0, currentGpus: 0, busyGpus: 0 };
    p.nodes += r.nodes;
    p.currentGpus += r.nodes * r.gpus;
    p.busyGpus += r.busy;
    pools.set(pool, p);
  }
  return [...pools.values()];
}

/** GPUs asked for by jobs the scheduler holds as pending now, by requested GPU type. */
async function loadPendingDemand(db: Db, cluster: string): Promise<PendingDemand[]> {
  return queryRows<PendingDemand>(
    db,
    sql`select gpu_type as "gpuType", sum(coalesce(gpus_requested, gpus_allocated, 0))::int as gpus
      from jobs
      where cluster = ${cluster} and state = 'pending' and coalesce(gpus_requested, gpus_allocated, 0) > 0
      group by gpu_type`,
  );
}

/** Desired, current, busy, pending and idle GPUs of every pool of the cluster, over the capacity window to `at`. */
export async function listPoolScaling(
  db: Db,
  cluster: string,
  at: Date,
  t: CapacityThresholds,
): Promise<PoolScaling[]> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const [usage, pending] = await Promise.all([
    loadPoolUsage(db, cluster, from, at, t),
    loadPendingDemand(db, cluster),
  ]);
  return computePoolScaling(usage, pending, t.headroomNodes, at);
}

export interface WorkloadScaling {
  namespace: string;
  name: string;
  desiredGpus: number;
  currentGpus: number;
  busyGpus: number;
  pendingGpus: number;
  idleGpus: number;
  asOf: string;
}

/**
 * One Kubernetes workload (the jobs table's kubernetes rows of that namespace and owner name): its GPUs held now,
 * those of them busy over the window (the capacity detector's idle test on the GPUs attributed to it), and the
 * GPUs its pending pods ask for. Undefined when no active workload has that name.
 */
export async function getWorkloadScaling(
  db: Db,
  cluster: string,
  workload: { namespace: string; name: string },
  at: Date,
  t: CapacityThresholds,
): Promise<WorkloadScaling | undefined> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const rows = await queryRows<{ jobs: number; current: number; pending: number; busy: number }>(
    db,
    sql`with w as (
        select id, state, coalesce(gpus_requested, gpus_allocated, 0) as gpus
        from jobs
        where cluster = ${cluster} and source = 'kubernetes' and namespace = ${workload.namespace}
          and name = ${workload.name}
          and state in ('pending', 'running', 'suspended', 'completing', 'unknown')),
      per_gpu as (
        select r.gpu_id, not coalesce(max(r.activity_max) < ${t.idleActivityMax}, false) as busy
        from gpu_rollups r
        where r.job_ref in (select id from w) and r.bucket >= ${from} and r.bucket < ${at}
        group by r.gpu_id)
      select (select count(*)::int from w) as jobs,
        (select coalesce(sum(gpus), 0)::int from w where state <> 'pending') as current,
        (select coalesce(sum(gpus), 0)::int from w where state = 'pending') as pending,
        (select count(*)::int from per_gpu where busy) as busy`,
  );
  const r = rows[0];
  if (!r || r.jobs === 0) return undefined;
  const busyGpus = Math.min(r.busy, r.current);
  return {
    namespace: workload.namespace,
    name: workload.name,
    desiredGpus: busyGpus + r.pending,
    currentGpus: r.current,
    busyGpus,
    pendingGpus: r.pending,
    idleGpus: Math.max(0, r.current - busyGpus),
    asOf: at.toISOString(),
  };
}
