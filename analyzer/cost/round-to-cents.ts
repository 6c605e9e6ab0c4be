import { DECIMAL_SCALE } from '../../core/decimal.js';

const CENT = DECIMAL_SCALE / 100n;

/**
 * Round exact amounts (scaled decimals) to cents so that the rounded parts add up to the rounded total:
 * largest-remainder apportionment. Rounding each line on its own can leave the lines a few cents off the
 * total; finance reports must add up, so the residual cents go to the lines whose remainders were largest.
 * Returns cents as bigint. `totalCents` fixes the total when it was already rounded elsewhere (a sub-split).
 */
export function apportionCents(
  parts: readonly bigint[],
  totalCents?: bigint,
): { parts: bigint[]; total: bigint } {
  const exactTotal = parts.reduce((s, p) => s + p, 0n);
  const total = totalCents ?? roundHalfAway(exactTotal);
  const floors = parts.map((p) => floorDiv(p, CENT));
  let residual = total - floors.reduce((s, f) => s + f, 0n);
  // a remainder is under one cent (1e8 scaled units): exact as a double, and sorting doubles is far cheaper than
  // sorting bigints when a report has tens of thousands of lines
  const remainders = parts.map((p, i) => Number(p - (floors[i] ?? 0n) * CENT));
  const order = remainders
    .map((rem, i) => ({ i, rem }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : b.rem - a.rem));
  const result = [...floors];
  // floors undershoot by < 1 cent each and the rounded total differs from the exact one by ≤ 1 cent, so the
  // residual is a few cents at most, one per line
  for (let k = 0; residual !== 0n && order.length > 0; k++) {
    const { i } = order[k % order.length] as { i: number };
    const step = residual > 0n ? 1n : -1n;
    result[i] = (result[i] ?? 0n) + step;
    residual -= step;
  }
  return { parts: result, total };
}

/** Cents of a scaled decimal, half away from zero. */
export function roundHalfAway(value: bigint): bigint {
  const negative = value < 0n;
  const v = negative ? -value : value;
  const cents = (v + CENT / 2n) / CENT;
  return negative ? -cents : cents;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** A report amount (`1234.56`, `-0.5`) as whole cents, exactly. Not a decimal: 0n. */
export function parseCents(amount: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!match) return 0n;
  const [, sign, whole, fraction] = match;
  const cents = BigInt(whole ?? '0') * 100n + BigInt((fraction ?? '').padEnd(2, '0'));
  return sign ? -cents : cents;
}

/** Cents as a `1234.56` string. */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const v = negative ? -cents : cents;
  const text = v.toString().padStart(3, '0');
  return `${negative ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
}
