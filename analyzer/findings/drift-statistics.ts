/** Small, dependency-free statistics for the drift detectors. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** (x − mean) / sd, the sd held at `sdFloor` or above so a flat baseline does not make every wobble infinite. */
export function zScore(x: number, baselineMean: number, sd: number, sdFloor: number): number {
  return (x - baselineMean) / Math.max(sd, sdFloor);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, about 15 digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // the fraction converges fast on this side of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (df need not be whole: Welch). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** P(X ≥ k) for X ~ Binomial(n, p), exact through I_p(k, n − k + 1). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return incompleteBeta(p, k, n - k + 1);
}

export interface RateTest {
  recentRate: number;
  baselineRate: number;
  /** One-sided: the recent rate is higher. */
  pValue: number;
}

/**
 * One-sided comparison of two Poisson rates, conditional on the total: given k = kRecent + kBaseline events, the
 * recent count is Binomial(k, recentExposure / totalExposure) when the rate did not change.
 */
export function testPoissonRateIncrease(
  kRecent: number,
  recentExposure: number,
  kBaseline: number,
  baselineExposure: number,
): RateTest {
  const recentRate = recentExposure > 0 ? kRecent / recentExposure : 0;
  const baselineRate = baselineExposure > 0 ? kBaseline / baselineExposure : 0;
  const total = recentExposure + baselineExposure;
  const share = total > 0 ? recentExposure / total : 1;
  return { recentRate, baselineRate, pValue: binomialUpperTail(kRecent, kRecent + kBaseline, share) };
}

export interface WelchTest {
  t: number;
  df: number;
  /** One-sided: the mean of `a` is lower than the mean of `b`. */
  pLower: number;
}

/**
 * Welch's unequal-variance t-test of `a` against `b` (each at least two values). Variances are held at
 * `sdFloor`² or above, so two flat samples still give a finite t.
 */
export function testWelchLower(a: readonly number[], b: readonly number[], sdFloor: number): WelchTest {
  const va = Math.max(sampleSd(a) ** 2, sdFloor ** 2) / a.length;
  const vb = Math.max(sampleSd(b) ** 2, sdFloor ** 2) / b.length;
  const t = (mean(a) - mean(b)) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df, pLower: studentTCdf(t, df) };
}

/**
 * One new value against a baseline sample: t = (x − mean) / (sd·√(1 + 1/n)) with n − 1 degrees of freedom (the
 * prediction interval), one-sided lower. The sd is held at `sdFloor` or above.
 */
export function testNewValueLower(x: number, baseline: readonly number[], sdFloor: number): WelchTest {
  const n = baseline.length;
  const sd = Math.max(sampleSd(baseline), sdFloor);
  const t = (x - mean(baseline)) / (sd * Math.sqrt(1 + 1 / n));
  return { t, df: n - 1, pLower: studentTCdf(t, n - 1) };
}

export interface LineFit {
  slope: number;
  intercept: number;
  n: number;
  /** √(Σ residual² / (n − 2)); 0 under three points. */
  residualSd: number;
  meanX: number;
  /** Σ (x − x̄)². */
  sxx: number;
}

/** Ordinary least squares y = intercept + slope·x (at least two distinct x). */
export function fitLeastSquares(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    sxx += dx * dx;
    sxy += dx * ((ys[i] as number) - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += ((ys[i] as number) - intercept - slope * (xs[i] as number)) ** 2;
  const residualSd = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  return { slope, intercept, n, residualSd, meanX: mx, sxx };
}

/** Standard error of a new observation at x0 around the fitted line: s·√(1 + 1/n + (x0 − x̄)²/Sxx). */
export function predictionSe(fit: LineFit, x0: number): number {
  const lever = fit.sxx > 0 ? (x0 - fit.meanX) ** 2 / fit.sxx : 0;
  return fit.residualSd * Math.sqrt(1 + 1 / fit.n + lever);
}
