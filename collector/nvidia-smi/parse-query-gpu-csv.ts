import { createParseError, NvidiaSmiParseFailure, type QueryGpuReading } from './types.js';

export interface TextLocation {
  source: string;
  section: string | null;
  /** 1-based file line of `lines[0]`. */
  firstLine: number;
}

interface Column {
  name: string;
  unit: string | null;
}

const HEADER_CELL = /^(.*?)\s*\[([^\]]+)\]$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Unit → [multiply, divide] to reach the base unit; divided, not multiplied by 0.01, so 9 % reads 0.09 exactly. */
const UNIT_SCALE: Readonly<Record<string, readonly [number, number]>> = {
  '%': [1, 100],
  KiB: [1024, 1],
  MiB: [1024 ** 2, 1],
  GiB: [1024 ** 3, 1],
  MHz: [1e6, 1],
  W: [1, 1],
  us: [1, 1e6],
  ms: [1, 1e3],
};

/**
 * Parses `nvidia-smi --query-gpu=… --format=csv[,nounits]`: a header of names with units (`power.draw [W]`),
 * then one row per GPU. Cells are `, `-separated and never quoted, so a row with a different number of cells
 * is an error rather than a guess. `[N/A]` and every other bracketed value (`[Not Supported]`) become null.
 * Throws NvidiaSmiParseFailure.
 */
export function parseQueryGpuCsvLines(lines: readonly string[], at: TextLocation): QueryGpuReading[] {
  const rows = lines.map((text, i) => ({ text, line: at.firstLine + i })).filter((r) => r.text.trim() !== '');
  const header = rows[0];
  if (header === undefined) fail(at, at.firstLine, null, 'no CSV header');
  const columns = splitCells(header.text).map((cell): Column => {
    const m = HEADER_CELL.exec(cell);
    return m ? { name: m[1] ?? cell, unit: m[2] ?? null } : { name: cell, unit: null };
  });
  if (!columns.some((c) => c.name === 'index' || c.name === 'uuid' || c.name === 'utilization.gpu'))
    fail(at, header.line, null, `not a query-gpu header: ${header.text.slice(0, 80)}`);
  return rows.slice(1).map((row) => parseRow(row.text, row.line, columns, at));
}

function parseRow(text: string, line: number, columns: readonly Column[], at: TextLocation): QueryGpuReading {
  const cells = splitCells(text);
  if (cells.length !== columns.length)
    fail(at, line, null, `row has ${cells.length} cells, the header ${columns.length}`);
  const raw = new Map<string, string | null>();
  const units = new Map<string, string | null>();
  columns.forEach((c, i) => {
    const cell = cells[i] ?? '';
    raw.set(c.name, cell === '' || /^\[.*\]$/.test(cell) || cell === 'N/A' ? null : cell);
    units.set(c.name, c.unit);
  });
  const num = (...names: string[]): number | null => {
    for (const name of names) {
      if (!raw.has(name)) continue;
      return toNumber(raw.get(name) ?? null, units.get(name) ?? null, (reason) =>
        fail(at, line, name, reason),
      );
    }
    return null;
  };
  const flag = (name: string, yes: string, no: string): boolean | null => {
    const value = raw.get(name) ?? null;
    if (value === null) return null;
    if (value === yes) return true;
    if (value === no) return false;
    return fail(at, line, name, `expected ${yes} or ${no}, got ${JSON.stringify(value)}`);
  };
  return {
    line,
    timestamp: raw.get('timestamp') ?? null,
    index: num('index'),
    uuid: raw.get('uuid') ?? null,
    name: raw.get('name') ?? null,
    utilizationGpuRatio: num('utilization.gpu'),
    utilizationMemoryRatio: num('utilization.memory'),
    encoderUtilizationRatio: num('utilization.encoder'),
    decoderUtilizationRatio: num('utilization.decoder'),
    encoderSessionCount: num('encoder.stats.sessionCount'),
    memoryUsedBytes: num('memory.used'),
    memoryTotalBytes: num('memory.total'),
    powerDrawWatts: num('power.draw'),
    powerLimitWatts: num('power.limit'),
    smClockHz: num('clocks.current.sm', 'clocks.sm'),
    smClockMaxHz: num('clocks.max.sm'),
    gpuIdleClockEvent: flag('clocks_event_reasons.gpu_idle', 'Active', 'Not Active'),
    migModeEnabled: flag('mig.mode.current', 'Enabled', 'Disabled'),
    pcieLinkGen: num('pcie.link.gen.current'),
    pcieLinkWidth: num('pcie.link.width.current'),
    fields: raw,
  };
}

/** `69.85 W` under `[W]`, or a bare `69.85` (`nounits`), to the base unit; null stays null. */
function toNumber(
  value: string | null,
  unit: string | null,
  reject: (reason: string) => never,
): number | null {
  if (value === null) return null;
  const bare = unit !== null && value.endsWith(` ${unit}`) ? value.slice(0, -unit.length - 1).trim() : value;
  if (!NUMBER.test(bare))
    return reject(`${JSON.stringify(value)} is not a number${unit ? ` in ${unit}` : ''}`);
  if (unit === null) return Number(bare);
  const scale = UNIT_SCALE[unit];
  if (scale === undefined) return reject(`unknown unit [${unit}]`);
  return (Number(bare) * scale[0]) / scale[1];
}

function splitCells(text: string): string[] {
  return text.split(',').map((cell) => cell.trim());
}

function fail(at: TextLocation, line: number, field: string | null, reason: string): never {
  throw new NvidiaSmiParseFailure(
    createParseError({ source: at.source, section: at.section, line, field }, reason),
  );
}
