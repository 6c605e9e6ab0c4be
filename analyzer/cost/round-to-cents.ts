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
  const order = byRemainderDescending(parts, floors);
  const result = floors;
  // floors undershoot by < 1 cent each and the rounded total differs from the exact one by ≤ 1 cent, so the
  // residual is under one cent per line
  for (let k = 0; residual !== 0n && order.length > 0; k++) {
    const i = order[k % order.length] as number;
    const step = residual > 0n ? 1n : -1n;
    result[i] = (result[i] ?? 0n) + step;
    residual -= step;
  }
  return { parts: result, total };
}

/** Below 2^20 lines, (remainder, index) packs into one exactly representable double key. */
const PACK = 2 ** 20;

/**
 * Line indexes by remainder (under one cent), largest first, ties by index. A remainder is below 1e8 scaled units,
 * exact as a double; packed with its index into one key, a typed-array sort (no comparator, no objects) orders
 * tens of thousands of lines in a fraction of the time.
 */
function byRemainderDescending(parts: readonly bigint[], floors: readonly bigint[]): number[] {
  const n = parts.length;
  if (n >= PACK) {
    return parts
      .map((p, i) => ({ i, rem: Number(p - (floors[i] ?? 0n) * CENT) }))
      .sort((a, b) => (a.rem === b.rem ? a.i - b.i : b.rem - a.rem))
      .map((x) => x.i);
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = Number((parts[i] as bigint) - (floors[i] as bigint) * CENT) * PACK + (PACK - 1 - i);
  }
  keys.sort();
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[k] = PACK - 1 - ((keys[n - 1 - k] as number) % PACK);
  return order;
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
