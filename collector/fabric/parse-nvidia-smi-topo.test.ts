import { describe, expect, it } from 'vitest';
import { splitCaptureSections } from '../nvidia-smi/split-capture-sections.js';
import { linkSpeedsByUuid, parseNvidiaSmiNvlinkStatus } from './parse-nvidia-smi-nvlink.js';
import { computeHcaGpuAffinity, parseNvidiaSmiTopo } from './parse-nvidia-smi-topo.js';
import { readFixture } from './testing/fixtures.js';

const H100_CAPTURE = 'nvidia-smi-capture_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt';

// Constructed in nvidia-smi's layout (tabs, NIC Legend); no real capture with NICs is in the fixtures.
const FOUR_GPUS_TWO_NICS = [
  '\tGPU0\tGPU1\tGPU2\tGPU3\tNIC0\tNIC1\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID',
  'GPU0\t X \tNV2\tNV2\tNV2\tPIX\tSYS\t0-23\t0\t\tN/A',
  'GPU1\tNV2\t X \tNV2\tNV2\tPXB\tSYS\t0-23\t0\t\tN/A',
  'GPU2\tNV2\tNV2\t X \tNV2\tSYS\tPIX\t24-47\t1\t\tN/A',
  'GPU3\tNV2\tNV2\tNV2\t X \tSYS\tPIX\t24-47\t1\t\tN/A',
  'NIC0\tPIX\tPXB\tSYS\tSYS\t X \tSYS',
  'NIC1\tSYS\tSYS\tPIX\tPIX\tSYS\t X ',
  '',
  'Legend:',
  '',
  '  X    = Self',
  '  PIX  = Connection traversing at most a single PCIe bridge',
  '',
  'NIC Legend:',
  '',
  '  NIC0: mlx5_0',
  '  NIC1: mlx5_1',
].join('\n');

/** The output of the first section that ran `command`. */
function captureSection(capture: string, command: string): string {
  const section = splitCaptureSections(capture).find((s) => s.command === command);
  if (!section) throw new Error(`capture has no section for ${command}`);
  return section.lines.join('\n');
}

describe('parseNvidiaSmiTopo', () => {
  it('reads the single-GPU matrix of the real H100 capture, ANSI header included, with no NICs', () => {
    const { matrix, issues } = parseNvidiaSmiTopo(
      captureSection(readFixture(H100_CAPTURE), 'nvidia-smi topo -m'),
      H100_CAPTURE,
    );
    expect(issues).toEqual([]);
    expect(matrix?.devices).toEqual(['GPU0']);
    expect(matrix?.relations.get('GPU0')?.get('GPU0')).toBe('X');
    expect(computeHcaGpuAffinity(matrix)).toEqual([]);
  });

  it('maps each HCA of the NIC legend to its closest GPUs, PIX before PXB', () => {
    const { matrix } = parseNvidiaSmiTopo(FOUR_GPUS_TWO_NICS, 'test');
    expect(computeHcaGpuAffinity(matrix)).toEqual([
      { hca: 'mlx5_0', gpus: [0], relation: 'PIX' },
      { hca: 'mlx5_1', gpus: [2, 3], relation: 'PIX' },
    ]);
  });

  it('reads a space-aligned copy where older drivers named HCA columns directly', () => {
    const text = [
      '        GPU0    GPU1    mlx5_0  mlx5_1  CPU Affinity',
      'GPU0     X      NV12    NODE    SYS     0-31',
      'GPU1    NV12     X      NODE    SYS     0-31',
      'mlx5_0  NODE    NODE     X      SYS',
      'mlx5_1  SYS     SYS     SYS      X',
    ].join('\n');
    const affinity = computeHcaGpuAffinity(parseNvidiaSmiTopo(text, 'test').matrix);
    expect(affinity).toEqual([
      { hca: 'mlx5_0', gpus: [0, 1], relation: 'NODE' },
      { hca: 'mlx5_1', gpus: [0, 1], relation: 'SYS' },
    ]);
  });

  it('lets configured affinity override the matrix per HCA', () => {
    const { matrix } = parseNvidiaSmiTopo(FOUR_GPUS_TWO_NICS, 'test');
    const affinity = computeHcaGpuAffinity(matrix, { mlx5_0: [0, 1] });
    expect(affinity[0]).toEqual({ hca: 'mlx5_0', gpus: [0, 1], relation: 'config' });
    expect(affinity[1]?.hca).toBe('mlx5_1');
  });

  it('reports text without a matrix instead of throwing', () => {
    const { matrix, issues } = parseNvidiaSmiTopo('NVIDIA-SMI has failed', 'node-7');
    expect(matrix).toBeNull();
    expect(issues[0]?.source).toBe('node-7');
  });

  it('reports a truncated row by line', () => {
    const text = FOUR_GPUS_TWO_NICS.replace(
      'GPU3\tNV2\tNV2\tNV2\t X \tSYS\tPIX\t24-47\t1\t\tN/A',
      'GPU3\tNV2\tNV2',
    );
    const { matrix, issues } = parseNvidiaSmiTopo(text, 'test');
    expect(issues).toEqual([{ source: 'test', line: 5, reason: 'row GPU3 has 2 of 6 cells' }]);
    expect(matrix?.relations.has('GPU3')).toBe(false);
  });
});

describe('parseNvidiaSmiNvlinkStatus', () => {
  it('reads 18 links at 26.562 GB/s from the real H100 capture', () => {
    const text = captureSection(readFixture(H100_CAPTURE), 'nvidia-smi nvlink -s');
    const { gpus, issues } = parseNvidiaSmiNvlinkStatus(text, H100_CAPTURE);
    expect(issues).toEqual([]);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]?.name).toBe('NVIDIA H100 80GB HBM3');
    expect(gpus[0]?.linkBytesPerSecond).toHaveLength(18);
    expect(gpus[0]?.linkBytesPerSecond.every((s) => s === 26.562e9)).toBe(true);
    expect(linkSpeedsByUuid(gpus).get('GPU-00000000-0000-0000-0000-000000000000')).toHaveLength(18);
  });

  it('keeps what nvidia-smi says for a GPU in MIG mode and one without NVLink', () => {
    const mig = 'nvidia-smi-capture_linux-x86_64__nvidia-h100-mig__590.48.01.txt';
    const l40s = 'nvidia-smi-capture_linux-x86_64__nvidia-l40s__595.80.txt';
    const migGpus = parseNvidiaSmiNvlinkStatus(
      captureSection(readFixture(mig), 'nvidia-smi nvlink -s'),
      mig,
    ).gpus;
    const l40sGpus = parseNvidiaSmiNvlinkStatus(
      captureSection(readFixture(l40s), 'nvidia-smi nvlink -s'),
      l40s,
    ).gpus;
    expect(migGpus[0]?.note).toBe('Nvlink queries are not supported for Devices in MIG mode');
    expect(l40sGpus[0]?.note).toBe('Device does not have or support Nvlink');
    expect(linkSpeedsByUuid([...migGpus, ...l40sGpus]).size).toBe(0);
  });

  it('reads an inactive link as null', () => {
    const text = 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-a)\n\t Link 0: 25 GB/s\n\t Link 1: <inactive>\n';
    expect(parseNvidiaSmiNvlinkStatus(text, 'test').gpus[0]?.linkBytesPerSecond).toEqual([25e9, null]);
  });
});
