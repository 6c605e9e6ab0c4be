/**
 * Money as a BigInt scaled by 10^10, matching the `numeric(…,10)` money columns: sums are exact, never floats.
 * Bills carry up to 11 decimals (FOCUS) and exponents (CUR writes `1.25E-6`); digits past the 10th are
 * rounded half away from zero, the way PostgreSQL rounds into numeric(24,10), so stored lines and the
 * totals computed here agree to the last digit.
 */
export type Decimal = bigint;

export const DECIMAL_PLACES = 10;
const SCALE = 10n ** BigInt(DECIMAL_PLACES);
/** numeric(24,10) holds 14 integer digits. */
const LIMIT = 10n ** 24n;
/** At most 14 integer digits and exactly ten places: within numeric(24,10), no rounding. */
const EXACT_SCALE = /^-?\d{1,14}\.\d{10}$/;
const PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

/** The value, or undefined for anything that is not a plain or exponent decimal within numeric(24,10). */
export function parseDecimal(text: string): Decimal | undefined {
  // PostgreSQL prints numeric(24,10) sums with exactly ten places: the digits are the scaled value already
  if (EXACT_SCALE.test(text)) return BigInt(text.slice(0, -11) + text.slice(-10));
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const digits = whole + fraction;
  const shift = Number(m[4] ?? 0) - fraction.length + DECIMAL_PLACES;
  let value: bigint;
  if (shift >= 0) {
    if (shift > 40) return isZero(digits) ? 0n : undefined;
    value = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const keep = digits.length + shift;
    if (keep <= 0) value = keep === 0 && digits.charCodeAt(0) >= 53 ? 1n : 0n;
    else value = BigInt(digits.slice(0, keep)) + (digits.charCodeAt(keep) >= 53 ? 1n : 0n);
  }
  if (value >= LIMIT) return undefined;
  return m[1] === '-' ? -value : value;
}

function isZero(digits: string): boolean {
  return /^0*$/.test(digits);
}

/** `-0.0000012500` style: always 10 places, as PostgreSQL prints numeric(24,10). */
export function formatDecimal(value: Decimal): string {
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(DECIMAL_PLACES + 1, '0');
  const point = text.length - DECIMAL_PLACES;
  return `${negative ? '-' : ''}${text.slice(0, point)}.${text.slice(point)}`;
}

export function sumDecimals(values: Iterable<Decimal>): Decimal {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

export { SCALE as DECIMAL_SCALE };

/** `value / divisor` (a positive integer, e.g. GPUs per instance) to 10 places, rounded half up. */
export function divideDecimal(value: string, divisor: number): string {
  if (!Number.isInteger(divisor) || divisor <= 0) throw new Error(`bad divisor ${divisor}`);
  const scaled = parseDecimal(value);
  if (scaled === undefined || scaled < 0n) throw new Error(`not a non-negative decimal: "${value}"`);
  const d = BigInt(divisor);
  return formatDecimal((scaled * 2n + d) / (2n * d));
}

/** A non-negative config number as a 10-place decimal string (no exponent notation). */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new Error(`not a price: ${value}`);
  return value.toFixed(DECIMAL_PLACES);
}
