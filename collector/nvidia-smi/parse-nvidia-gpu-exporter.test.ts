import { describe, expect, it } from 'vitest';
import { type ExporterGpuReading, parseNvidiaGpuExporter } from './parse-nvidia-gpu-exporter.js';
import { parseNvidiaSmiCapture } from './parse-nvidia-smi-capture.js';
import { CAPTURES, EXPORTER_SCRAPES, readFixture } from './testing/fixtures.js';

function parseFixture(path: string): ExporterGpuReading[] {
  const result = parseNvidiaGpuExporter(readFixture(path), path);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('parseNvidiaGpuExporter', () => {
  it('reads the idle H100 scrape: uuid without GPU-, name from gpu_info, SI units, gpu_idle as a flag', () => {
    const [gpu, ...rest] = parseFixture(EXPORTER_SCRAPES.h100Idle);
    expect(rest).toEqual([]);
    expect(gpu).toMatchObject({
      uuid: '00000000-0000-0000-0000-000000000000',
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      utilizationGpuRatio: 0,
      encoderUtilizationRatio: 0,
      memoryUsedBytes: 0,
      memoryTotalBytes: 85520809984,
      powerDrawWatts: 69.85,
      powerLimitWatts: 700,
      smClockHz: 345e6,
      smClockMaxHz: 1980e6,
      gpuIdleClockEvent: true,
      migModeEnabled: false,
      processes: [],
    });
    expect(gpu?.values.get('nvidia_smi_power_draw_instant_watts')).toBe(69.62);
    expect(gpu?.values.has('nvidia_smi_command_exit_code')).toBe(false);
  });

  it('agrees with the query-gpu row of the capture it was scraped from', () => {
    const capture = parseNvidiaSmiCapture(readFixture(CAPTURES.h100), CAPTURES.h100);
    const row = capture.ok ? capture.value.states.get('load')?.queryGpu?.[0] : undefined;
    const [gpu] = parseFixture(EXPORTER_SCRAPES.h100Load);
    for (const key of ['utilizationGpuRatio', 'memoryUsedBytes', 'powerDrawWatts', 'smClockHz'] as const)
      expect([key, gpu?.[key]]).toEqual([key, row?.[key]]);
    expect(gpu?.gpuIdleClockEvent).toBe(false);
  });

  it('reads the per-process series of a loaded GPU', () => {
    const [gpu] = parseFixture(EXPORTER_SCRAPES.h100Load);
    expect(gpu?.processes).toEqual([
      { pid: '11327', processName: '/root/tools/memhog', usedMemoryBytes: 2690646016 },
      { pid: '11328', processName: '/root/tools/memhog', usedMemoryBytes: 1616904192 },
      { pid: '11345', processName: './gpu_burn', usedMemoryBytes: 16452157440 },
    ]);
  });

  it('leaves utilization null in MIG mode, where the exporter prints no series for it', () => {
    const [gpu] = parseFixture(EXPORTER_SCRAPES.h100MigLoad);
    expect(gpu).toMatchObject({
      utilizationGpuRatio: null,
      encoderUtilizationRatio: null,
      migModeEnabled: true,
    });
    expect(gpu?.powerDrawWatts).toBe(433.78);
  });

  it('reads NaN as null and unescapes label values', () => {
    const text = [
      '# TYPE nvidia_smi_power_draw_watts gauge',
      'nvidia_smi_power_draw_watts{uuid="a"} NaN',
      'nvidia_smi_utilization_gpu_ratio{uuid="a"} 0.25',
      'nvidia_smi_gpu_info{uuid="a",name="GPU \\"x\\"\\\\y",index="3"} 1',
    ].join('\n');
    const result = parseNvidiaGpuExporter(text, 'x.prom');
    expect(result.ok && result.value).toMatchObject([
      { uuid: 'a', powerDrawWatts: null, utilizationGpuRatio: 0.25, name: 'GPU "x"\\y', index: 3 },
    ]);
  });

  describe('errors', () => {
    it('rejects a malformed line and names the file and line', () => {
      const text = 'nvidia_smi_power_draw_watts{uuid="a"} 70\nnvidia_smi_utilization_gpu_ratio{uuid="a} 0\n';
      const result = parseNvidiaGpuExporter(text, 'x.prom');
      expect(!result.ok && result.error).toMatchObject({ source: 'x.prom', line: 2 });
      expect(!result.ok && result.error.message).toMatch(/^x\.prom:2: /);
    });

    it('rejects a non-numeric value', () => {
      const result = parseNvidiaGpuExporter('nvidia_smi_power_draw_watts{uuid="a"} N/A\n', 'x.prom');
      expect(!result.ok && result.error.line).toBe(1);
    });
  });
});
