export type CounterStatus = 'ok' | 'wrapped' | 'reset' | 'saturated' | 'implausible';

export interface CounterSpec {
  /** Register width; 64 means a backwards step can only be a reset. */
  widthBits: number;
  /** A value that means "stuck at the top" when it differs from 2^width − 1 (a 32-bit word counter scaled to bytes). */
  saturatedAt?: number;
}

export interface CounterDelta {
  /** Increments between the readings; null when they cannot be known. Never negative. */
  delta: number | null;
  status: CounterStatus;
}

function topOf(spec: CounterSpec): number {
  return spec.widthBits >= 64 ? Number.POSITIVE_INFINITY : 2 ** spec.widthBits - 1;
}

function isSaturated(value: number, spec: CounterSpec): boolean {
  return value === topOf(spec) || (spec.saturatedAt !== undefined && value === spec.saturatedAt);
}

/**
 * The increase of a hardware counter between two readings. A reading at the top of its width is
 * saturated (IB PMA counters stick there): no delta. A backwards step on a narrow counter that was in
 * its upper half is a wrap; otherwise it is a reset (driver reload, `perfquery -x`) and the new value
 * is what accrued since, kept only when no larger than `maxPlausibleDelta`.
 */
export function computeCounterDelta(
  previous: number,
  current: number,
  spec: CounterSpec,
  maxPlausibleDelta = Number.POSITIVE_INFINITY,
): CounterDelta {
  if (isSaturated(current, spec)) return { delta: null, status: 'saturated' };
  if (current >= previous) {
    const delta = current - previous;
    return delta <= maxPlausibleDelta ? { delta, status: 'ok' } : { delta: null, status: 'implausible' };
  }
  const top = topOf(spec);
  // A previous value wider than the declared width means the width was wrong: only a reset fits.
  if (!isSaturated(previous, spec) && previous <= top && previous > top / 2) {
    const delta = top + 1 - previous + current;
    if (delta <= maxPlausibleDelta) return { delta, status: 'wrapped' };
  }
  return current <= maxPlausibleDelta
    ? { delta: current, status: 'reset' }
    : { delta: null, status: 'reset' };
}
