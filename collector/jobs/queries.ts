import { sql } from 'drizzle-orm';
import { chunks } from '../../core/chunks.js';
import { type Db, queryRows } from '../../core/db.js';
import { markChangedHoursFrom } from '../rollup/summarize-job-usage.js';
import type { JobRecord } from './types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Inserts or replaces jobs by (cluster, source, jobId) and replaces their GPU allocations, one array per
 * column through unnest() as the telemetry upserts do. A job seen again (running → completed) is updated
 * in place, so re-reading the same sacct window never duplicates anything. Returns the row id per job key.
 */
export async function upsertJobs(
  db: Db,
  records: readonly JobRecord[],
  now: Date,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const part of chunks(dedupeByKey(records), 2000)) {
    const col = <T>(type: string, pick: (j: JobRecord) => T) =>
      sql`${sql.param(part.map(pick))}::${sql.raw(type)}`;
    const rows = await queryRows<{ id: number; source: string; job_id: string; cluster: string }>(
      db,
      sql`insert into jobs as j (cluster, source, job_id, name, "user", account, namespace, partition, team, project,
          state, raw_state, submitted_at, started_at, ended_at, gpus_requested, gpus_allocated, gpu_type, nodes, pods,
          owners, labels, scheduler_gpu_utilization_percent, scheduler_gpu_memory_bytes, updated_at)
        select cluster, source, job_id, name, user_name, account, namespace, partition, team, project, state, raw_state,
          submitted_at, started_at, ended_at, gpus_requested, gpus_allocated, gpu_type,
          array(select jsonb_array_elements_text(nodes::jsonb)), array(select jsonb_array_elements_text(pods::jsonb)),
          owners::jsonb, labels::jsonb, util, mem, ${now}
        from unnest(${sql.join(
          [
            col('text[]', (j) => j.cluster),
            col('text[]', (j) => j.source),
            col('text[]', (j) => j.jobId),
            col('text[]', (j) => j.name),
            col('text[]', (j) => j.user),
            col('text[]', (j) => j.account),
            col('text[]', (j) => j.namespace),
            col('text[]', (j) => j.partition),
            col('text[]', (j) => j.team),
            col('text[]', (j) => j.project),
            col('text[]', (j) => j.state),
            col('text[]', (j) => j.rawState),
            col('timestamptz[]', (j) => iso(j.submittedAt)),
            col('timestamptz[]', (j) => iso(j.startedAt)),
            col('timestamptz[]', (j) => iso(j.endedAt)),
            col('int4[]', (j) => j.gpusRequested),
            col('int4[]', (j) => j.gpusAllocated),
            col('text[]', (j) => j.gpuType),
            col('text[]', (j) => JSON.stringify(j.nodes)),
            col('text[]', (j) => JSON.stringify(j.pods ?? [])),
            col('text[]', (j) => JSON.stringify(j.owners)),
            col('text[]', (j) => JSON.stringify(j.labels)),
            col('float8[]', (j) => j.schedulerGpuUsage?.utilizationPercent ?? null),
            col('float8[]', (j) => j.schedulerGpuUsage?.memoryBytes ?? null),
          ],
          sql`, `,
        )}) as t(cluster, source, job_id, name, user_name, account, namespace, partition, team, project, state,
          raw_state, submitted_at, started_at, ended_at, gpus_requested, gpus_allocated, gpu_type, nodes, pods, owners,
          labels, util, mem)
        on conflict (cluster, source, job_id) do update set name = excluded.name, "user" = excluded."user",
          account = excluded.account, namespace = excluded.namespace, partition = excluded.partition,
          team = excluded.team, project = excluded.project, state = excluded.state, raw_state = excluded.raw_state,
          submitted_at = excluded.submitted_at, started_at = excluded.started_at, ended_at = excluded.ended_at,
          gpus_requested = excluded.gpus_requested, gpus_allocated = excluded.gpus_allocated,
          gpu_type = excluded.gpu_type, nodes = excluded.nodes, pods = excluded.pods, owners = excluded.owners,
          labels = excluded.labels,
          scheduler_gpu_utilization_percent = excluded.scheduler_gpu_utilization_percent,
          scheduler_gpu_memory_bytes = excluded.scheduler_gpu_memory_bytes,
          -- only a change that can move attribution counts as one: readers re-send running jobs every pass
          updated_at = case
            when row(j.state, j.started_at, j.ended_at, j.gpus_allocated, j.nodes, j.pods)
              is distinct from row(excluded.state, excluded.started_at, excluded.ended_at, excluded.gpus_allocated,
                excluded.nodes, excluded.pods)
            then excluded.updated_at else j.updated_at end
        returning id, source, job_id, cluster`,
    );
    for (const row of rows) ids.set(jobKey(row.cluster, row.source, row.job_id), row.id);
    await replaceJobGpus(db, part, ids);
  }
  return ids;
}

export function jobKey(cluster: string, source: string, jobId: string): string {
  return `${cluster}/${source}/${jobId}`;
}

/** The last record of a job wins: one statement may not touch the same row twice. */
function dedupeByKey(records: readonly JobRecord[]): JobRecord[] {
  const byKey = new Map<string, JobRecord>();
  for (const r of records) byKey.set(jobKey(r.cluster, r.source, r.jobId), r);
  return [...byKey.values()];
}

