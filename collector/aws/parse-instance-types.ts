import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import type { InstanceTypeFacts } from './types.js';

/**
 * Marketed memory sizes (GB) that AWS's per-GPU `SizeInMiB` rounds to: L4 and A10G report 22888 MiB (sold as
 * 24 GB), T4 15360 (16 GB), L40S 45776 (48 GB), H200 143360 (141 GB). A size within 10% snaps to the nearest.
 */
const MARKETED_GB = [4, 8, 12, 16, 24, 32, 40, 48, 80, 94, 96, 141, 144, 180, 192];

/** `SizeInMiB` per GPU → the marketed size in GB, else the rounded GiB. */
export function toMarketedGb(memoryMib: number): number {
  const gib = memoryMib / 1024;
  let best: number | undefined;
  for (const gb of MARKETED_GB) {
    const off = Math.abs(gb - gib) / gb;
    if (off <= 0.1 && (best === undefined || Math.abs(gb - gib) < Math.abs(best - gib))) best = gb;
  }
  return best ?? Math.round(gib);
}

/**
 * The GPU model name gpuscope keys prices by: `<Manufacturer> <Name> <GB>GB`. AWS names both the p4d and p4de
 * GPU "A100" and only the memory tells them apart, so the size is always part of the name: p4d →
 * `NVIDIA A100 40GB`, p4de → `NVIDIA A100 80GB`, p5 → `NVIDIA H100 80GB`, g6 → `NVIDIA L4 24GB`. A name that
 * already ends in a size (`A100-80GB`, as some catalogs write it) keeps only its base name and the size.
 */
export function formatGpuModel(manufacturer: string, name: string, memoryMib: number | null): string {
  const base = name.replace(/[-\s]?\d+\s?GB$/i, '');
  const size = memoryMib === null ? '' : ` ${toMarketedGb(memoryMib)}GB`;
  return `${manufacturer} ${base}${size}`.trim();
}

/** DescribeInstanceTypes entries → GPU facts. Types with several GPU kinds keep the first and say so. */
export function parseInstanceTypes(infos: readonly InstanceTypeInfo[]): {
  facts: InstanceTypeFacts[];
  issues: string[];
} {
  const facts: InstanceTypeFacts[] = [];
  const issues: string[] = [];
  for (const info of infos) {
    if (!info.InstanceType) continue;
    const gpus = info.GpuInfo?.Gpus ?? [];
    if (gpus.length > 1) issues.push(`${info.InstanceType}: ${gpus.length} GPU kinds; using the first`);
    const gpu = gpus[0];
    const memoryMib = gpu?.MemoryInfo?.SizeInMiB ?? null;
    facts.push({
      name: info.InstanceType,
      gpuModel: gpu?.Name ? formatGpuModel(gpu.Manufacturer ?? '', gpu.Name, memoryMib) : null,
      gpuManufacturer: gpu?.Manufacturer ?? null,
      gpuCount: gpus.reduce((sum, g) => sum + (g.Count ?? 0), 0),
      gpuMemoryMib: memoryMib,
      vcpus: info.VCpuInfo?.DefaultVCpus ?? null,
      memoryMib: info.MemoryInfo?.SizeInMiB ?? null,
      source: 'aws-ec2:DescribeInstanceTypes',
    });
  }
  return { facts, issues };
}
