import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';

/** SQL that turns an EC2 ARN (`arn:aws:ec2:…:instance/i-…`) into the bare instance id DescribeInstances gives. */
const INSTANCE_ID = sql`regexp_replace(resource_id, '^arn:[^:]*:ec2:[^:]*:[^:]*:instance/', '')`;

/** Lines whose charge period touches [from, to); a zero-length line counts where it starts. */
const overlaps = (from: Date, to: Date) =>
  sql`charge_period_start < ${to} and (charge_period_end > ${from} or charge_period_start >= ${from})`;

export interface GpuHourUsageRow {
  gpuId: number;
  node: string;
  hourMs: number;
  uuid: string;
  model: string | null;
  migProfile: string | null;
  jobRef: number | null;
  minutes: number;
  idleMinutes: number;
}

/**
 * GPU-minutes per node, hour, GPU (or MIG instance) and job, aggregated in SQL. A minute is idle when its
 * activity max stays under the threshold; a minute with no activity reading is not called idle.
 */
export async function loadGpuHourUsage(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  idleThreshold: number,
): Promise<GpuHourUsageRow[]> {
  const rows = await queryRows<{
    gpu_id: number;
    node: string;
    hour_ms: string;
    uuid: string;
    model: string | null;
    mig_profile: string | null;
    job_ref: number | null;
    minutes: number;
    idle_minutes: number;
  }>(
    db,
    // aggregate on the narrow integer keys first, then join the names onto the ~70k groups (not the 4M rows)
    sql`select a.gpu_id, n.name as node, (extract(epoch from a.hour) * 1000)::bigint::text as hour_ms, g.uuid, g.model,
        g.mig_profile, a.job_ref, a.minutes, a.idle_minutes
      from (
        select r.gpu_id, date_trunc('hour', r.bucket) as hour, r.job_ref, count(*)::int as minutes,
          (count(*) filter (where r.activity_max < ${idleThreshold}))::int as idle_minutes
        from gpu_rollups r
        where r.bucket >= ${from} and r.bucket < ${to}
          and r.gpu_id in (select g.id from gpus g join nodes n on n.id = g.node_id where n.cluster = ${cluster})
        group by 1, 2, 3
      ) a join gpus g on g.id = a.gpu_id join nodes n on n.id = g.node_id`,
  );
  return rows.map((r) => ({
    gpuId: r.gpu_id,
    node: r.node,
    hourMs: Number(r.hour_ms),
    uuid: r.uuid,
    model: r.model,
    migProfile: r.mig_profile,
    jobRef: r.job_ref,
    minutes: r.minutes,
    idleMinutes: r.idle_minutes,
  }));
}

/**
 * Minutes of each hour in which the node sent GPU telemetry: the most any of its GPUs (or MIG instances) has.
 * One exporter scrape carries every GPU of a node, so their minutes coincide; this saves a second pass over the
 * rollups.
 */
export function nodePresence(usage: readonly GpuHourUsageRow[]): Map<string, number> {
  // a GPU's minutes in an hour are split over the jobs that held it: add them up per GPU first
  const perGpu = new Map<string, Map<number, number>>();
  for (const u of usage) {
    const key = nodeHourKey(u.node, u.hourMs);
    const gpus = perGpu.get(key) ?? new Map<number, number>();
    gpus.set(u.gpuId, (gpus.get(u.gpuId) ?? 0) + u.minutes);
    perGpu.set(key, gpus);
  }
  return new Map([...perGpu].map(([key, gpus]) => [key, Math.min(60, Math.max(...gpus.values()))]));
}

export const nodeHourKey = (node: string, hourMs: number) => `${node}\u0000${hourMs}`;

export interface JobInfo {
  jobId: string;
  name: string;
  user: string | null;
  team: string | null;
  project: string | null;
  namespace: string | null;
}

export async function loadJobInfo(db: Db, refs: readonly number[]): Promise<Map<number, JobInfo>> {
  if (refs.length === 0) return new Map();
  const rows = await queryRows<{
    id: number;
    job_id: string;
    name: string;
    user: string | null;
    team: string | null;
    project: string | null;
    namespace: string | null;
  }>(
    db,
    sql`select id, job_id, name, "user", team, project, namespace from jobs
      where id = any(${sql.param([...refs])}::int[])`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        jobId: r.job_id,
        name: r.name,
        user: r.user,
        team: r.team,
        project: r.project,
        namespace: r.namespace,
      },
    ]),
  );
}

