import { readFileSync } from 'node:fs';

const T4_FIXTURE = new URL(
  '../test/fixtures/telemetry/dcgm-exporter_tesla-t4_datadog-serve.prom',
  import.meta.url,
);

export interface BuildExpositionOptions {
  /** GPUs that share one `Hostname`; default 8. */
  gpusPerHost?: number;
  /** Varies the values (not the labels), like successive scrapes of one target; default 0. */
  scrape?: number;
  /**
   * 'first-gpu' (default): every family uses the fixture's first label block, so each GPU has one label
   * block, as a real exporter prints it. 'per-family': each family keeps its own block from the fixture,
   * which comes from two hosts with different label fields (7 and 13), so each GPU gets two blocks.
   */
  labelSets?: 'first-gpu' | 'per-family';
}

/** One metric family of the fixture: its comment lines and its one sample line, taken apart. */
interface FamilyTemplate {
  headerLines: string[];
  name: string;
  labelBlock: string;
  value: string;
}

/**
 * dcgm-exporter text for `gpuCount` GPUs, built from the real Tesla T4 fixture: all 23 families with their
 * HELP/TYPE lines (empty HELP lines and the `# NOTE` line included), with `gpu`, `device`,
 * `DCGM_FI_DEV_MINOR_NUMBER`, `UUID` and `Hostname` substituted per GPU and values varied deterministically.
 * Lines are grouped by family, all GPUs under one HELP/TYPE, as the exporter prints them.
 */
export function buildDcgmExposition(gpuCount: number, options: BuildExpositionOptions = {}): string {
  const gpusPerHost = options.gpusPerHost ?? 8;
  const scrape = options.scrape ?? 0;
  const families = readFamilyTemplates();
  const firstBlock = families[0]?.labelBlock ?? '{}';
  const out: string[] = [];
  families.forEach((family, familyIndex) => {
    out.push(...family.headerLines);
    const block = options.labelSets === 'per-family' ? family.labelBlock : firstBlock;
    for (let gpu = 0; gpu < gpuCount; gpu++) {
      const labels = substituteGpuLabels(block, gpu, gpusPerHost);
      const value = varyValue(family.value, hash32(gpu, familyIndex, scrape));
      out.push(`${family.name}${labels} ${value}`);
    }
  });
  return decodeAsScrapeBody(`${out.join('\n')}\n`);
}

/**
 * A scrape body decoded from bytes (fetch, readFileSync) is one flat string; a joined string is a rope that
 * V8 reads more slowly, which would make every parser here look slower than it is on real input.
 */
function decodeAsScrapeBody(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** The text without `# HELP name` lines that have no help text (some parsers reject them). */
export function stripEmptyHelpLines(text: string): string {
  const kept = text.split('\n').filter((line) => !/^#\s*HELP\s+\S+\s*$/.test(line));
  return decodeAsScrapeBody(kept.join('\n'));
}

function readFamilyTemplates(): FamilyTemplate[] {
  const families: FamilyTemplate[] = [];
  let headerLines: string[] = [];
  for (const line of readFileSync(T4_FIXTURE, 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      headerLines.push(line);
      continue;
    }
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    if (open < 0 || close < open) throw new Error(`T4 fixture line without labels: ${line}`);
    const value = line.slice(close + 1).trim();
    families.push({ headerLines, name: line.slice(0, open), labelBlock: line.slice(open, close + 1), value });
    headerLines = [];
  }
  return families;
}

function substituteGpuLabels(block: string, gpu: number, gpusPerHost: number): string {
  const local = gpu % gpusPerHost;
  const host = Math.floor(gpu / gpusPerHost);
  const replacements: Record<string, string> = {
    gpu: String(local),
    device: `nvidia${local}`,
    DCGM_FI_DEV_MINOR_NUMBER: String(local),
    UUID: createGpuUuid(gpu),
    Hostname: hex(hash32(host, 0x51, 7), 8) + hex(hash32(host, 0x52, 7), 4),
  };
  return block.replace(/([{,])([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"/g, (whole, sep: string, name: string) => {
    const value = replacements[name];
    return value === undefined ? whole : `${sep}${name}="${value}"`;
  });
}

function createGpuUuid(gpu: number): string {
  const a = hash32(gpu, 1, 0);
  const b = hash32(gpu, 2, 0);
  const c = hash32(gpu, 3, 0);
  return `GPU-${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(b & 0xffff, 4)}-${hex(c >>> 16, 4)}-${hex(c & 0xffff, 4)}${hex(a ^ c, 8)}`;
}

/** Keeps the exporter's formatting: integers bare, floats with 6 decimals. */
function varyValue(value: string, noise: number): string {
  const base = Number(value);
  const factor = 0.5 + (noise % 1000) / 1000;
  if (value.includes('.')) return (base * factor).toFixed(6);
  return String(Math.round(base * factor) + (noise % 97));
}

function hex(n: number, digits: number): string {
  return (n >>> 0).toString(16).padStart(digits, '0').slice(-digits);
}

/** A deterministic 32-bit mix of three integers (an xorshift-multiply hash). */
function hash32(a: number, b: number, c: number): number {
  let h =
    Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^
    Math.imul(c + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}
