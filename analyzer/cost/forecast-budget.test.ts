import { describe, expect, it } from 'vitest';
import type { BudgetConfig } from '../../core/config.js';
import { type DailySpend, forecastBudget } from './forecast-budget.js';

const DAY_MS = 86_400_000;
const team = (monthlyUsd: number): BudgetConfig => ({ name: 'ml', team: 'ml-research', monthlyUsd });

/** Daily spend from `first` on, one value per consecutive UTC day. */
function days(first: string, costs: readonly (string | number)[]): DailySpend[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return costs.map((c, i) => ({
    day: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
    costUsd: String(c),
  }));
}

const at = (iso: string) => new Date(iso);
const nov = at('2026-11-01T00:00:00Z');

describe('forecastBudget', () => {
  it('forecasts a constant 100/day at 100 x the 30 days of November, exactly the budget: ok', () => {
    const s = forecastBudget({
      budget: team(3000),
      monthStart: nov,
      now: at('2026-11-11T00:00:00Z'),
      daily: days('2026-11-01', Array(10).fill(100)),
    });
    expect(s).toEqual({
      name: 'ml',
      scope: { kind: 'team', value: 'ml-research' },
      monthlyUsd: '3000.00',
      spentUsd: '1000.00',
      runRateUsdPerDay: '100.00',
      trendUsdPerDay2: '0.00',
      forecastUsd: '3000.00',
      burnRatio: 0.333333,
      forecastRatio: 1,
      elapsedRatio: 0.333333,
      status: 'ok',
      exhaustionDate: null,
      daysInMonth: 30,
      runRateDays: 7,
      trendDays: 10,
    });
  });

  it("counts today's partial spend as spent and projects only the rest of today", () => {
    // 10 days x 100 + 50 so far at noon; 0.5 x 100 left today and 19 full days
    const s = forecastBudget({
      budget: team(3000),
      monthStart: nov,
      now: at('2026-11-11T12:00:00Z'),
      daily: days('2026-11-01', [...Array(10).fill(100), 50]),
    });
    expect(s.spentUsd).toBe('1050.00');
    expect(s.runRateUsdPerDay).toBe('100.00');
    expect(s.forecastUsd).toBe('3000.00');
    expect(s.elapsedRatio).toBeCloseTo(10.5 / 30, 6);
  });

  it('flags at_risk in a 31-day month and dates the day the projection passes the budget', () => {
    // January 2027: 120/day x 31 = 3720; 1200 spent by the 11th, 3000 reached at the end of the 25th
    const s = forecastBudget({
      budget: team(3000),
      monthStart: at('2027-01-01T00:00:00Z'),
      now: at('2027-01-11T00:00:00Z'),
      daily: days('2027-01-01', Array(10).fill(120)),
    });
    expect(s).toMatchObject({
      daysInMonth: 31,
      spentUsd: '1200.00',
      forecastUsd: '3720.00',
      forecastRatio: 1.24,
      status: 'at_risk',
      exhaustionDate: '2027-01-26',
    });
  });

  it('adds the trend on top of the run rate for spend that grows linearly', () => {
    // day d costs 10·d. Run rate = mean(80..140) = 110 at the centre of days 8..14, slope 10/day²;
    // day 15+j is forecast at 110 + 10·(j+1+3) = 10·(15+j): Σ 150..300 = 3600, spent Σ 10..140 = 1050
    const s = forecastBudget({
      budget: team(4000),
      monthStart: nov,
      now: at('2026-11-15T00:00:00Z'),
      daily: days(
        '2026-11-01',
        Array.from({ length: 14 }, (_, i) => 10 * (i + 1)),
      ),
    });
    expect(s).toMatchObject({
      spentUsd: '1050.00',
      runRateUsdPerDay: '110.00',
      trendUsdPerDay2: '10.00',
      forecastUsd: '4650.00',
      status: 'at_risk',
      // cumulative 10·Σ1..28 = 4060 > 4000, 10·Σ1..27 = 3780
      exhaustionDate: '2026-11-28',
      runRateDays: 7,
      trendDays: 14,
    });
  });

  it('never forecasts spend going down: a falling trend floors the days left at zero', () => {
    // 140, 130, …, 10: run rate 40, slope −10, so every day left projects ≤ 0
    const s = forecastBudget({
      budget: team(2000),
      monthStart: nov,
      now: at('2026-11-15T00:00:00Z'),
      daily: days(
        '2026-11-01',
        Array.from({ length: 14 }, (_, i) => 140 - 10 * i),
      ),
    });
    expect(s).toMatchObject({
      spentUsd: '1050.00',
      runRateUsdPerDay: '40.00',
      trendUsdPerDay2: '-10.00',
      forecastUsd: '1050.00',
      status: 'ok',
    });
  });

  it('marks a budget already passed exceeded, dated the day the month-to-date spend crossed it', () => {
    // 200/day: 1000 after the 5th (not over), 1200 on the 6th; 18:00 leaves 0.25 of today + 24 days
    const s = forecastBudget({
      budget: team(1000),
      monthStart: nov,
      now: at('2026-11-06T18:00:00Z'),
      daily: days('2026-11-01', Array(6).fill(200)),
    });
    expect(s).toMatchObject({
      spentUsd: '1200.00',
      forecastUsd: '6050.00',
      burnRatio: 1.2,
      status: 'exceeded',
      exhaustionDate: '2026-11-06',
      runRateDays: 5,
    });
  });

  describe('a young month', () => {
    it('forecasts nothing on the 1st at midnight with no spend and no history', () => {
      const s = forecastBudget({ budget: team(1000), monthStart: nov, now: nov, daily: [] });
      expect(s).toMatchObject({
        spentUsd: '0.00',
        runRateUsdPerDay: '0.00',
        trendUsdPerDay2: '0.00',
        forecastUsd: '0.00',
        burnRatio: 0,
        forecastRatio: 0,
        elapsedRatio: 0,
        status: 'ok',
        exhaustionDate: null,
        runRateDays: 0,
        trendDays: 0,
      });
    });

    it("uses last month's days for the run rate on the 1st", () => {
      // October 25..31 at 100/day; 25 spent by 06:00 → 25 + 0.75 x 100 + 29 x 100
      const s = forecastBudget({
        budget: team(3000),
        monthStart: nov,
        now: at('2026-11-01T06:00:00Z'),
        daily: [...days('2026-10-25', Array(7).fill(100)), { day: '2026-11-01', costUsd: '25' }],
      });
      expect(s).toMatchObject({ spentUsd: '25.00', forecastUsd: '3000.00', runRateDays: 7, trendDays: 7 });
    });

    it('averages the complete days there are when there is no history, with no trend under 3 days', () => {
      // Feb 2028 has 29 days: 2 days at 40 and 60 → run rate 50, 27 days left
      const s = forecastBudget({
        budget: team(1450),
        monthStart: at('2028-02-01T00:00:00Z'),
        now: at('2028-02-03T00:00:00Z'),
        daily: days('2028-02-01', [40, 60]),
      });
      expect(s).toMatchObject({
        daysInMonth: 29,
        runRateDays: 2,
        trendDays: 2,
        runRateUsdPerDay: '50.00',
        trendUsdPerDay2: '0.00',
        forecastUsd: '1450.00',
        status: 'ok',
      });
      expect(s.elapsedRatio).toBeCloseTo(2 / 29, 6);
    });
  });

  it('ends a leap February on the 29th', () => {
    // 50/day since mid January; noon on Feb 29 2028 with 25 spent: 28 x 50 + 25 + 0.5 x 50 = 29 x 50
    const s = forecastBudget({
      budget: team(1450),
      monthStart: at('2028-02-01T00:00:00Z'),
      now: at('2028-02-29T12:00:00Z'),
      daily: [...days('2028-01-15', Array(45).fill(50)), { day: '2028-02-29', costUsd: '25' }],
    });
    expect(s).toMatchObject({
      daysInMonth: 29,
      spentUsd: '1425.00',
      forecastUsd: '1450.00',
      status: 'ok',
      trendDays: 14,
    });
    expect(s.elapsedRatio).toBeCloseTo(28.5 / 29, 6);
  });

  it('has 28 days in February 2027', () => {
    const s = forecastBudget({
      budget: team(280),
      monthStart: at('2027-02-01T00:00:00Z'),
      now: at('2027-02-28T23:00:00Z'),
      daily: [],
    });
    expect(s.daysInMonth).toBe(28);
  });

  it('sums spend exactly: ten 0.1 rows and a 0.005 row make 1.005, which rounds to 1.01', () => {
    // in binary floating point the same sum rounds to 1.00
    const daily = [
      ...Array(10).fill({ day: '2026-11-01', costUsd: '0.1' }),
      { day: '2026-11-02', costUsd: '0.005' },
    ];
    const s = forecastBudget({ budget: team(1000), monthStart: nov, now: at('2026-11-02T01:00:00Z'), daily });
    expect(s.spentUsd).toBe('1.01');
  });

  it('sums 1000 rows of 0.1 to exactly 100', () => {
    const daily = Array.from({ length: 1000 }, (_, i) => ({
      day: `2026-11-${String((i % 9) + 1).padStart(2, '0')}`,
      costUsd: '0.1',
    }));
    const s = forecastBudget({ budget: team(400), monthStart: nov, now: at('2026-11-10T00:00:00Z'), daily });
    expect(s.spentUsd).toBe('100.00');
    expect(s.burnRatio).toBe(0.25);
  });

  it('keeps month-end spend out of next month and history out of spent', () => {
    const s = forecastBudget({
      budget: { name: 'llm', project: 'llm-pretrain', monthlyUsd: 100.5 },
      monthStart: nov,
      now: at('2026-11-30T23:59:59Z'),
      daily: [
        { day: '2026-10-31', costUsd: '7' },
        { day: '2026-11-30', costUsd: '3.25' },
        { day: '2026-12-01', costUsd: '9' },
      ],
    });
    expect(s).toMatchObject({
      scope: { kind: 'project', value: 'llm-pretrain' },
      monthlyUsd: '100.50',
      spentUsd: '3.25',
    });
  });

  describe('errors', () => {
    it('rejects a monthStart that is not 00:00 UTC on the 1st', () => {
      expect(() =>
        forecastBudget({ budget: team(1), monthStart: at('2026-11-02T00:00:00Z'), now: nov, daily: [] }),
      ).toThrow(/not 00:00 UTC on the 1st/);
    });

    it('rejects a now outside the month', () => {
      expect(() =>
        forecastBudget({ budget: team(1), monthStart: nov, now: at('2026-12-01T00:00:00Z'), daily: [] }),
      ).toThrow(/outside the month/);
    });

    it('names the bad day or amount', () => {
      const now = at('2026-11-05T00:00:00Z');
      expect(() =>
        forecastBudget({
          budget: team(1),
          monthStart: nov,
          now,
          daily: [{ day: '2026-11-31', costUsd: '1' }],
        }),
      ).toThrow('bad day "2026-11-31"');
      expect(() =>
        forecastBudget({
          budget: team(1),
          monthStart: nov,
          now,
          daily: [{ day: '2026-11-03', costUsd: 'x' }],
        }),
      ).toThrow('bad costUsd "x" on 2026-11-03');
    });
  });
});