export interface NodeInstance {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string | null;
  market: string;
  gpuCount: number | null;
  gpuModel: string | null;
}

/** Cloud instances matched to nodes, with their type's GPU count. */
export async function loadNodeInstances(db: Db): Promise<Map<string, NodeInstance>> {
  const rows = await queryRows<{
    node: string;
    instance_id: string;
    instance_type: string;
    region: string;
    availability_zone: string | null;
    market: string;
    gpu_count: number | null;
    gpu_model: string | null;
  }>(
    db,
    sql`select c.node, c.instance_id, c.instance_type, c.region, c.availability_zone, c.market,
        t.gpu_count, t.gpu_model
      from cloud_instances c left join instance_types t on t.name = c.instance_type
      where c.node is not null`,
  );
  return new Map(
    rows.map((r) => [
      r.node,
      {
        instanceId: r.instance_id,
        instanceType: r.instance_type,
        region: r.region,
        availabilityZone: r.availability_zone,
        market: r.market,
        gpuCount: r.gpu_count && r.gpu_count > 0 ? r.gpu_count : null,
        gpuModel: r.gpu_model,
      },
    ]),
  );
}

export interface BilledCharge {
  startMs: number;
  endMs: number;
  currency: string;
  /** Scaled decimal text, summed in SQL (exact). */
  billed: string;
  pricingCategory: string | null;
}

/** Charges billed to the given instances over the window, per instance. */
export async function loadInstanceCharges(
  db: Db,
  instanceIds: readonly string[],
  from: Date,
  to: Date,
): Promise<Map<string, BilledCharge[]>> {
  const out = new Map<string, BilledCharge[]>();
  if (instanceIds.length === 0) return out;
  const rows = await queryRows<{
    instance_id: string;
    start: Date | string;
    end: Date | string;
    currency: string;
    pricing_category: string | null;
    billed: string;
  }>(
    db,
    sql`select ${INSTANCE_ID} as instance_id, charge_period_start as start, charge_period_end as "end", currency,
        pricing_category, sum(billed_cost)::text as billed
      from billing_lines
      where ${overlaps(from, to)} and ${INSTANCE_ID} = any(${sql.param([...instanceIds])}::text[])
      group by 1, 2, 3, 4, 5`,
  );
  for (const r of rows) {
    const list = out.get(r.instance_id) ?? [];
    list.push({
      startMs: new Date(r.start).getTime(),
      endMs: new Date(r.end).getTime(),
      currency: r.currency,
      billed: r.billed,
      pricingCategory: r.pricing_category,
    });
    out.set(r.instance_id, list);
  }
  return out;
}

export interface OtherCharge extends BilledCharge {
  serviceName: string | null;
  team: string | null;
  project: string | null;
}

/**
 * Charges no node covers (other services, instances gpuscope does not track), grouped by the owner their tags
 * name: the first configured tag key present wins.
 */
export async function loadOtherCharges(
  db: Db,
  nodeInstanceIds: readonly string[],
  teamTags: readonly string[],
  projectTags: readonly string[],
  from: Date,
  to: Date,
): Promise<OtherCharge[]> {
  const firstTag = (keys: readonly string[]) =>
    keys.length === 0
      ? sql`null::text`
      : sql`coalesce(${sql.join(
          keys.map((k) => sql`nullif(tags->>${k}, '')`),
          sql`, `,
        )})`;
  const rows = await queryRows<{
    start: Date | string;
    end: Date | string;
    currency: string;
    pricing_category: string | null;
    service_name: string | null;
    team: string | null;
    project: string | null;
    billed: string;
  }>(
    db,
    sql`select charge_period_start as start, charge_period_end as "end", currency, pricing_category, service_name,
        ${firstTag(teamTags)} as team, ${firstTag(projectTags)} as project, sum(billed_cost)::text as billed
      from billing_lines
      where ${overlaps(from, to)}
        and (resource_id is null or ${INSTANCE_ID} <> all(${sql.param([...nodeInstanceIds])}::text[]))
      group by 1, 2, 3, 4, 5, 6, 7`,
  );
  return rows.map((r) => ({
    startMs: new Date(r.start).getTime(),
    endMs: new Date(r.end).getTime(),
    currency: r.currency,
    pricingCategory: r.pricing_category,
    serviceName: r.service_name,
    team: r.team,
    project: r.project,
    billed: r.billed,
  }));
}
