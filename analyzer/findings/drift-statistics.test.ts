import { describe, expect, it } from 'vitest';
import {
  binomialUpperTail,
  fitLeastSquares,
  incompleteBeta,
  logGamma,
  mean,
  predictionSe,
  sampleSd,
  studentTCdf,
  testNewValueLower,
  testPoissonRateIncrease,
  testWelchLower,
  zScore,
} from './drift-statistics.js';

// Reference values from scipy.stats 1.x (t.cdf, t.sf, binom.sf, ttest_ind(equal_var=False)).
describe('studentTCdf', () => {
  it('gives a two-sided p of 0.0734 for t = 2.0 with 10 degrees of freedom', () => {
    expect(2 * (1 - studentTCdf(2, 10))).toBeCloseTo(0.073388, 5);
  });

  it('matches scipy in the lower tail, with fractional df, and at moderate df', () => {
    expect(studentTCdf(-3.169, 10)).toBeCloseTo(0.0050023, 6);
    expect(studentTCdf(0.5, 2.5)).toBeCloseTo(0.671151, 5);
    expect(studentTCdf(-1.5, 30)).toBeCloseTo(0.072033, 5);
  });

  it('is the Cauchy distribution at df = 1 and the normal one at large df', () => {
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 10);
    expect(studentTCdf(1.959964, 1e7)).toBeCloseTo(0.975, 5);
  });

  it('is symmetric, 0.5 at zero, and 0 or 1 at the infinities', () => {
    expect(studentTCdf(1.3, 7) + studentTCdf(-1.3, 7)).toBeCloseTo(1, 12);
    expect(studentTCdf(0, 4)).toBe(0.5);
    expect(studentTCdf(Number.NEGATIVE_INFINITY, 4)).toBe(0);
    expect(studentTCdf(Number.POSITIVE_INFINITY, 4)).toBe(1);
  });
});

describe('incompleteBeta and logGamma', () => {
  it('agrees with closed forms', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    // I_0.5(2, 3) = P(Binomial(4, 0.5) >= 2) = 11/16
    expect(incompleteBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 12);
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
  });
});

describe('binomialUpperTail', () => {
  it('is exact for a fair coin: P(X >= 8 of 10) = 56/1024', () => {
    expect(binomialUpperTail(8, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
  });

  it('matches scipy in the far tail', () => {
    expect(binomialUpperTail(10, 40, 6 / 168)).toBeCloseTo(1.06773e-6, 10);
    expect(binomialUpperTail(3, 30, 6 / 168)).toBeCloseTo(0.0905232, 6);
  });

  it('is 1 for k <= 0 and 0 for k > n', () => {
    expect(binomialUpperTail(0, 5, 0.1)).toBe(1);
    expect(binomialUpperTail(6, 5, 0.9)).toBe(0);
  });
});

describe('testPoissonRateIncrease', () => {
  it('finds 10 events in 6 h against 30 in 162 h significant', () => {
    const r = testPoissonRateIncrease(10, 6, 30, 162);
    expect(r.recentRate).toBeCloseTo(10 / 6, 12);
    expect(r.baselineRate).toBeCloseTo(30 / 162, 12);
    expect(r.pValue).toBeCloseTo(binomialUpperTail(10, 40, 6 / 168), 14);
    expect(r.pValue).toBeLessThan(1e-5);
  });

  it('finds a steady rate not significant', () => {
    expect(testPoissonRateIncrease(1, 6, 27, 162).pValue).toBeGreaterThan(0.5);
  });
});

describe('testWelchLower', () => {
  it('matches scipy ttest_ind(equal_var=False, alternative=less)', () => {
    const r = testWelchLower([1, 2, 3], [4, 5, 6, 7], 0);
    expect(r.t).toBeCloseTo(-4.0414519, 6);
    expect(r.df).toBeCloseTo(4.9591837, 6);
    expect(r.pLower).toBeCloseTo(0.0050385, 6);
  });

  it('stays finite for two flat samples thanks to the sd floor', () => {
    const r = testWelchLower([0.5, 0.5, 0.5], [0.8, 0.8, 0.8, 0.8], 0.02);
    expect(Number.isFinite(r.t)).toBe(true);
    expect(r.pLower).toBeLessThan(1e-4);
  });
});

describe('testNewValueLower', () => {
  it('uses the prediction interval with n - 1 degrees of freedom', () => {
    const baseline = [0.45, 0.55, 0.45, 0.55, 0.45, 0.55];
    const r = testNewValueLower(0.3, baseline, 0);
    const sd = sampleSd(baseline);
    expect(r.df).toBe(5);
    expect(r.t).toBeCloseTo((0.3 - 0.5) / (sd * Math.sqrt(1 + 1 / 6)), 12);
  });

  it('holds the sd at the floor for a flat baseline', () => {
    const r = testNewValueLower(0.3, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 0.05);
    // scipy: t.cdf((0.3 - 0.5) / (0.05 * sqrt(1 + 1/6)), 5)
    expect(r.pLower).toBeCloseTo(0.0069759, 6);
  });
});

describe('fitLeastSquares', () => {
  it('recovers an exact line with zero residual sd', () => {
    const fit = fitLeastSquares([0, 1, 2, 3], [2, 5, 8, 11]);
    expect(fit.slope).toBeCloseTo(3, 12);
    expect(fit.intercept).toBeCloseTo(2, 12);
    expect(fit.residualSd).toBeCloseTo(0, 12);
  });

  it('fits a noisy series like the textbook example', () => {
    const fit = fitLeastSquares([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(fit.slope).toBeCloseTo(0.6, 12);
    expect(fit.intercept).toBeCloseTo(2.2, 12);
    expect(fit.residualSd).toBeCloseTo(Math.sqrt(2.4 / 3), 12);
    // one step past the data: s * sqrt(1 + 1/5 + (6 - 3)^2 / 10)
    expect(predictionSe(fit, 6)).toBeCloseTo(Math.sqrt(0.8) * Math.sqrt(1 + 0.2 + 0.9), 12);
  });
});

describe('mean, sampleSd and zScore', () => {
  it('computes them and floors the sd', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.13809, 5);
    expect(sampleSd([3])).toBe(0);
    expect(zScore(0.4, 0.5, 0, 0.02)).toBeCloseTo(-5, 12);
    expect(zScore(0.4, 0.5, 0.05, 0.02)).toBeCloseTo(-2, 12);
  });
});
