import { describe, expect, it } from 'vitest';
import { MIG_GPUS, parseGpuFamily, resolveGpuMemoryGb, resolveMigGpu } from './mig-profiles.js';

describe('MIG_GPUS', () => {
  it('lists six profiles per GPU, smallest first, ending with the whole GPU of 7 slices and its memory', () => {
    for (const g of MIG_GPUS) {
      expect(g.profiles).toHaveLength(6);
      expect(g.profiles.at(-1)).toMatchObject({ computeSlices: 7, memoryGb: g.memoryGb, maxInstances: 1 });
      expect(g.profiles[0]).toMatchObject({ computeSlices: 1, maxInstances: 7 });
      const slices = g.profiles.map((p) => p.computeSlices);
      expect(slices).toEqual([...slices].sort((a, b) => a - b));
    }
  });

  it('names the H200 profiles as NVIDIA does', () => {
    expect(resolveMigGpu('NVIDIA H200')?.profiles.map((p) => p.name)).toEqual([
      '1g.18gb',
      '1g.35gb',
      '2g.35gb',
      '3g.71gb',
      '4g.71gb',
      '7g.141gb',
    ]);
  });
});

describe('resolveMigGpu', () => {
  it('tells the A100 40 GB from the 80 GB part by the dcgm-exporter model name', () => {
    expect(resolveMigGpu('NVIDIA A100-SXM4-80GB')?.key).toBe('A100 80GB');
    expect(resolveMigGpu('NVIDIA A100-SXM4-40GB')?.profiles[0]?.name).toBe('1g.5gb');
    expect(resolveMigGpu('NVIDIA A100 80GB PCIe')?.key).toBe('A100 80GB');
  });

  it('reads H100 80 GB, H100 NVL (94 GB) and GH200 (96 GB, not the superchip 480 GB)', () => {
    expect(resolveMigGpu('NVIDIA H100 80GB HBM3')?.profiles[0]?.name).toBe('1g.10gb');
    expect(resolveMigGpu('NVIDIA H100 NVL')?.profiles[3]?.name).toBe('3g.47gb');
    expect(resolveMigGpu('NVIDIA GH200 480GB')?.key).toBe('H100 96GB');
  });

  it('falls back to the framebuffer total when the name carries no size (H100 PCIe reports 81559 MiB)', () => {
    expect(resolveMigGpu('NVIDIA H100 PCIe', 81559 * 2 ** 20)?.key).toBe('H100 80GB');
    expect(resolveMigGpu('NVIDIA H100 PCIe')).toBeUndefined();
  });

  it('has no table for GPUs without MIG or of a size NVIDIA does not make', () => {
    expect(resolveMigGpu('NVIDIA L40S')).toBeUndefined();
    expect(resolveMigGpu('NVIDIA L4 24GB')).toBeUndefined();
    expect(resolveMigGpu('NVIDIA A100 60GB')).toBeUndefined();
    expect(resolveMigGpu(null)).toBeUndefined();
  });
});

describe('parseGpuFamily and resolveGpuMemoryGb', () => {
  it('keeps L40S, L40 and L4 apart and sizes single-size models', () => {
    expect(parseGpuFamily('NVIDIA L40S')).toBe('L40S');
    expect(parseGpuFamily('NVIDIA L4 24GB')).toBe('L4');
    expect(parseGpuFamily('NVIDIA A10G 24GB')).toBe('A10G');
    expect(parseGpuFamily('Tesla Q1')).toBeUndefined();
    expect(resolveGpuMemoryGb('NVIDIA L40S')).toBe(48);
    expect(resolveGpuMemoryGb('NVIDIA A100 40GB')).toBe(40);
  });
});
