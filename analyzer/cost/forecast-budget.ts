import type { BudgetConfig } from '../../core/config.js';
import { DECIMAL_SCALE, type Decimal, numberToDecimal, parseDecimal } from '../../core/decimal.js';
import { formatCents, roundHalfAway } from './round-to-cents.js';

const DAY_MS = 86_400_000;
const RUN_RATE_DAYS = 7;
const TREND_DAYS = 14;
const MIN_TREND_POINTS = 3;

export type BudgetScopeKind = 'team' | 'project';
export type BudgetState = 'ok' | 'at_risk' | 'exceeded';

/** One budget's month so far and its month-end projection. Money: decimal strings in cents. */
export interface BudgetStatus {
  name: string;
  scope: { kind: BudgetScopeKind; value: string };
  monthlyUsd: string;
  /** Month to date, today's partial spend included; summed exactly. */
  spentUsd: string;
  /** Mean daily spend of the last 7 complete days (fewer when history is short). */
  runRateUsdPerDay: string;
  /** Least-squares slope of daily spend over the last 14 complete days, USD per day per day. */
  trendUsdPerDay2: string;
  forecastUsd: string;
  burnRatio: number;
  forecastRatio: number;
  elapsedRatio: number;
  status: BudgetState;
  /** The UTC day spend passed (or is projected to pass) the budget this month; null if it does not. */
  exhaustionDate: string | null;
  daysInMonth: number;
  /** Complete days behind the run rate and the trend. */
  runRateDays: number;
  trendDays: number;
}

export interface DailySpend {
  /** YYYY-MM-DD, UTC. */
  day: string;
  costUsd: string;
}

export interface ForecastBudgetInput {
  budget: BudgetConfig;
  /** 00:00 UTC on the 1st of the month. */
  monthStart: Date;
  now: Date;
  /** The scope's spend per UTC day; days before monthStart are history for the rates. Missing days cost 0. */
  daily: readonly DailySpend[];
  /** First day the cost data covers before monthStart; default: the earliest day in `daily`. */
  historyFrom?: Date | undefined;
}

/**
 * Month-end forecast of one budget.
 *
 * Method: forecast = spent + Σ_{k=1..R} max(0, runRate + slope·(k + (n−1)/2)) over the R days left (k=1 is
 * today, weighted by the part of today still to come), floored at spent since spend never goes down.
 * A run rate alone (mean of the last 7 complete days) is robust to one noisy day but lags a ramp; the trend
 * (least-squares slope over 14 days) catches a team scaling up or winding down. The run rate is the level at
 * the centre of its n-day window, so day k lies k + (n−1)/2 days past it: without that shift a linear ramp
 * would be under-forecast by slope·(n+1)/2 per day. Today is partial, so it counts in spent, never in rates.
 * With no complete day yet (the 1st, no history) the run rate is 0 and the forecast is what is spent.
 */
export function forecastBudget(input: ForecastBudgetInput): BudgetStatus {
  const { budget, now } = input;
  const monthStartMs = input.monthStart.getTime();
  const monthEndMs = nextMonthStart(monthStartMs);
  const nowMs = now.getTime();
  if (nowMs < monthStartMs || nowMs >= monthEndMs) {
    throw new Error(`now ${now.toISOString()} is outside the month of ${input.monthStart.toISOString()}`);
  }
  const todayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const byDay = sumByDay(input.daily);
  const earliest = Math.min(monthStartMs, ...byDay.keys());
  const dataFrom = Math.min(monthStartMs, input.historyFrom?.getTime() ?? earliest);

  const rateSeries = completeDays(byDay, Math.max(dataFrom, todayMs - RUN_RATE_DAYS * DAY_MS), todayMs);
  const trendSeries = completeDays(byDay, Math.max(dataFrom, todayMs - TREND_DAYS * DAY_MS), todayMs);
  const runRate = mean(rateSeries);
  const slope = trendSeries.length < MIN_TREND_POINTS ? 0 : leastSquaresSlope(trendSeries);

  let spent = 0n;
  for (const [day, cost] of byDay) if (day >= monthStartMs && day < monthEndMs) spent += cost;
  const limit = parseDecimal(numberToDecimal(budget.monthlyUsd))!;

  const projection = projectDays({ todayMs, nowMs, monthEndMs, runRate, slope, n: rateSeries.length });
  let forecast = spent;
  let exhaustionMs = spent > limit ? crossingDay(byDay, monthStartMs, monthEndMs, limit) : null;
  for (const { dayMs, amount } of projection) {
    forecast += amount;
    if (exhaustionMs === null && forecast > limit) exhaustionMs = dayMs;
  }

  const daysInMonth = (monthEndMs - monthStartMs) / DAY_MS;
  return {
    name: budget.name,
    scope: budgetScope(budget),
    monthlyUsd: formatCents(roundHalfAway(limit)),
    spentUsd: formatCents(roundHalfAway(spent)),
    runRateUsdPerDay: formatCents(roundHalfAway(toDecimal(runRate))),
    trendUsdPerDay2: formatCents(roundHalfAway(toDecimal(slope))),
    forecastUsd: formatCents(roundHalfAway(forecast)),
    burnRatio: ratio(spent, limit),
    forecastRatio: ratio(forecast, limit),
    elapsedRatio: round6((nowMs - monthStartMs) / (monthEndMs - monthStartMs)),
    status: spent > limit ? 'exceeded' : forecast > limit ? 'at_risk' : 'ok',
    exhaustionDate: exhaustionMs === null ? null : isoDay(exhaustionMs),
    daysInMonth,
    runRateDays: rateSeries.length,
    trendDays: trendSeries.length,
  };
}

