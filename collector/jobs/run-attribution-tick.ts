import type { Clock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import type { JobMetrics } from './metrics.js';
import { attributeRollups } from './queries.js';
import {
  findEarliestStartOfJobsUpdatedSince,
  listRunningJobsByTeam,
  listTeamActivity,
} from './read-queries.js';

/** How far back unattributed minutes are retried (a scheduler that was down catches up within this). */
const LOOKBACK_MS = 6 * 3_600_000;
/** A minute is attributed once closed; marked unattributed only after job readers had time to report. */
const CLOSED_AFTER_MS = 90_000;
const SETTLED_AFTER_MS = 10 * 60_000;
const ACTIVITY_WINDOW_MS = 15 * 60_000;

/** Unattributed minutes this recent are always retried; older ones only when a changed job reaches them. */
const RETRY_RECENT_MS = 30 * 60_000;

/** Remembers when the last pass ran, to find the jobs that arrived or changed since. */
export class AttributionState {
  lastRunAt: Date | null = null;
}

/**
 * From when unattributed minutes are tried again: the whole look-back on the first pass after a start (nothing
 * says what changed while we were away), else the last 30 minutes, reaching further back only as far as the
 * start of a job that arrived or changed since the previous pass.
 */
export function computeRetryFrom(input: {
  nowMs: number;
  from: number;
  firstPass: boolean;
  changedStart: number | null;
}): number {
  if (input.firstPass) return input.from;
  const recent = input.nowMs - RETRY_RECENT_MS;
  return Math.max(input.from, Math.min(recent, input.changedStart ?? recent));
}

export async function runAttributionTick(
  deps: { db: Db; clock: Clock; metrics: JobMetrics },
  state: AttributionState = new AttributionState(),
) {
  const nowMs = deps.clock.now();
  const from = nowMs - LOOKBACK_MS;
  const changedStart =
    state.lastRunAt === null
      ? null
      : ((await findEarliestStartOfJobsUpdatedSince(deps.db, state.lastRunAt))?.getTime() ?? null);
  const retryFrom = computeRetryFrom({ nowMs, from, firstPass: state.lastRunAt === null, changedStart });
  // a job upserted while this pass runs is seen by the next one
  state.lastRunAt = new Date(nowMs);
  const counts = await attributeRollups(deps.db, {
    from: new Date(from),
    to: new Date(nowMs - CLOSED_AFTER_MS),
    settledBefore: new Date(nowMs - SETTLED_AFTER_MS),
    retryFrom: new Date(retryFrom),
  });
  deps.metrics.attributedMinutes.inc({ method: 'exporter_label' }, counts.exporterLabel);
  deps.metrics.attributedMinutes.inc({ method: 'scheduler' }, counts.scheduler);
  deps.metrics.attributedMinutes.inc({ method: 'unattributed' }, counts.unattributed);
  await refreshTeamGauges(deps, nowMs);
  return counts;
}

/** Gauges are rebuilt each time so a team with nothing running disappears instead of freezing. */
async function refreshTeamGauges(deps: { db: Db; metrics: JobMetrics }, nowMs: number) {
  const [running, activity] = await Promise.all([
    listRunningJobsByTeam(deps.db),
    listTeamActivity(deps.db, new Date(nowMs - ACTIVITY_WINDOW_MS)),
  ]);
  deps.metrics.runningJobs.reset();
  deps.metrics.gpusAllocated.reset();
  for (const row of running) {
    deps.metrics.runningJobs.set({ source: row.source, team: row.team }, row.jobs);
    deps.metrics.gpusAllocated.set({ source: row.source, team: row.team }, row.gpus);
  }
  deps.metrics.teamActivity.reset();
  for (const row of activity) {
    if (row.activity !== null) deps.metrics.teamActivity.set({ team: row.team }, Number(row.activity));
  }
}
