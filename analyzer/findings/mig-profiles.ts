/**
 * MIG GPU-instance profiles per GPU, after the NVIDIA Multi-Instance GPU User Guide, "Supported MIG Profiles"
 * (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html) and its "Supported GPUs"
 * table (A100 40/80 GB, H100 80/94 GB, H100 on GH200 96 GB, H200 141 GB; 7 compute slices each). Profile names are
 * `<compute slices>g.<memory GB>gb`; `+me` (media extension) variants are left out: they hold the same compute
 * and memory. `maxInstances` is how many of the profile fit on one GPU.
 */
export interface MigProfile {
  name: string;
  /** Compute slices of the GPU's 7. */
  computeSlices: number;
  /** As in the profile name, counted as 10^9 bytes (the driver's real size is a little larger). */
  memoryGb: number;
  maxInstances: number;
}

export interface MigGpu {
  /** e.g. `H100 80GB`. */
  key: string;
  family: 'A100' | 'H100' | 'H200';
  memoryGb: number;
  computeSlices: 7;
  /** Smallest first; the last is the whole GPU. */
  profiles: readonly MigProfile[];
}

const p = (name: string, maxInstances: number): MigProfile => {
  const m = /^(\d+)g\.(\d+)gb$/.exec(name);
  if (!m) throw new Error(`not a MIG profile name: ${name}`);
  return { name, computeSlices: Number(m[1]), memoryGb: Number(m[2]), maxInstances };
};

const gpu = (family: MigGpu['family'], memoryGb: number, names: readonly string[]): MigGpu => {
  const counts = [7, 4, 3, 2, 1, 1];
  return {
    key: `${family} ${memoryGb}GB`,
    family,
    memoryGb,
    computeSlices: 7,
    profiles: names.map((n, i) => p(n, counts[i] ?? 1)),
  };
};

export const MIG_GPUS: readonly MigGpu[] = [
  gpu('A100', 40, ['1g.5gb', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']),
  gpu('A100', 80, ['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']),
  gpu('H100', 80, ['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']),
  gpu('H100', 94, ['1g.12gb', '1g.24gb', '2g.24gb', '3g.47gb', '4g.47gb', '7g.94gb']),
  gpu('H100', 96, ['1g.12gb', '1g.24gb', '2g.24gb', '3g.48gb', '4g.48gb', '7g.96gb']),
  gpu('H200', 141, ['1g.18gb', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb']),
];

/**
 * GPU families by name as dcgm-exporter (`NVIDIA H100 80GB HBM3`, `NVIDIA A100-SXM4-80GB`, `NVIDIA L40S`) or the
 * AWS collector (`NVIDIA L4 24GB`) writes them. Longer names first where one is a prefix of another.
 */
const FAMILY = /\b(GH200|H200|H100|H20|B200|B100|A100|A10G|A10|A30|A40|L40S|L40|L4|T4|V100|RTX PRO 6000)\b/i;

/** `H100`, `A100`, `L40S` …, or undefined for a name gpuscope does not know. */
export function parseGpuFamily(model: string | null | undefined): string | undefined {
  const m = model ? FAMILY.exec(model) : null;
  return m?.[1]?.toUpperCase();
}

/** Memory per GPU (GB) of families sold in one size, for names that do not say it (`NVIDIA L40S`). */
const SINGLE_SIZE_GB: Readonly<Record<string, number>> = {
  L40S: 48,
  L40: 48,
  L4: 24,
  A10G: 24,
  A10: 24,
  A30: 24,
  A40: 48,
  T4: 16,
  H200: 141,
  H20: 96,
  GH200: 96,
  B200: 180,
};

/**
 * The GPU's memory in GB: from the name (`80GB`, `A100-SXM4-40GB`; `H100 NVL` is 94 GB; GH200's `480GB` is the
 * superchip's, not the GPU's), else the family's only size, else the framebuffer total the GPU reported in GiB
 * (an H100's 81559 MiB is 80).
 */
export function resolveGpuMemoryGb(
  model: string | null | undefined,
  memoryTotalBytes?: number | null,
): number | undefined {
  const family = parseGpuFamily(model);
  if (family === 'GH200') return 96;
  if (family === 'H100' && model && /\bNVL\b/i.test(model)) return 94;
  const named = model ? /(\d+)\s?GB\b/i.exec(model) : null;
  if (named?.[1]) return Number(named[1]);
  if (family && SINGLE_SIZE_GB[family] !== undefined) return SINGLE_SIZE_GB[family];
  if (memoryTotalBytes && memoryTotalBytes > 0) return Math.round(memoryTotalBytes / 2 ** 30);
  return undefined;
}

/**
 * The MIG table of a GPU, by family and the memory size nearest to what its name or framebuffer says (an H100
 * reporting 81559 MiB is the 80 GB part). Undefined for GPUs without MIG here (L40S, L4, …) or of unknown size.
 */
export function resolveMigGpu(
  model: string | null | undefined,
  memoryTotalBytes?: number | null,
): MigGpu | undefined {
  const family = parseGpuFamily(model);
  const base = family === 'GH200' ? 'H100' : family;
  const candidates = MIG_GPUS.filter((g) => g.family === base);
  const gb = resolveGpuMemoryGb(model, memoryTotalBytes);
  if (candidates.length === 0 || gb === undefined) return undefined;
  let best: MigGpu | undefined;
  for (const g of candidates) {
    if (!best || Math.abs(g.memoryGb - gb) < Math.abs(best.memoryGb - gb)) best = g;
  }
  // an A100 "60GB" is no A100 we know: beyond 10% of every size, no table
  return best && Math.abs(best.memoryGb - gb) / best.memoryGb <= 0.1 ? best : undefined;
}
