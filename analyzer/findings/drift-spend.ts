import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import { formatDecimal, numberToDecimal, parseDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import { fitLeastSquares, mean, predictionSe } from './drift-statistics.js';
import { DAY, type DriftThresholds, round } from './drift-thresholds.js';

export interface SpendVerdict {
  drifted: boolean;
  excessUsd: number;
  values: Record<string, number | string | null>;
}

/**
 * `daily` holds the spend of the `trendDays` complete days before the last one (index 0 oldest; undefined = no
 * data yet) and the last day's spend. The last day is compared with the least-squares line through the others.
 */
export function judgeSpendDrift(
  daily: readonly (number | undefined)[],
  last: number,
  t: DriftThresholds,
): SpendVerdict | undefined {
  const start = daily.findIndex((d) => d !== undefined);
  if (start < 0) return undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  // days without a row after the first with one cost nothing
  for (let i = start; i < daily.length; i++) {
    xs.push(i);
    ys.push(daily[i] ?? 0);
  }
  if (xs.length < t.spendMinDays) return undefined;
  const fit = fitLeastSquares(xs, ys);
  const x0 = daily.length;
  const expected = fit.intercept + fit.slope * x0;
  const floor = Math.max(t.spendSdFloorUsd, t.spendSdFloorShare * Math.abs(mean(ys)));
  const se = Math.max(predictionSe(fit, x0), floor);
  const excess = last - expected;
  const z = excess / se;
  return {
    drifted: z >= t.spendZ && excess >= t.spendMinUsd,
    excessUsd: excess,
    values: {
      lastDayUsd: round(last, 2),
      expectedUsd: round(expected, 2),
      excessUsd: round(excess, 2),
      slopeUsdPerDay: round(fit.slope, 2),
      residualSdUsd: round(fit.residualSd, 2),
      predictionSeUsd: round(se, 2),
      baselineMeanUsd: round(mean(ys), 2),
      baselineDays: xs.length,
      z: round(z, 2),
    },
  };
}

export async function detectSpendDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const dayStart = Math.floor(at.getTime() / DAY) * DAY;
  const lastDay = dayStart - DAY;
  const from = lastDay - t.spendTrendDays * DAY;
  const rows = await queryRows<{ team: string; day: string | Date; usd: number }>(
    db,
    sql`select team, day, sum(cost)::float8 as usd from cost_allocations_daily
      where cluster = ${cluster} and team is not null and currency = 'USD' and cost is not null
        and day >= ${new Date(from)} and day < ${new Date(dayStart)}
      group by team, day order by team, day`,
  );
  const byTeam = new Map<string, (number | undefined)[]>();
  for (const r of rows) {
    const days = byTeam.get(r.team) ?? new Array<number | undefined>(t.spendTrendDays + 1).fill(undefined);
    days[Math.round((new Date(r.day).getTime() - from) / DAY)] = Number(r.usd);
    byTeam.set(r.team, days);
  }
  const detections: Detection[] = [];
  for (const [team, days] of byTeam) {
    const last = days[t.spendTrendDays];
    if (last === undefined) continue;
    const v = judgeSpendDrift(days.slice(0, t.spendTrendDays), last, t);
    if (!v?.drifted) continue;
    const excessUsd = numberToDecimal(Math.round(v.excessUsd * 1e6) / 1e6);
    detections.push({
      kind: 'drift_spend',
      subject: { type: 'team', id: team },
      severity: 'warning',
      title: `Team ${team} spent $${v.values.lastDayUsd} on ${new Date(lastDay).toISOString().slice(0, 10)}, $${v.values.excessUsd} over its trend`,
      evidence: {
        metric: 'daily cost per team (cost_allocations_daily, USD)',
        window: { from: new Date(from).toISOString(), to: new Date(dayStart).toISOString() },
        values: v.values,
        threshold: { z: t.spendZ, minUsd: t.spendMinUsd, sdFloorUsd: t.spendSdFloorUsd },
        method: `least-squares trend over ${t.spendTrendDays} days, residual z-score (prediction standard error)`,
        samples: Number(v.values.baselineDays),
      },
      impactCostUsd: excessUsd,
      impactMonthlyUsd: formatDecimal((parseDecimal(excessUsd) ?? 0n) * 30n),
      recommendation: `Check what team ${team} started running: its spend left its ${t.spendTrendDays}-day trend.`,
    });
  }
  return detections;
}
