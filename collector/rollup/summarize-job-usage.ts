import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';

const HOUR = 3_600_000;
export const MEMORY_STEP_BYTES = 2 ** 20;
/** Activity is kept in hundredths: `activity_percent` values read back as value / ACTIVITY_STEPS. */
export const ACTIVITY_STEPS = 100;

/**
 * A minute's activity on the histograms' grid (in hundredths): every hundredth under half busy, where all of
 * right-sizing's thresholds lie (0.05 idle … 0.4 for the largest partial MIG slice), every twentieth above it,
 * which a busy GPU's percentiles need no finer and which makes its hour's histogram a third of the size.
 */
export function activityStep(column: string) {
  return sql.raw(
    `(case when ${column} < 0.5 then round(${column} * 100) else 50 + round((${column} - 0.5) * 20) * 5 end)`,
  );
}

/**
 * Marks the hours of these minutes changed, so their job-usage summaries stop counting as clean. Call in the
 * transaction (or statement) that writes or re-attributes the minutes: the mark then commits with the change.
 */
export async function markJobUsageHoursChanged(db: Db, buckets: readonly Date[]): Promise<void> {
  const hours = [...new Set(buckets.map((b) => b.getTime() - (b.getTime() % HOUR)))];
  if (hours.length === 0) return;
  await db.execute(sql`insert into job_usage_hours as h (hour)
    select unnest(${sql.param(hours.map((h) => new Date(h).toISOString()))}::timestamptz[])
    on conflict (hour) do update set change_version = h.change_version + 1`);
}

/** The same mark, as a CTE tail for a data-modifying statement that returns the changed minutes' `bucket`s. */
export function markChangedHoursFrom(changed: string) {
  return sql.raw(`, marked as (
      insert into job_usage_hours as h (hour)
      select distinct date_trunc('hour', bucket) from ${changed}
      on conflict (hour) do update set change_version = h.change_version + 1
      returning 1)`);
}

/**
 * Rebuilds the job-usage summaries of whole hours from the minutes, in one transaction, and records the change
 * version each reflects. The version is read before the minutes are: a change committed in between leaves the
 * hour marked dirty, so it is summarized again rather than trusted.
 */
export async function summarizeJobUsageHours(
  db: Db,
  hours: readonly Date[],
): Promise<{ hours: number; rows: number }> {
  const starts = [...new Set(hours.map((h) => h.getTime() - (h.getTime() % HOUR)))].sort((a, b) => a - b);
  if (starts.length === 0) return { hours: 0, rows: 0 };
  const hourList = sql`${sql.param(starts.map((h) => new Date(h).toISOString()))}::timestamptz[]`;
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await t.execute(
      sql`insert into job_usage_hours (hour) select unnest(${hourList}) on conflict (hour) do nothing`,
    );
    const versions = await queryRows<{ hour: Date; change_version: number }>(
      t,
      sql`select hour, change_version from job_usage_hours where hour = any(${hourList})`,
    );
    await t.execute(sql`delete from job_gpu_usage_hours where hour = any(${hourList})`);
    const inserted = await queryRows<{ n: number }>(t, insertSummaries(hourList, starts));
    await t.execute(sql`update job_usage_hours h set summarized_version = v.version, summarized_at = now()
      from unnest(${sql.param(versions.map((v) => new Date(v.hour).toISOString()))}::timestamptz[],
        ${sql.param(versions.map((v) => v.change_version))}::int4[]) as v(hour, version)
      where h.hour = v.hour`);
    return { hours: starts.length, rows: inserted[0]?.n ?? 0 };
  });
}

function insertSummaries(hourList: ReturnType<typeof sql>, starts: readonly number[]) {
  const from = new Date(starts[0]!);
  const to = new Date(starts[starts.length - 1]! + HOUR);
  return sql`with m as (
      select r.job_ref, r.gpu_id, date_trunc('hour', r.bucket) as hour, r.activity_max, r.memory_used_max_bytes,
        r.memory_total_bytes, greatest(coalesce(r.encoder_mean, 0), coalesce(r.decoder_mean, 0)) as codec,
        r.gpu_util_mean, r.energy_joules, r.power_mean_watts
      from gpu_rollups r
      where r.bucket >= ${from} and r.bucket < ${to} and r.job_ref is not null
        and date_trunc('hour', r.bucket) = any(${hourList})
    ),
    a as (
      select job_ref, gpu_id, hour, v, count(*)::int2 as c
      from (select job_ref, gpu_id, hour, ${activityStep('activity_max')}::int2 as v from m
        where activity_max is not null) x
      group by 1, 2, 3, 4
    ),
    ah as (select job_ref, gpu_id, hour, array_agg(v order by v) as vs, array_agg(c order by v) as cs
      from a group by 1, 2, 3),
    b as (
      select job_ref, gpu_id, hour, v, count(*)::int2 as c
      from (select job_ref, gpu_id, hour, round(memory_used_max_bytes / ${MEMORY_STEP_BYTES})::int4 as v from m
        where memory_used_max_bytes is not null) x
      group by 1, 2, 3, 4
    ),
    bh as (select job_ref, gpu_id, hour, array_agg(v order by v) as vs, array_agg(c order by v) as cs
      from b group by 1, 2, 3),
    s as (
      select job_ref, gpu_id, hour, count(*)::int as minutes, count(activity_max)::int as activity_minutes,
        percentile_disc(0.95) within group (order by ${activityStep('activity_max')})::float8
          / ${ACTIVITY_STEPS} as activity_p95,
        max(activity_max) as activity_max, max(memory_used_max_bytes) as memory_max,
        max(memory_total_bytes) as memory_total, max(codec) as codec_max,
        sum(gpu_util_mean) as gpu_util_sum, count(gpu_util_mean)::int as gpu_util_count,
        count(energy_joules)::int as energy_count, sum(energy_joules) as energy,
        sum(power_mean_watts) as power_sum, count(power_mean_watts)::int as power_count
      from m group by 1, 2, 3
    ),
    ins as (
      insert into job_gpu_usage_hours (job_ref, gpu_id, hour, minutes, activity_minutes, activity_percent,
        activity_counts, memory_mib, memory_counts, activity_p95, activity_max, memory_used_max_bytes, memory_total_bytes,
        codec_max, gpu_util_sum, gpu_util_count, energy_count, energy_joules, power_sum_watts, power_count)
      select s.job_ref, s.gpu_id, s.hour, s.minutes, s.activity_minutes, coalesce(ah.vs, '{}'),
        coalesce(ah.cs, '{}'), coalesce(bh.vs, '{}'), coalesce(bh.cs, '{}'), s.activity_p95, s.activity_max,
        s.memory_max,
        s.memory_total, s.codec_max, s.gpu_util_sum, s.gpu_util_count, s.energy_count, s.energy, s.power_sum,
        s.power_count
      from s left join ah using (job_ref, gpu_id, hour) left join bh using (job_ref, gpu_id, hour)
      returning 1
    )
    select count(*)::int as n from ins`;
}

/**
 * Complete hours whose minutes changed since their summary (every hour the collector wrote to is one), newest
 * first, at most `limit`: a backlog after a long outage is worked off over several ticks.
 */
export async function listJobUsageHoursDue(db: Db, nowMs: number, oldest: Date, limit = 24): Promise<Date[]> {
  const rows = await queryRows<{ hour: Date }>(
    db,
    sql`select hour from job_usage_hours
      where hour >= ${oldest} and hour < ${new Date(nowMs - (nowMs % HOUR))}
        and summarized_version is distinct from change_version
      order by hour desc limit ${limit}`,
  );
  return rows.map((r) => new Date(r.hour));
}