/**
 * A record without allocations says nothing about indices (sacct knows counts only), so it keeps what an
 * earlier record of the same job (squeue + scontrol while it ran) stored; one with allocations replaces them.
 */
async function replaceJobGpus(db: Db, part: JobRecord[], ids: Map<string, number>): Promise<void> {
  const refs = part
    .filter((j) => j.allocations.length > 0)
    .map((j) => ids.get(jobKey(j.cluster, j.source, j.jobId)))
    .filter((id) => id !== undefined);
  if (refs.length === 0) return;
  await db.execute(sql`delete from job_gpus where job_ref = any(${sql.param(refs)}::int4[])`);
  const rows = part.flatMap((j) => {
    const ref = ids.get(jobKey(j.cluster, j.source, j.jobId));
    return ref === undefined ? [] : j.allocations.map((a) => ({ ref, ...a }));
  });
  for (const piece of chunks(rows, 10_000)) {
    const col = <T>(type: string, pick: (r: (typeof rows)[number]) => T) =>
      sql`${sql.param(piece.map(pick))}::${sql.raw(type)}`;
    await db.execute(sql`insert into job_gpus (job_ref, node, gpu_index, gpu_uuid, mig_profile)
      select * from unnest(${sql.join(
        [
          col('int4[]', (r) => r.ref),
          col('text[]', (r) => r.node),
          col('int4[]', (r) => r.gpuIndex),
          col('text[]', (r) => r.gpuUuid),
          col('text[]', (r) => r.migProfile),
        ],
        sql`, `,
      )})`);
  }
}

export interface AttributionCounts {
  exporterLabel: number;
  scheduler: number;
  unattributed: number;
}

/**
 * Links closed GPU-minutes in [from, to) to jobs: the exporter's own labels first (hpc_job = Slurm job id,
 * pod = a Kubernetes job's pod), then the scheduler's allocation (node + GPU index while the job ran), and
 * marks the rest unattributed once older than `settledBefore` (job readers may still be catching up on
 * newer ones). Rows already marked unattributed are tried again from `retryFrom` on, so a late job record
 * still claims them without every pass rescanning hours of GPUs that no job will ever own.
 */
export async function attributeRollups(
  db: Db,
  window: { from: Date; to: Date; settledBefore: Date; retryFrom: Date },
): Promise<AttributionCounts> {
  const open = (alias: string) => sql.raw(alias);
  const pendingOf = (
    r: string,
  ) => sql`${open(r)}.bucket >= ${window.from} and ${open(r)}.bucket < ${window.to}
    and (${open(r)}.attribution is null
      or (${open(r)}.attribution = 'unattributed' and ${open(r)}.bucket >= ${window.retryFrom}))`;
  const pending = pendingOf('r');
  const byLabel = await queryRows<{ n: number }>(
    db,
    sql`with u as (
      update gpu_rollups r set job_ref = j.id, attribution = 'exporter_label'
      from gpus g, nodes n, jobs j
      where ${pending} and r.owner_kind is not null and g.id = r.gpu_id and n.id = g.node_id and j.cluster = n.cluster
        and ((r.owner_kind = 'slurm' and j.source = 'slurm' and j.job_id = r.owner_ref)
          or (r.owner_kind = 'pod' and j.source = 'kubernetes' and j.pods @> array[r.owner_ref]))
      returning r.bucket)${markChangedHoursFrom('u')} select count(*)::int as n from u`,
  );
  const byScheduler = await queryRows<{ n: number }>(
    db,
    sql`with u as (
      update gpu_rollups r set job_ref = m.job_id, attribution = 'scheduler'
      from (
        select distinct on (r2.gpu_id, r2.bucket) r2.gpu_id, r2.bucket, j.id as job_id
        from gpu_rollups r2
        join gpus g on g.id = r2.gpu_id
        join nodes n on n.id = g.node_id
        join job_gpus a on a.node = n.name and (a.gpu_uuid = g.uuid or (a.gpu_uuid is null and a.gpu_index = g.gpu_index))
        join jobs j on j.id = a.job_ref and j.cluster = n.cluster
        where ${pendingOf('r2')}
          and j.started_at is not null and r2.bucket + interval '1 minute' > j.started_at
          and (j.ended_at is null or r2.bucket < j.ended_at)
        order by r2.gpu_id, r2.bucket, j.started_at desc
      ) m
      where r.gpu_id = m.gpu_id and r.bucket = m.bucket
      returning r.bucket)${markChangedHoursFrom('u')} select count(*)::int as n from u`,
  );
  const rest = await queryRows<{ n: number }>(
    db,
    sql`with u as (
      update gpu_rollups r set attribution = 'unattributed', job_ref = null
      where r.bucket >= ${window.from} and r.bucket < ${window.settledBefore} and r.attribution is null
      returning 1) select count(*)::int as n from u`,
  );
  return {
    exporterLabel: byLabel[0]?.n ?? 0,
    scheduler: byScheduler[0]?.n ?? 0,
    unattributed: rest[0]?.n ?? 0,
  };
}
