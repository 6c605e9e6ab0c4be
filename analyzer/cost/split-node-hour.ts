/**
 * GPU-first split of one node-hour's cost. A GPU node is bought for its GPUs, so the whole node cost is spread
 * over its GPU capacity, not a fixed $/GPU-hour default (OpenCost's 0.95 $/GPU-h leaves about half of a p4d
 * outside its GPUs). Each GPU-minute a job held is charged to it (usage when active, idle when not); the rest
 * of the capacity is unallocated. Amounts are exact: the unallocated line takes the remainder, so the lines
 * always add up to the node cost.
 *
 * Weights are integer units of 1/28 GPU-minute: 28 is the least common multiple of the MIG slice counts
 * (7 on A100/H100/H200/B200, 4 on A30), so a MIG slice's fraction is exact too.
 */
export const UNITS_PER_GPU_MINUTE = 28;

/** Units per minute of one GPU or MIG instance: the instance's compute slices over the GPU's. */
export function migUnitsPerMinute(migProfile: string | null, gpuModel: string | null): number {
  if (!migProfile) return UNITS_PER_GPU_MINUTE;
  const slices = /^(\d+)g\./.exec(migProfile.trim());
  if (!slices) return UNITS_PER_GPU_MINUTE;
  const total = gpuModel && /\bA30\b/i.test(gpuModel) ? 4 : 7;
  const n = Math.min(Number(slices[1]), total);
  return (n * UNITS_PER_GPU_MINUTE) / total;
}

export interface NodeHourUsage {
  jobRef: number | null;
  gpuModel: string | null;
  /** Weighted GPU-minutes held (units), idle ones included. */
  units: number;
  /** Of `units`, those whose GPU was idle. */
  idleUnits: number;
}

export interface SplitRow {
  kind: 'usage' | 'idle' | 'unallocated';
  jobRef: number | null;
  gpuModel: string | null;
  units: number;
  /** Scaled decimal (core/decimal.ts); null when the node-hour has no price. */
  cost: bigint | null;
}

/**
 * `cost`: the node-hour's cost (scaled decimal), or null when unpriced. `capacityUnits`: the GPU capacity the
 * cost covers (GPUs × minutes × 28); raised to what was measured if the telemetry saw more.
 */
export function splitNodeHour(
  cost: bigint | null,
  capacityUnits: number,
  usage: readonly NodeHourUsage[],
  fallbackModel: string | null,
): SplitRow[] {
  const held = usage.filter((u) => u.jobRef !== null && u.units > 0);
  const heldUnits = held.reduce((s, u) => s + u.units, 0);
  const capacity = Math.max(capacityUnits, heldUnits);
  const rows: SplitRow[] = [];
  let charged = 0n;
  for (const u of held) {
    const idle = Math.min(u.idleUnits, u.units);
    for (const [kind, units] of [
      ['usage', u.units - idle],
      ['idle', idle],
    ] as const) {
      if (units <= 0) continue;
      const share = cost === null ? null : shareOf(cost, units, capacity);
      if (share !== null) charged += share;
      rows.push({ kind, jobRef: u.jobRef, gpuModel: u.gpuModel, units, cost: share });
    }
  }
  const restUnits = capacity - heldUnits;
  const rest = cost === null ? null : cost - charged;
  if (restUnits > 0 || (rest !== null && rest !== 0n)) {
    rows.push({ kind: 'unallocated', jobRef: null, gpuModel: fallbackModel, units: restUnits, cost: rest });
  }
  return rows;
}

/** cost × units / capacity, rounded half away from zero at the 10th place. */
function shareOf(cost: bigint, units: number, capacity: number): bigint {
  if (capacity <= 0) return 0n;
  const negative = cost < 0n;
  const c = negative ? -cost : cost;
  const cap = BigInt(capacity);
  const value = (2n * c * BigInt(units) + cap) / (2n * cap);
  return negative ? -value : value;
}

/**
 * Spread a charge over the UTC hours its period covers, by overlap; the last hour takes the remainder so the
 * pieces add up to the charge exactly. A zero-length period lands in its start hour.
 */
export function prorateToHours(
  cost: bigint,
  startMs: number,
  endMs: number,
): { hourMs: number; cost: bigint }[] {
  const firstHour = Math.floor(startMs / 3_600_000) * 3_600_000;
  if (endMs <= startMs) return [{ hourMs: firstHour, cost }];
  const span = BigInt(endMs - startMs);
  const pieces: { hourMs: number; cost: bigint }[] = [];
  let given = 0n;
  for (let h = firstHour; h < endMs; h += 3_600_000) {
    const overlap = Math.min(endMs, h + 3_600_000) - Math.max(startMs, h);
    if (overlap <= 0) continue;
    const isLast = h + 3_600_000 >= endMs;
    const piece = isLast ? cost - given : (cost * BigInt(overlap)) / span;
    given += piece;
    pieces.push({ hourMs: h, cost: piece });
  }
  return pieces;
}
