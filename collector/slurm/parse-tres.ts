/**
 * TRES strings (`cpu=1,mem=20000M,gres/gpu=2,gres/gpu:h100=2`) and the GPU facts in them. The JSON shapes give the
 * same data as `{type: "gres", name: "gpu:h100", count}`, normalised here to the same `gres/gpu:h100` names.
 */

export interface TresEntry {
  /** `cpu`, `mem`, `gres/gpu`, `gres/gpu:h100`, `gres/gpuutil`, … */
  name: string;
  value: string;
}

export interface GpuTres {
  count: number;
  type: string | null;
}

export function parseTresString(text: string): TresEntry[] {
  const entries: TresEntry[] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    entries.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
  }
  return entries;
}

/**
 * GPUs in a TRES list: the untyped `gres/gpu` count when present (Slurm records it next to the typed ones, so
 * adding both would double count), else the sum of typed `gres/gpu:<type>` counts; null when no GPU entry exists.
 */
export function summarizeGpuTres(entries: readonly TresEntry[]): GpuTres | null {
  let untyped: number | null = null;
  let typedSum = 0;
  let sawTyped = false;
  const types: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'gres/gpu') {
      untyped = parseCount(entry.value);
    } else if (entry.name.startsWith('gres/gpu:')) {
      const count = parseCount(entry.value);
      if (count === null) continue;
      sawTyped = true;
      typedSum += count;
      const type = entry.name.slice('gres/gpu:'.length);
      if (!types.includes(type)) types.push(type);
    }
  }
  const type = types.length > 0 ? types.join(',') : null;
  if (untyped !== null) return { count: untyped, type };
  return sawTyped ? { count: typedSum, type } : null;
}

/** `gres/gpuutil` (percent summed over the job's GPUs) and `gres/gpumem` (bytes) from a TRES usage list. */
export function readGpuUsage(entries: readonly TresEntry[]): {
  utilizationPercent: number | null;
  memoryBytes: number | null;
} {
  let utilizationPercent: number | null = null;
  let memoryBytes: number | null = null;
  for (const entry of entries) {
    if (entry.name === 'gres/gpuutil') utilizationPercent = parseCount(entry.value);
    else if (entry.name === 'gres/gpumem') memoryBytes = parseSizeBytes(entry.value);
  }
  return { utilizationPercent, memoryBytes };
}

export function parseCount(value: string): number | null {
  if (!/^\d+(\.\d+)?$/.test(value)) return null;
  return Number(value);
}

const UNIT_POWER: Record<string, number> = { K: 1, M: 2, G: 3, T: 4, P: 5 };

/** Slurm sizes use binary units: `20500736K`, `199G`; a bare number is bytes. */
export function parseSizeBytes(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGTP])?$/.exec(value);
  if (m === null) return null;
  const power = m[2] === undefined ? 0 : (UNIT_POWER[m[2]] ?? 0);
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** JSON TRES entries (`{type: "gres", name: "gpu:a100", count: 1}`) as TRES string entries; the id is ignored. */
export function tresEntriesFromJson(list: unknown): TresEntry[] {
  if (!Array.isArray(list)) return [];
  const entries: TresEntry[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const { type, name, count } = item as { type?: unknown; name?: unknown; count?: unknown };
    if (typeof type !== 'string' || typeof count !== 'number' || count < 0) continue;
    const full = typeof name === 'string' && name !== '' ? `${type}/${name}` : type;
    entries.push({ name: full, value: String(count) });
  }
  return entries;
}
