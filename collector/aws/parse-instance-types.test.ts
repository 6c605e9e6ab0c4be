import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { readAwsFixture, readAwsFixtureText } from '../../test/fixtures/aws/load.js';
import { formatGpuModel, parseInstanceTypes, toMarketedGb } from './parse-instance-types.js';

const output = readAwsFixture<{ InstanceTypes: InstanceTypeInfo[] }>(
  'ec2-describeinstancetypes_gpu-written-from-api-reference.json',
);

describe('parseInstanceTypes', () => {
  it('names the p4d and p4de GPUs apart by their memory, though AWS calls both "A100"', () => {
    const { facts, issues } = parseInstanceTypes(output.InstanceTypes);
    const byName = new Map(facts.map((f) => [f.name, f]));
    expect(byName.get('p4d.24xlarge')).toEqual({
      name: 'p4d.24xlarge',
      gpuModel: 'NVIDIA A100 40GB',
      gpuManufacturer: 'NVIDIA',
      gpuCount: 8,
      gpuMemoryMib: 40960,
      vcpus: 96,
      memoryMib: 1179648,
      source: 'aws-ec2:DescribeInstanceTypes',
    });
    expect(byName.get('p4de.24xlarge')).toMatchObject({ gpuModel: 'NVIDIA A100 80GB', gpuMemoryMib: 81920 });
    expect(byName.get('g6.2xlarge')).toMatchObject({ gpuModel: 'NVIDIA L4 24GB', gpuCount: 1 });
    expect(byName.get('c5ad.2xlarge')).toMatchObject({ gpuModel: null, gpuCount: 0, gpuMemoryMib: null });
    expect(issues).toEqual([]);
  });

  it('agrees with every GpuInfo in the SkyPilot catalog rows (count and per-GPU memory)', () => {
    const lines = readAwsFixtureText('skypilot-catalog_aws-vms_gpu-rows-excerpt.csv')
      .trim()
      .split('\n')
      .slice(1);
    const seen = new Map<string, string>();
    for (const line of lines) {
      const type = line.split(',')[0] ?? '';
      const gpuInfo = /"(\{.*\})"/.exec(line)?.[1] ?? '';
      const info = JSON.parse(gpuInfo.replaceAll("'", '"'));
      const [fact] = parseInstanceTypes([{ InstanceType: type as never, GpuInfo: info }]).facts;
      const model = `${fact?.gpuModel} x${fact?.gpuCount}`;
      // the catalog has p4de rows naming the GPU "A100" and "A100-80GB": both must give one model
      expect(seen.get(type) ?? model).toBe(model);
      seen.set(type, model);
    }
    expect(Object.fromEntries(seen)).toEqual({
      'g6.24xlarge': 'NVIDIA L4 24GB x4',
      'g6.2xlarge': 'NVIDIA L4 24GB x1',
      'g6.48xlarge': 'NVIDIA L4 24GB x8',
      'p3.8xlarge': 'NVIDIA V100 16GB x4',
      'p4d.24xlarge': 'NVIDIA A100 40GB x8',
      'p4de.24xlarge': 'NVIDIA A100 80GB x8',
      'p5.48xlarge': 'NVIDIA H100 80GB x8',
    });
  });

  it('reports a type with two GPU kinds and keeps the first', () => {
    const { facts, issues } = parseInstanceTypes([
      {
        InstanceType: 'x.large' as never,
        GpuInfo: {
          Gpus: [
            { Name: 'T4', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 15360 } },
            { Name: 'L4', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 22888 } },
          ],
        },
      },
    ]);
    expect(facts[0]).toMatchObject({ gpuModel: 'NVIDIA T4 16GB', gpuCount: 2 });
    expect(issues).toEqual(['x.large: 2 GPU kinds; using the first']);
  });
});

describe('formatGpuModel', () => {
  it('snaps reported MiB to the marketed size and falls back to rounded GiB', () => {
    expect(toMarketedGb(143360)).toBe(141);
    expect(toMarketedGb(45776)).toBe(48);
    expect(toMarketedGb(65536)).toBe(64);
    expect(formatGpuModel('NVIDIA', 'A100-80GB', 81920)).toBe('NVIDIA A100 80GB');
    expect(formatGpuModel('AMD', 'Radeon Pro V520', null)).toBe('AMD Radeon Pro V520');
  });
});