export function budgetScope(budget: BudgetConfig): BudgetStatus['scope'] {
  if (budget.team !== undefined) return { kind: 'team', value: budget.team };
  if (budget.project !== undefined) return { kind: 'project', value: budget.project };
  throw new Error(`budget ${budget.name} names neither a team nor a project`);
}

/** 00:00 UTC on the 1st of the month `at` falls in. */
export function utcMonthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function nextMonthStart(monthStartMs: number): number {
  const d = new Date(monthStartMs);
  if (d.getUTCDate() !== 1 || monthStartMs % DAY_MS !== 0) {
    throw new Error(`monthStart ${d.toISOString()} is not 00:00 UTC on the 1st`);
  }
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function parseDay(day: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || isoDay(ms) !== day) throw new Error(`daily spend: bad day "${day}"`);
  return ms;
}

function sumByDay(daily: readonly DailySpend[]): Map<number, Decimal> {
  const byDay = new Map<number, Decimal>();
  for (const { day, costUsd } of daily) {
    const cost = parseDecimal(costUsd);
    if (cost === undefined) throw new Error(`daily spend: bad costUsd "${costUsd}" on ${day}`);
    const ms = parseDay(day);
    byDay.set(ms, (byDay.get(ms) ?? 0n) + cost);
  }
  return byDay;
}

/** Spend of each day in [fromMs, toMs), in USD, 0 for days without rows. */
function completeDays(byDay: Map<number, Decimal>, fromMs: number, toMs: number): number[] {
  const series: number[] = [];
  for (let d = fromMs; d < toMs; d += DAY_MS) series.push(toNumber(byDay.get(d) ?? 0n));
  return series;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

function leastSquaresSlope(ys: readonly number[]): number {
  const xMean = (ys.length - 1) / 2;
  const yMean = mean(ys);
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - xMean) * (y - yMean);
    den += (x - xMean) ** 2;
  });
  return num / den;
}

function projectDays(p: {
  todayMs: number;
  nowMs: number;
  monthEndMs: number;
  runRate: number;
  slope: number;
  n: number;
}): { dayMs: number; amount: Decimal }[] {
  const centreOffset = p.n === 0 ? 0 : (p.n - 1) / 2;
  const days: { dayMs: number; amount: Decimal }[] = [];
  for (let k = 1, dayMs = p.todayMs; dayMs < p.monthEndMs; k++, dayMs += DAY_MS) {
    const weight = k === 1 ? (p.todayMs + DAY_MS - p.nowMs) / DAY_MS : 1;
    const perDay = Math.max(0, p.runRate + p.slope * (k + centreOffset));
    days.push({ dayMs, amount: toDecimal(perDay * weight) });
  }
  return days;
}

/** The first month day on which cumulative spend went past the limit. */
function crossingDay(byDay: Map<number, Decimal>, fromMs: number, toMs: number, limit: Decimal): number {
  let total = 0n;
  const days = [...byDay.keys()].filter((d) => d >= fromMs && d < toMs).sort((a, b) => a - b);
  for (const d of days) {
    total += byDay.get(d) ?? 0n;
    if (total > limit) return d;
  }
  return fromMs;
}

function toNumber(value: Decimal): number {
  return Number(value) / Number(DECIMAL_SCALE);
}

/** A projected amount as a scaled decimal, to the micro-dollar: float noise must not flip `forecast > limit`. */
function toDecimal(usd: number): Decimal {
  return BigInt(Math.round(usd * 1e6)) * (DECIMAL_SCALE / 1_000_000n);
}

function ratio(value: Decimal, limit: Decimal): number {
  return round6(Number((value * 1_000_000n) / limit) / 1_000_000);
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
