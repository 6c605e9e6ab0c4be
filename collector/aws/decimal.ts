/** Exact decimal helpers for prices (10 decimal places, as `prices.usd_per_hour` stores them). */
const SCALE = 10;
const ONE = 10n ** BigInt(SCALE);

function toScaled(value: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`not a decimal: "${value}"`);
  const fraction = (match[2] ?? '').padEnd(SCALE + 1, '0');
  const truncated = BigInt(match[1] ?? '0') * ONE + BigInt(fraction.slice(0, SCALE));
  // round half up on the first dropped digit
  return Number(fraction[SCALE]) >= 5 ? truncated + 1n : truncated;
}

function fromScaled(value: bigint): string {
  const whole = value / ONE;
  const fraction = (value % ONE).toString().padStart(SCALE, '0');
  return `${whole}.${fraction}`;
}

/** `value / divisor` to 10 places, rounded half up. */
export function divideDecimal(value: string, divisor: number): string {
  if (!Number.isInteger(divisor) || divisor <= 0) throw new Error(`bad divisor ${divisor}`);
  const scaled = toScaled(value);
  const d = BigInt(divisor);
  return fromScaled((scaled * 2n + d) / (2n * d));
}

/** A non-negative config number as a 10-place decimal string (no exponent notation). */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new Error(`not a price: ${value}`);
  return value.toFixed(SCALE);
}
