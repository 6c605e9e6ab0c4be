import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { OwnerRef } from './types.js';

export interface JobFilter {
  from: Date;
  to: Date;
  user?: string;
  team?: string;
  state?: string;
  source?: 'slurm' | 'kubernetes';
  limit: number;
}

export interface JobRow {
  id: number;
  cluster: string;
  source: 'slurm' | 'kubernetes';
  job_id: string;
  name: string;
  user: string | null;
  account: string | null;
  namespace: string | null;
  partition: string | null;
  team: string | null;
  project: string | null;
  state: string;
  raw_state: string;
  submitted_at: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
  gpus_requested: number | null;
  gpus_allocated: number;
  gpu_type: string | null;
  nodes: string[];
  owners: OwnerRef[];
  scheduler_gpu_utilization_percent: number | null;
  scheduler_gpu_memory_bytes: number | null;
  measured_gpu_minutes: number;
  activity_mean: number | null;
  memory_used_max_bytes: number | null;
  energy_joules: number | null;
}

/** Per-job telemetry over the minutes attributed to it (sample-weighted mean activity, peak memory). */
const efficiency = sql`left join lateral (
    select count(*)::int as measured_gpu_minutes,
      sum(r.activity_mean * r.sample_count) / nullif(sum(r.sample_count) filter (where r.activity_mean is not null), 0)
        as activity_mean,
      max(r.memory_used_max_bytes) as memory_used_max_bytes, sum(r.energy_joules) as energy_joules
    from gpu_rollups r where r.job_ref = j.id
  ) e on true`;

const jobColumns = sql`j.id, j.cluster, j.source, j.job_id, j.name, j."user", j.account, j.namespace, j.partition, j.team,
  j.project, j.state, j.raw_state, j.submitted_at, j.started_at, j.ended_at, j.gpus_requested, j.gpus_allocated,
  j.gpu_type, j.nodes, j.owners, j.scheduler_gpu_utilization_percent, j.scheduler_gpu_memory_bytes,
  coalesce(e.measured_gpu_minutes, 0) as measured_gpu_minutes, e.activity_mean, e.memory_used_max_bytes, e.energy_joules`;

/** Jobs that ran (or waited) during [from, to), newest first. */
export async function listJobs(db: Db, filter: JobFilter): Promise<JobRow[]> {
  const conditions: SQL[] = [
    sql`coalesce(j.started_at, j.submitted_at) < ${filter.to}`,
    sql`(j.ended_at is null or j.ended_at >= ${filter.from})`,
  ];
  if (filter.user !== undefined) conditions.push(sql`j."user" = ${filter.user}`);
  if (filter.team !== undefined) conditions.push(sql`j.team = ${filter.team}`);
  if (filter.state !== undefined) conditions.push(sql`j.state = ${filter.state}`);
  if (filter.source !== undefined) conditions.push(sql`j.source = ${filter.source}`);
  return queryRows<JobRow>(
    db,
    sql`select ${jobColumns} from jobs j ${efficiency}
      where ${sql.join(conditions, sql` and `)}
      order by coalesce(j.started_at, j.submitted_at) desc nulls last, j.id desc
      limit ${filter.limit}`,
  );
}

/** One job by its scheduler id (`1234`, `ns/Deployment/web`), optionally narrowed to a source. */
export async function findJobs(db: Db, jobId: string, source?: 'slurm' | 'kubernetes'): Promise<JobRow[]> {
  const bySource = source === undefined ? sql`true` : sql`j.source = ${source}`;
  return queryRows<JobRow>(
    db,
    sql`select ${jobColumns} from jobs j ${efficiency} where j.job_id = ${jobId} and ${bySource} order by j.id`,
  );
}

export interface JobGpuRow {
  node: string;
  gpu_index: number | null;
  gpu_uuid: string | null;
  mig_profile: string | null;
  model: string | null;
  measured_minutes: number;
  activity_mean: number | null;
  memory_used_max_bytes: number | null;
}

/** The job's allocated GPUs (scheduler view) joined with what telemetry measured on each. */
export async function listJobGpus(db: Db, jobRef: number): Promise<JobGpuRow[]> {
  return queryRows<JobGpuRow>(
    db,
    sql`with measured as (
        select g.uuid, g.gpu_index, n.name as node, g.model, count(*)::int as measured_minutes,
          sum(r.activity_mean * r.sample_count) / nullif(sum(r.sample_count) filter (where r.activity_mean is not null), 0)
            as activity_mean,
          max(r.memory_used_max_bytes) as memory_used_max_bytes
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
        where r.job_ref = ${jobRef}
        group by g.uuid, g.gpu_index, n.name, g.model
      ), allocated as (
        select node, gpu_index, gpu_uuid, mig_profile from job_gpus where job_ref = ${jobRef}
      )
      select coalesce(a.node, m.node) as node, coalesce(a.gpu_index, m.gpu_index) as gpu_index,
        coalesce(a.gpu_uuid, m.uuid) as gpu_uuid, a.mig_profile, m.model,
        coalesce(m.measured_minutes, 0) as measured_minutes, m.activity_mean, m.memory_used_max_bytes
      from allocated a full join measured m
        on m.node = a.node and (m.uuid = a.gpu_uuid or (a.gpu_uuid is null and m.gpu_index = a.gpu_index))
      order by 1, 2 nulls last`,
  );
}

export async function listRunningJobsByTeam(db: Db) {
  return queryRows<{ source: string; team: string; jobs: number; gpus: number }>(
    db,
    sql`select source, coalesce(team, 'unknown') as team, count(*)::int as jobs, sum(gpus_allocated)::int as gpus
      from jobs where state = 'running' group by 1, 2`,
  );
}

/** Mean activity of GPU-minutes since `since`, per owning team ('unattributed' when no job holds them). */
export async function listTeamActivity(db: Db, since: Date) {
  return queryRows<{ team: string; activity: number | null }>(
    db,
    sql`select case when r.job_ref is null then 'unattributed' else coalesce(j.team, 'unknown') end as team,
        sum(r.activity_mean * r.sample_count) / nullif(sum(r.sample_count) filter (where r.activity_mean is not null), 0)
          as activity
      from gpu_rollups r left join jobs j on j.id = r.job_ref
      where r.bucket >= ${since} and r.attribution is not null
      group by 1`,
  );
}

/** The earliest start of jobs stored or changed since `since`: how far back their GPU-minutes need a new look. */
export async function findEarliestStartOfJobsUpdatedSince(db: Db, since: Date): Promise<Date | null> {
  const rows = await queryRows<{ earliest: Date | string | null }>(
    db,
    sql`select min(coalesce(started_at, submitted_at)) as earliest from jobs where updated_at >= ${since}`,
  );
  const earliest = rows[0]?.earliest ?? null;
  return earliest === null ? null : new Date(earliest);
}
