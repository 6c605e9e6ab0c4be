import type { TextLocation } from './parse-query-gpu-csv.js';
import { createParseError, type DmonReading, NvidiaSmiParseFailure } from './types.js';

/** Unit → [multiply, divide] to the base unit. nvidia-smi's `MB` is MiB (fb 81559 on an 80 GiB card). */
const UNIT_SCALE: Readonly<Record<string, readonly [number, number]>> = {
  '%': [1, 100],
  MHz: [1e6, 1],
  MB: [1024 ** 2, 1],
  'MB/s': [1024 ** 2, 1],
};
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses `nvidia-smi dmon` output: `# gpu pwr …` names, `# Idx W …` units, then whitespace-separated rows, one
 * per GPU per interval. The header repeats in long runs and the column set depends on `-s`, so columns are read
 * from the header, never assumed; `-` becomes null. Throws NvidiaSmiParseFailure.
 */
export function parseDmonLines(lines: readonly string[], at: TextLocation): DmonReading[] {
  let names: string[] | null = null;
  let units: string[] | null = null;
  const readings: DmonReading[] = [];
  for (const [i, text] of lines.entries()) {
    const line = at.firstLine + i;
    const trimmed = text.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const tokens = trimmed.slice(1).trim().split(/\s+/);
      if (tokens[0] !== 'Idx') {
        names = tokens;
        units = null;
      } else if (names !== null && tokens.length === names.length) units = tokens;
      else fail(at, line, null, 'units line does not match a column header');
      continue;
    }
    if (names === null || units === null) fail(at, line, null, 'data row before the # gpu / # Idx header');
    readings.push(parseRow(trimmed, line, names, units, at));
  }
  return readings;
}

function parseRow(
  text: string,
  line: number,
  names: readonly string[],
  units: readonly string[],
  at: TextLocation,
): DmonReading {
  const cells = text.split(/\s+/);
  if (cells.length !== names.length)
    fail(at, line, null, `row has ${cells.length} columns, the header ${names.length}`);
  const columns = new Map<string, number | null>();
  names.forEach((name, i) => {
    const cell = cells[i] ?? '';
    if (cell === '-' || cell === 'N/A') {
      columns.set(name, null);
      return;
    }
    if (!NUMBER.test(cell)) fail(at, line, name, `${JSON.stringify(cell)} is not a number`);
    const scale = UNIT_SCALE[units[i] ?? ''] ?? [1, 1];
    columns.set(name, (Number(cell) * scale[0]) / scale[1]);
  });
  const gpu = columns.get('gpu');
  if (gpu === undefined || gpu === null) return fail(at, line, 'gpu', 'no GPU index');
  const col = (name: string) => columns.get(name) ?? null;
  return {
    line,
    gpu,
    powerWatts: col('pwr'),
    gpuTemperatureCelsius: col('gtemp'),
    memoryTemperatureCelsius: col('mtemp'),
    smRatio: col('sm'),
    memoryRatio: col('mem'),
    encoderRatio: col('enc'),
    decoderRatio: col('dec'),
    memoryClockHz: col('mclk'),
    smClockHz: col('pclk'),
    framebufferUsedBytes: col('fb'),
    pcieRxBytesPerSecond: col('rxpci'),
    pcieTxBytesPerSecond: col('txpci'),
    columns,
  };
}

function fail(at: TextLocation, line: number, field: string | null, reason: string): never {
  throw new NvidiaSmiParseFailure(
    createParseError({ source: at.source, section: at.section, line, field }, reason),
  );
}
