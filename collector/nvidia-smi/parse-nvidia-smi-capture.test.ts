import { describe, expect, it } from 'vitest';
import {
  type NvidiaSmiCapture,
  parseNvidiaSmiCapture,
  splitCaptureSections,
} from './parse-nvidia-smi-capture.js';
import { CAPTURES, readFixture } from './testing/fixtures.js';

const RULE = '#'.repeat(80);
const QUERY = 'nvidia-smi --query-gpu=index,uuid,utilization.gpu,power.draw,clocks.sm --format=csv';
const DMON = 'nvidia-smi dmon -c 2';

/** A capture in the real files' layout, with `sections` as [state, command, body lines]. */
function capture(...sections: [string, string, string[]][]): string {
  const head = [RULE, '# nvidia_gpu_exporter GPU capture', RULE, 'collected_at:   2026-07-14T08:12:38Z', ''];
  return head
    .concat(
      sections.flatMap(([state, command, body]) => [
        RULE,
        `# ${state} :: x`,
        `# $ ${command}`,
        RULE,
        ...body,
      ]),
    )
    .join('\n');
}

function parseFixture(path: string): NvidiaSmiCapture {
  const result = parseNvidiaSmiCapture(readFixture(path), path);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function failure(text: string) {
  const result = parseNvidiaSmiCapture(text, 'cap.txt');
  if (result.ok) throw new Error('expected a parse error');
  return result.error;
}

describe('splitCaptureSections', () => {
  it('keeps the idle and load runs of the same command apart, with the file line of their first output line', () => {
    const text = readFixture(CAPTURES.h100);
    const dmon = splitCaptureSections(text).filter((s) => s.command === 'nvidia-smi dmon -c 5');
    expect(dmon.map((s) => [s.state, s.firstLine])).toEqual([
      ['idle', 1784],
      ['load', 2161],
    ]);
    expect(text.split('\n')[1783]).toBe(dmon[0]?.lines[0]);
  });

  it('reads a section with no command line (the derived query-gpu field list)', () => {
    const sections = splitCaptureSections(readFixture(CAPTURES.h100));
    expect(sections.find((s) => s.what.startsWith('query-gpu field list'))?.command).toBeNull();
  });
});

describe('parseNvidiaSmiCapture', () => {
  it.each(Object.entries(CAPTURES))(
    'reads one query-gpu row and five dmon rows per state from %s',
    (_, path) => {
      const { states } = parseFixture(path);
      expect([...states.keys()]).toEqual(['idle', 'load']);
      for (const state of states.values()) {
        expect(state.queryGpu).toHaveLength(1);
        expect(state.dmon).toHaveLength(5);
      }
    },
  );

  it('reads the H100 idle query-gpu row in base units', () => {
    const row = parseFixture(CAPTURES.h100).states.get('idle')?.queryGpu?.[0];
    expect(row).toMatchObject({
      line: 1741,
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      name: 'NVIDIA H100 80GB HBM3',
      utilizationGpuRatio: 0,
      encoderUtilizationRatio: 0,
      encoderSessionCount: 0,
      memoryUsedBytes: 0,
      memoryTotalBytes: 81559 * 1024 ** 2,
      powerDrawWatts: 69.85,
      powerLimitWatts: 700,
      smClockHz: 345e6,
      smClockMaxHz: 1980e6,
      gpuIdleClockEvent: true,
      migModeEnabled: false,
      pcieLinkGen: 5,
      pcieLinkWidth: 16,
    });
    expect(row?.fields.get('clocks_event_reasons.active')).toBe('0x0000000000000001');
    expect(row?.fields.get('pcie.link.gen.hostmax')).toBeNull();
  });

  it('reads percentages as exact ratios (9 % is 0.09, 60 % is 0.6)', () => {
    const row = parseFixture(CAPTURES.l40s).states.get('load')?.queryGpu?.[0];
    expect([row?.utilizationGpuRatio, row?.encoderUtilizationRatio, row?.encoderSessionCount]).toEqual([
      0.09, 0.6, 2,
    ]);
  });

  it('reads [N/A] as null, never 0: utilization in MIG mode, mig.mode on an L40S', () => {
    const mig = parseFixture(CAPTURES.h100Mig).states.get('idle')?.queryGpu?.[0];
    expect(mig).toMatchObject({
      utilizationGpuRatio: null,
      encoderUtilizationRatio: null,
      decoderUtilizationRatio: null,
      migModeEnabled: true,
      memoryUsedBytes: 59 * 1024 ** 2,
    });
    expect(parseFixture(CAPTURES.l40s).states.get('idle')?.queryGpu?.[0]?.migModeEnabled).toBeNull();
  });

  it('reads dmon rows by their header, `-` as null, with no PCIe columns where dmon ran without -s t', () => {
    const l40s = parseFixture(CAPTURES.l40s);
    expect(l40s.states.get('idle')?.dmon?.map((r) => [r.powerWatts, r.smRatio, r.smClockHz])).toEqual([
      [66, 0, 210e6],
      [65, 0, 210e6],
      [65, 0, 210e6],
      [51, 0, 210e6],
      [37, 0, 210e6],
    ]);
    const load = l40s.states.get('load')?.dmon?.[0];
    expect(load).toMatchObject({
      line: 2109,
      memoryTemperatureCelsius: null,
      encoderRatio: 0.67,
      smRatio: 0.1,
    });
    expect(load?.pcieRxBytesPerSecond).toBeNull();
    expect([...(load?.columns.keys() ?? [])]).toEqual(
      'gpu pwr gtemp mtemp sm mem enc dec jpg ofa mclk pclk'.split(' '),
    );
    const mig = parseFixture(CAPTURES.h100Mig).states.get('load')?.dmon?.[0];
    expect([mig?.smRatio, mig?.encoderRatio, mig?.powerWatts]).toEqual([null, null, 438]);
  });

  it('reads the PCIe and framebuffer columns of `dmon -s pucvmet` in bytes', () => {
    const body = [
      '# gpu    pwr  gtemp     sm    mem     fb   bar1  rxpci  txpci',
      '# Idx      W      C      %      %     MB     MB   MB/s   MB/s',
      '    0     69     41      0      0    512      1     12      3',
    ];
    const result = parseNvidiaSmiCapture(capture(['idle', DMON, body]), 'cap.txt');
    expect(result.ok && result.value.states.get('idle')?.dmon?.[0]).toMatchObject({
      framebufferUsedBytes: 512 * 1024 ** 2,
      pcieRxBytesPerSecond: 12 * 1024 ** 2,
      pcieTxBytesPerSecond: 3 * 1024 ** 2,
    });
  });

  it('accepts a header repeated inside a long dmon run', () => {
    const header = ['# gpu    pwr     sm', '# Idx      W      %'];
    const body = [...header, '    0     69      0', ...header, '    0     70      1'];
    const result = parseNvidiaSmiCapture(capture(['idle', DMON, body]), 'cap.txt');
    expect(result.ok && result.value.states.get('idle')?.dmon?.map((r) => r.smRatio)).toEqual([0, 0.01]);
  });

  it('accepts nounits CSV (bare numbers under a [unit] header)', () => {
    const body = [
      'index, uuid, utilization.gpu [%], power.draw [W], clocks.sm [MHz]',
      '0, GPU-1, 3, 70.5, 345',
    ];
    const result = parseNvidiaSmiCapture(capture(['idle', QUERY, body]), 'cap.txt');
    expect(result.ok && result.value.states.get('idle')?.queryGpu?.[0]).toMatchObject({
      utilizationGpuRatio: 0.03,
      powerDrawWatts: 70.5,
      smClockHz: 345e6,
    });
  });

  describe('errors', () => {
    const header = 'index, uuid, utilization.gpu [%], power.draw [W], clocks.sm [MHz]';

    it('rejects a truncated CSV row and names the file, line and section', () => {
      const error = failure(
        capture(['idle', QUERY, [header, '0, GPU-1, 0 %, 69.85 W, 345 MHz', '0, GPU-2, 0 %']]),
      );
      expect(error).toMatchObject({ source: 'cap.txt', line: 12, section: 'idle :: x', field: null });
      expect(error.message).toBe('cap.txt:12 (idle :: x): row has 3 cells, the header 5');
    });

    it('rejects a CSV row with a value that holds a comma (one cell too many) instead of shifting columns', () => {
      const error = failure(capture(['load', QUERY, [header, '0, GPU-1, 0 %, 69, 85 W, 345 MHz']]));
      expect(error.message).toBe('cap.txt:11 (load :: x): row has 6 cells, the header 5');
    });

    it('rejects a non-numeric CSV value and names the field', () => {
      const error = failure(capture(['idle', QUERY, [header, '0, GPU-1, busy %, 69.85 W, 345 MHz']]));
      expect(error).toMatchObject({ line: 11, field: 'utilization.gpu' });
      expect(error.message).toBe('cap.txt:11 (idle :: x): utilization.gpu: "busy %" is not a number in %');
    });

    it('rejects a value in another unit than the header says', () => {
      const error = failure(capture(['idle', QUERY, [header, '0, GPU-1, 0 %, 69.85 kW, 345 MHz']]));
      expect(error.message).toContain('power.draw: "69.85 kW" is not a number in W');
    });

    it('rejects a gpu_idle flag that is neither Active nor Not Active', () => {
      const q = 'nvidia-smi --query-gpu=index,clocks_event_reasons.gpu_idle --format=csv';
      const error = failure(capture(['idle', q, ['index, clocks_event_reasons.gpu_idle', '0, Idle']]));
      expect(error).toMatchObject({ line: 11, field: 'clocks_event_reasons.gpu_idle' });
    });

    it('rejects a query-gpu section with no header', () => {
      expect(failure(capture(['idle', QUERY, ['', '']])).reason).toBe('no CSV header');
    });

    it('rejects a dmon row with a missing column, at its line in the real file', () => {
      const lines = readFixture(CAPTURES.h200).split('\n');
      lines[2164] = '    0    628     53     42    100      8      0      0      0      0   3201';
      const result = parseNvidiaSmiCapture(lines.join('\n'), 'h200.txt');
      expect(!result.ok && result.error.message).toBe(
        'h200.txt:2165 (load :: dmon (per-device monitor, incl. PCIe rx/tx)): row has 11 columns, the header 12',
      );
    });

    it('rejects a non-numeric dmon value and names the column', () => {
      const body = ['# gpu    pwr     sm', '# Idx      W      %', '    0     69     0x'];
      expect(failure(capture(['idle', DMON, body]))).toMatchObject({ line: 12, field: 'sm' });
    });

    it('rejects dmon rows before their header', () => {
      expect(failure(capture(['idle', DMON, ['    0     69      0']])).message).toBe(
        'cap.txt:10 (idle :: x): data row before the # gpu / # Idx header',
      );
    });

    it('rejects a second dmon section for the same state', () => {
      const body = ['# gpu    pwr', '# Idx      W', '    0     69'];
      expect(failure(capture(['idle', DMON, body], ['idle', DMON, body])).reason).toBe(
        'a second dmon section for state idle',
      );
    });
  });
});
