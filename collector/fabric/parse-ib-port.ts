import type { FabricIssue, IbPortSnapshot, PortState } from './types.js';

/** The text of the files under one `ports/<n>/` directory, keyed by path relative to it. */
export interface IbPortFiles {
  node: string;
  device: string;
  port: number;
  timestampMs: number;
  /** The port directory, used to name files in issues. */
  directory: string;
  /** `rate`, `state`, `phys_state`, `link_layer`, `counters/<name>`, `counters_ext/<name>`, `hw_counters/<name>`. */
  files: ReadonlyMap<string, string>;
  /** Files that exist but could not be read, with the reason (EISDIR, EACCES…). */
  unreadable?: ReadonlyMap<string, string>;
}

export interface ParsedIbPort {
  snapshot: IbPortSnapshot;
  issues: FabricIssue[];
}

/** sysfs counts these in 4-byte words (IBA PortXmitData/PortRcvData). */
const WORD_COUNTERS = new Set(['port_xmit_data', 'port_rcv_data', 'port_xmit_data_64', 'port_rcv_data_64']);

/** `100 Gb/sec (4X EDR)` → 1e11 bits/s; null when the text is not a rate. */
export function parseIbRate(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*Gb\/sec/.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]) * 1e9;
}

/** `4: ACTIVE` or `5: LinkUp` → { id, name }; null when the text has no `<number>:` prefix. */
export function parsePortState(text: string): PortState | null {
  const match = /^\s*(\d+)\s*:\s*(\S.*?)\s*$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { id: Number(match[1]), name: match[2] };
}

/** A counter file's value, or why it has none (`N/A (no PMA)`: the HCA has no performance agent). */
export function parseCounterText(text: string): { value: number } | { reason: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('N/A')) return { reason: `not available: ${trimmed}` };
  if (!/^\d+$/.test(trimmed))
    return { reason: `not a counter value: ${JSON.stringify(trimmed.slice(0, 40))}` };
  return { value: Number(trimmed) };
}

/** Builds a port snapshot from its files; every file that could not be used becomes an issue. */
export function parseIbPort(input: IbPortFiles): ParsedIbPort {
  const issues: FabricIssue[] = [];
  const source = (name: string) => `${input.directory}/${name}`;
  const text = (name: string): string | undefined => {
    const value = input.files.get(name);
    if (value === undefined) {
      const reason = input.unreadable?.get(name) ?? 'missing';
      issues.push({ source: source(name), field: name, reason });
    }
    return value;
  };
  const parsed = <T>(name: string, parse: (t: string) => T | null): T | null => {
    const raw = text(name);
    if (raw === undefined) return null;
    const value = parse(raw);
    if (value === null)
      issues.push({
        source: source(name),
        field: name,
        reason: `unrecognised ${JSON.stringify(raw.trim())}`,
      });
    return value;
  };
  const { counters, hwCounters } = readCounters(input, issues);
  const linkLayer = text('link_layer')?.trim() ?? null;
  const snapshot: IbPortSnapshot = {
    node: input.node,
    device: input.device,
    port: input.port,
    timestampMs: input.timestampMs,
    source: 'sysfs',
    rateBitsPerSecond: parsed('rate', parseIbRate),
    state: parsed('state', parsePortState),
    physState: parsed('phys_state', parsePortState),
    linkLayer: linkLayer === '' ? null : linkLayer,
    counters,
    hwCounters,
  };
  return { snapshot, issues };
}

function readCounters(
  input: IbPortFiles,
  issues: FabricIssue[],
): { counters: Record<string, number>; hwCounters: Record<string, number> } {
  const counters: Record<string, number> = {};
  const hwCounters: Record<string, number> = {};
  for (const [name, raw] of input.files) {
    const slash = name.indexOf('/');
    const dir = slash < 0 ? '' : name.slice(0, slash);
    if (dir !== 'counters' && dir !== 'counters_ext' && dir !== 'hw_counters') continue;
    const counter = name.slice(slash + 1);
    const value = parseCounterText(raw);
    if ('reason' in value) {
      issues.push({ source: `${input.directory}/${name}`, field: counter, reason: value.reason });
    } else if (dir === 'hw_counters') {
      hwCounters[counter] = value.value;
    } else {
      counters[counter] = WORD_COUNTERS.has(counter) ? value.value * 4 : value.value;
    }
  }
  for (const [name, reason] of input.unreadable ?? []) {
    if (name.includes('/')) issues.push({ source: `${input.directory}/${name}`, field: name, reason });
  }
  return { counters, hwCounters };
}
