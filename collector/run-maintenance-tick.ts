import type { Clock } from '../core/clock.js';
import type { Db } from '../core/db.js';
import { deleteExpiredRollups, rollupHourly } from './queries.js';
import { listJobUsageHoursDue, summarizeJobUsageHours } from './rollup/summarize-job-usage.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Keeps the hourly level current (the last two hours are recomputed, so a late minute is
 * folded in), summarizes job usage for the hours whose minutes changed, and deletes rollups past
 * retention. Idempotent.
 */
export async function runMaintenanceTick(
  deps: { db: Db; clock: Clock },
  retention: { minuteRollupDays: number; hourlyRollupDays: number },
) {
  const now = deps.clock.now();
  const hourStart = now - (now % HOUR);
  const hourlyRows = await rollupHourly(deps.db, new Date(hourStart - HOUR), new Date(hourStart + HOUR));
  const minuteFrom = new Date(now - retention.minuteRollupDays * DAY);
  const jobUsage = await summarizeJobUsageHours(
    deps.db,
    await listJobUsageHoursDue(deps.db, now, minuteFrom),
  );
  const deleted = await deleteExpiredRollups(
    deps.db,
    minuteFrom,
    new Date(now - retention.hourlyRollupDays * DAY),
  );
  return { hourlyRows, jobUsageHours: jobUsage.hours, deleted };
}
