/**
 * Integer hashing and a seeded generator, so that every simulated value is a pure function of
 * (seed, entity, time) and two runs with the same seed are byte-identical.
 */

/** murmur3's 32-bit finaliser: a cheap, well-mixed bijection on uint32. */
export function mixUint32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes up to four integers into one uint32; fixed arity keeps the hot path free of arrays. */
export function hashInts(a: number, b = 0, c = 0, d = 0): number {
  let h = mixUint32(a ^ 0x9e3779b9);
  h = mixUint32(h ^ Math.imul(b >>> 0, 0x27d4eb2d));
  h = mixUint32(h ^ Math.imul(c >>> 0, 0x165667b1));
  return mixUint32(h ^ Math.imul(d >>> 0, 0x85ebca77));
}

/** A value in [-1, 1) from hashed integers: the per-tick noise of one metric. */
export function hashToSigned(a: number, b: number, c: number, d: number): number {
  return hashInts(a, b, c, d) / 2147483648 - 1;
}

/** FNV-1a over UTF-16 code units. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Folds any finite number (including seeds above 2^32) into a uint32. */
export function toSeedKey(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const whole = Math.trunc(seed);
  return mixUint32((whole >>> 0) ^ mixUint32(Math.floor(whole / 4294967296) >>> 0));
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
}

/** mulberry32: small, fast and good enough for placing scenarios and drawing parameters. */
export function createRandom(seedKey: number): Random {
  let state = seedKey >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    between: (min, max) => min + next() * (max - min),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
    shuffle: <T>(items: readonly T[]): T[] => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(0, i);
        [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
      }
      return copy;
    },
  };
}

/** A GPU UUID in NVIDIA's `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` form, derived from the hash inputs. */
export function createGpuUuid(seedKey: number, nodeIndex: number, gpuIndex: number): string {
  const hex = [1, 2, 3, 4]
    .map((word) => hashInts(seedKey, nodeIndex, gpuIndex, word).toString(16).padStart(8, '0'))
    .join('');
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
