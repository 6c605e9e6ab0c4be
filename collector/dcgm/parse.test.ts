import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDcgmExposition } from '../../bench/build-exposition.js';
import {
  createLabelCache,
  formatParseIssue,
  type Labels,
  type ParseResult,
  parseExposition,
} from './parse.js';

const FIXTURES = new URL('../../test/fixtures/telemetry/', import.meta.url);
const T4 = 'dcgm-exporter_tesla-t4_datadog-serve.prom';
const PROM_FIXTURES = [
  T4,
  'nvidia_gpu_exporter_h100-80gb-hbm3__idle.prom',
  'nvidia_gpu_exporter_h100-80gb-hbm3__load.prom',
  'nvidia_gpu_exporter_h100-mig__load.prom',
  'node_exporter_infiniband_e2e-output.prom',
];

function readFixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** Sample lines counted without the parser: not blank, not a comment. */
function countSampleLines(text: string): number {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).length;
}

function findSample(result: ParseResult, name: string, labels: Record<string, string> = {}) {
  return result.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

function renderLine(name: string, labels: [string, string][], value: string): string {
  const block = labels.map(([key, v]) => `${key}="${v}"`).join(',');
  return `${name}{${block}} ${value}`;
}

interface Observation {
  source: string;
  gpu: string;
  driver?: string;
  mig?: string;
  label_order?: string[];
  values?: Record<string, unknown>;
}

/** [group, metric name, value token] for every metric an observation reports; nested objects are groups. */
function flattenObservedValues(
  values: Record<string, unknown>,
  labelNames: string[],
  group = 0,
): [number, string, string][] {
  const out: [number, string, string][] = [];
  let groups = group;
  for (const [key, value] of Object.entries(values)) {
    if (labelNames.includes(key)) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      groups++;
      out.push(...flattenObservedValues(value as Record<string, unknown>, labelNames, groups));
      continue;
    }
    const first = String(Array.isArray(value) ? value[0] : value);
    const token = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(first)?.[0];
    if (token !== undefined && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(key)) out.push([group, key, token]);
  }
  return out;
}

/** Exposition lines for the issue observations, with each observation's label order and quirks. */
function renderObservations(): {
  text: string;
  expected: { name: string; labels: [string, string][]; value: string }[];
} {
  const file = JSON.parse(readFixture('dcgm-exporter_issue-observations.json')) as {
    observations: Observation[];
  };
  const expected: { name: string; labels: [string, string][]; value: string }[] = [];
  file.observations.forEach((obs, index) => {
    const order = obs.label_order ?? ['gpu', 'UUID', 'device', 'modelName', 'GPU_I_PROFILE', 'Hostname'];
    const profile =
      (obs.values?.['GPU_I_PROFILE'] as string | undefined) ?? /\d+g\.\d+gb/.exec(obs.mig ?? '')?.[0];
    const defaults: Record<string, string> = {
      gpu: String(index),
      UUID: `GPU-${String(index).padStart(8, '0')}-0da5-6d26-a36a-e7af1ce2586e`,
      uuid: `GPU-${String(index).padStart(8, '0')}-1111-2222-3333-444455556666`,
      pci_bus_id: '00000001:00:00.0',
      device: `nvidia${index}`,
      modelName: obs.gpu,
      GPU_I_PROFILE: profile ?? '<<<NULL>>>',
      GPU_I_ID: (obs.values?.['GPU_I_ID'] as string | undefined) ?? '7',
      DCGM_FI_DRIVER_VERSION: obs.driver ?? '',
    };
    // Nested value groups (idle / under load, a MIG instance) are other series: a different gpu label.
    for (const [group, name, value] of flattenObservedValues(obs.values ?? {}, order)) {
      const gpu = group === 0 ? String(index) : `${index}.${group}`;
      const labels = order.map((key): [string, string] => [key, key === 'gpu' ? gpu : (defaults[key] ?? '')]);
      expected.push({ name, labels, value });
    }
  });
  return { text: expected.map((e) => renderLine(e.name, e.labels, e.value)).join('\n'), expected };
}

interface CounterEntry {
  counter: { field_name: string; prom_type: string; help: string };
  value: string;
  gpu: string;
  gpu_uuid: string;
  gpu_device: string;
  gpu_model: string;
  pci_bus_id: string;
  mig_profile?: string;
  gpu_instance_id?: string;
  hostname: string;
}

/** The exporter's MetricsByCounter JSON for the 8x H100 MIG node, printed as dcgm-exporter prints it. */
function renderMetricsByCounter(): { text: string; entries: CounterEntry[]; labels: [string, string][][] } {
  const file = JSON.parse(readFixture('dcgm-exporter_h100-8gpu-mig_metrics-by-counter.json')) as {
    metrics: Record<string, CounterEntry[]>;
  };
  const lines: string[] = [];
  const entries: CounterEntry[] = [];
  const labels: [string, string][][] = [];
  for (const [name, list] of Object.entries(file.metrics)) {
    const first = list[0];
    if (first === undefined) continue;
    lines.push(`# HELP ${name} ${first.counter.help}`, `# TYPE ${name} ${first.counter.prom_type}`);
    for (const entry of list) {
      const pairs: [string, string][] = [
        ['gpu', entry.gpu],
        ['UUID', entry.gpu_uuid],
        ['pci_bus_id', entry.pci_bus_id],
        ['device', entry.gpu_device],
        ['modelName', entry.gpu_model],
        ...(entry.mig_profile === undefined
          ? []
          : ([['GPU_I_PROFILE', entry.mig_profile]] as [string, string][])),
        ...(entry.gpu_instance_id === undefined
          ? []
          : ([['GPU_I_ID', entry.gpu_instance_id]] as [string, string][])),
        ['Hostname', entry.hostname],
      ];
      lines.push(renderLine(name, pairs, entry.value));
      entries.push(entry);
      labels.push(pairs);
    }
  }
  return { text: `${lines.join('\n')}\n`, entries, labels };
}

/** Deterministic bytes (mulberry32), with NUL, newlines and the format's own punctuation mixed in. */
function createGarbage(length: number, seed: number): Buffer {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const special = [0, 10, 10, 13, 34, 35, 44, 61, 92, 123, 125, 32];
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    bytes[i] = next() < 0.3 ? (special[Math.floor(next() * special.length)] ?? 0) : Math.floor(next() * 256);
  }
  return bytes;
}

describe('parseExposition', () => {
  it.each(PROM_FIXTURES)('parses every sample line of the real fixture %s with no issues', (name) => {
    const text = readFixture(name);
    const result = parseExposition(text);
    expect(result.issues).toEqual([]);
    expect(result.suppressedIssues).toBe(0);
    expect(result.samples).toHaveLength(countSampleLines(text));
    expect(result.lines).toBe(text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
  });

  it('parses the 23 Tesla T4 samples, the empty HELP lines and skips the NOTE line', () => {
    const result = parseExposition(readFixture(T4));
    expect(result.samples).toHaveLength(23);
    const power = findSample(result, 'DCGM_FI_DEV_POWER_USAGE');
    expect(power?.value).toBe(8.969);
    expect(power?.line).toBe(12);
    expect(power?.timestampMs).toBeUndefined();
    expect(power?.labels).toEqual({
      gpu: '0',
      UUID: 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e',
      device: 'nvidia0',
      modelName: 'Tesla T4',
      Hostname: '424773df46e0',
      DCGM_FI_DRIVER_VERSION: '460.106.00',
      DCGM_FI_PROCESS_NAME: '/usr/bin/dcgm-exporter',
    });
    const reserved = findSample(result, 'DCGM_FI_DEV_FB_RESERVED');
    expect(reserved?.labels['DCGM_FI_DEV_SERIAL']).toBe('1565220008176');
    expect(reserved?.labels['Hostname']).toBe('551bdf382151');
    expect(result.families.get('DCGM_FI_DEV_SLOWDOWN_TEMP')).toEqual({ type: 'gauge', help: '' });
    expect(result.families.get('DCGM_FI_DEV_POWER_USAGE')).toEqual({
      type: 'gauge',
      help: 'Power draw (in W).',
    });
    expect(result.families.get('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION')?.type).toBe('counter');
    expect(result.families.size).toBe(23);
  });

  it('parses nvidia_gpu_exporter and node_exporter values in exponent notation and unlabelled lines', () => {
    const mig = parseExposition(readFixture('nvidia_gpu_exporter_h100-mig__load.prom'));
    expect(findSample(mig, 'nvidia_smi_clocks_current_graphics_clock_hz')?.value).toBe(1.98e9);
    expect(findSample(mig, 'nvidia_smi_command_exit_code')?.labels).toEqual({});
    const ib = parseExposition(readFixture('node_exporter_infiniband_e2e-output.prom'));
    const wait = findSample(ib, 'node_infiniband_port_transmit_wait_total', { device: 'mlx4_0', port: '1' });
    expect(wait?.value).toBe(4294967295);
    expect(findSample(ib, 'node_infiniband_info', { device: 'i40iw0' })?.labels['board_id']).toBe(
      'I40IW Board ID',
    );
  });

  it('round-trips lines re-rendered from the issue observations, in their label orders and quirks', () => {
    const { text, expected } = renderObservations();
    const result = parseExposition(text);
    expect(result.issues).toEqual([]);
    expect(result.samples.map((s) => s.name)).toEqual(expected.map((e) => e.name));
    result.samples.forEach((sample, index) => {
      const want = expected[index];
      expect(Object.entries(sample.labels)).toEqual(want?.labels);
      expect(sample.value).toBe(Number(want?.value));
    });
    const lowercase = findSample(result, 'dcgm_fi_prof_gr_engine_active');
    expect(Object.keys(lowercase?.labels ?? {})).toEqual(expect.arrayContaining(['uuid', 'pod_name']));
    expect(result.samples.some((s) => s.labels['GPU_I_PROFILE'] === '<<<NULL>>>')).toBe(true);
    expect(
      findSample(result, 'DCGM_FI_DEV_SM_CLOCK', { GPU_I_PROFILE: '7g.79gb', container: '' }),
    ).toBeDefined();
  });

  it('round-trips the H100 MIG metrics-by-counter entries printed as dcgm-exporter lines', () => {
    const { text, entries, labels } = renderMetricsByCounter();
    const result = parseExposition(text);
    expect(result.issues).toEqual([]);
    expect(result.samples).toHaveLength(18);
    result.samples.forEach((sample, index) => {
      expect(sample.name).toBe(entries[index]?.counter.field_name);
      expect(sample.value).toBe(Number(entries[index]?.value));
      expect(Object.entries(sample.labels)).toEqual(labels[index]);
    });
    expect(result.families.get('DCGM_FI_DEV_FB_FREE')).toEqual({
      type: 'gauge',
      help: 'Framebuffer memory free (in MiB).',
    });
    const instances = result.samples.filter(
      (s) => s.name === 'DCGM_FI_DEV_FB_USED' && s.labels['gpu'] === '0',
    );
    expect(instances.map((s) => s.labels['GPU_I_ID'])).toEqual(['11', '13']);
  });

  it('parses Go float forms, NaN and the infinities, and DCGM blank sentinels as plain numbers', () => {
    const text = [
      'a 1.8527668e+07',
      'b -0.5',
      'c .5',
      'd 5.',
      'e +3E-2',
      'f NaN',
      'g +Inf',
      'h -Inf',
      'i Inf',
      'j -inf',
      'k 9223372036854775794',
      'l 1e400',
    ].join('\n');
    const values = parseExposition(text).samples.map((s) => s.value);
    expect(values).toEqual([
      18527668,
      -0.5,
      0.5,
      5,
      0.03,
      Number.NaN,
      Infinity,
      -Infinity,
      Infinity,
      -Infinity,
      Number('9223372036854775794'),
      Infinity,
    ]);
  });

  it('reads an integer millisecond timestamp, negative ones included', () => {
    const result = parseExposition('up 1 1395066363000\nold{a="b"} 2 -3982045\n');
    expect(result.samples.map((s) => s.timestampMs)).toEqual([1395066363000, -3982045]);
  });

  it('unescapes backslash, quote and newline in label values and accepts a trailing comma and blanks', () => {
    const text =
      'msdos{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",} 1.458255915e9\n' +
      'spaced \t{ a = "1" , b="2" }\t 3 \t 1000\n';
    const result = parseExposition(text);
    expect(result.issues).toEqual([]);
    expect(result.samples[0]?.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(result.samples[1]).toMatchObject({ labels: { a: '1', b: '2' }, value: 3, timestampMs: 1000 });
  });

  it('shares one frozen label object between samples with the same label block', () => {
    const result = parseExposition(readFixture(T4));
    const firstHost = result.samples.slice(0, 16);
    for (const sample of firstHost) expect(sample.labels).toBe(firstHost[0]?.labels);
    expect(result.samples[16]?.labels).not.toBe(firstHost[0]?.labels);
    expect(Object.isFrozen(firstHost[0]?.labels)).toBe(true);
  });

  it('shares label objects per GPU across all families of a built 16-GPU exposition', () => {
    const result = parseExposition(buildDcgmExposition(16));
    expect(result.issues).toEqual([]);
    expect(result.samples).toHaveLength(16 * 23);
    const byGpu = new Map<string, Set<Labels>>();
    for (const s of result.samples) {
      const key = `${s.labels['Hostname']}/${s.labels['gpu']}`;
      byGpu.set(key, (byGpu.get(key) ?? new Set()).add(s.labels));
    }
    expect(byGpu.size).toBe(16);
    for (const objects of byGpu.values()) expect(objects.size).toBe(1);
  });

  it('switches between the two label shapes of the T4 fixture, giving each GPU two label objects', () => {
    const result = parseExposition(buildDcgmExposition(16, { labelSets: 'per-family' }));
    expect(result.issues).toEqual([]);
    const perGpu = new Map<string, Set<Labels>>();
    for (const s of result.samples) {
      const key = `${s.labels['Hostname']}/${s.labels['gpu']}`;
      perGpu.set(key, (perGpu.get(key) ?? new Set()).add(s.labels));
    }
    expect([...perGpu.values()].map((set) => set.size)).toEqual(Array(16).fill(2));
    expect(Object.keys(findSample(result, 'DCGM_FI_DEV_PSTATE')?.labels ?? {})).toHaveLength(13);
  });

  it('reuses the label objects of a shared LabelCache on the next scrape of the same target', () => {
    const cache = createLabelCache();
    const first = parseExposition(buildDcgmExposition(8, { scrape: 0 }), { labelCache: cache });
    const second = parseExposition(buildDcgmExposition(8, { scrape: 1 }), { labelCache: cache });
    expect(cache.size).toBe(8);
    second.samples.forEach((sample, index) => {
      expect(sample.labels).toBe(first.samples[index]?.labels);
    });
    expect(second.samples.map((s) => s.value)).not.toEqual(first.samples.map((s) => s.value));
  });

  it('ignores # EOF, # UNIT and other comments, and unescapes HELP text', () => {
    const text = '# HELP x A \\\\ path\\nsecond line\n# UNIT x seconds\n# TYPE x GAUGE\nx 1\n# EOF\n';
    const result = parseExposition(text);
    expect(result.issues).toEqual([]);
    expect(result.families.get('x')).toEqual({ type: 'gauge', help: 'A \\ path\nsecond line' });
  });

  it('parses CRLF input like LF input', () => {
    const text = readFixture(T4);
    const crlf = parseExposition(text.replaceAll('\n', '\r\n'));
    expect(crlf.issues).toEqual([]);
    expect(crlf.samples).toEqual(parseExposition(text).samples);
  });
});

describe('parseExposition errors', () => {
  const good = (n: number): string[] => Array.from({ length: n }, (_, k) => `ok_${k}{gpu="${k}"} ${k}`);

  it('rejects a label value with an unterminated quote and reports line 12', () => {
    const text = [...good(11), 'DCGM_FI_DEV_GPU_UTIL{gpu="0} 5', 'after{gpu="0"} 1'].join('\n');
    const result = parseExposition(text);
    expect(result.issues).toEqual([
      { line: 12, reason: 'label value has no closing quote', excerpt: 'DCGM_FI_DEV_GPU_UTIL{gpu="0} 5' },
    ]);
    expect(result.samples).toHaveLength(12);
  });

  it.each([
    ['1abc 2', 'invalid metric name'],
    ['foo-bar 1', 'invalid metric name'],
    ['foo', 'missing value'],
    ['foo{a="b"}', 'missing value'],
    ['foo{a="b"} N/A', 'value is not a number: "N/A"'],
    ['foo abc', 'value is not a number: "abc"'],
    ['foo 0x1f', 'value is not a number: "0x1f"'],
    ['foo 1_000', 'value is not a number: "1_000"'],
    ['foo 1 1000 extra', 'unexpected text after timestamp'],
    ['foo 1 12.5', 'timestamp is not an integer: "12.5"'],
    ['foo{gpu} 1', 'label "gpu" has no "=" after its name'],
    ['foo{gpu"0"} 1', 'label "gpu" has no "=" after its name'],
    ['foo{gpu=0} 1', 'label "gpu" value is not quoted'],
    ['foo{1gpu="0"} 1', 'invalid label name starting "1gpu=\\"0\\"} 1"'],
    ['foo{a="1" b="2"} 1', 'expected "," or "}" after a label value'],
    ['foo{a="1",a="2"} 1', 'label "a" appears twice'],
    ['foo{a="\\x"} 1', 'label value has an invalid escape sequence'],
    ['foo{a="1"', 'label block has no closing "}"'],
    ['# TYPE foo histogramm', 'unknown metric type "histogramm"'],
    ['# HELP 9foo help', 'invalid metric name in # HELP line'],
    ['# TYPE', '# TYPE line has no metric name'],
  ])('reports %j as "%s" on its line and keeps the next line', (line, reason) => {
    const result = parseExposition(`ok 1\n${line}\nafter 2\n`);
    expect(result.issues).toEqual([{ line: 2, reason, excerpt: line }]);
    expect(result.samples.map((s) => s.name)).toContain('after');
  });

  it('parses everything before a cut in the middle of a label value and reports the cut line', () => {
    const text = readFixture(T4);
    const lineStart = text.indexOf('DCGM_FI_DEV_FB_FREE{');
    const cut = text.slice(0, text.indexOf('modelName="Tes', lineStart) + 'modelName="Tes'.length);
    const result = parseExposition(cut);
    expect(result.samples).toHaveLength(11);
    expect(result.samples.at(-1)?.name).toBe('DCGM_FI_DEV_XID_ERRORS');
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ line: 36, reason: 'label value has no closing quote' });
    expect(result.lines).toBe(36);
  });

  it.each([1, 7, 42])('never throws on binary garbage with NUL bytes (seed %i)', (seed) => {
    const bytes = createGarbage(64 * 1024, seed);
    for (const text of [bytes.toString('latin1'), bytes.toString('utf8')]) {
      const result = parseExposition(`ok 1\n${text}\nlast 2\n`);
      expect(result.issues.length + result.suppressedIssues).toBeGreaterThan(0);
      expect(result.issues.length).toBeLessThanOrEqual(100);
      expect(result.samples[0]?.name).toBe('ok');
      expect(result.samples.at(-1)?.name).toBe('last');
      for (const issue of result.issues) {
        expect(issue.excerpt.length).toBeLessThanOrEqual(120);
        expect([...issue.excerpt].every((c) => c >= ' ' && c !== '\u007f')).toBe(true);
      }
    }
  });

  it('keeps the first of two series with the same name and label set in any order, and names its line', () => {
    const text = 'x{a="1",b="2"} 1\ny 0\nx{b="2",a="1"} 2\nx{a="1",b="2"} 3\nx{a="1",b="3"} 4\n';
    const result = parseExposition(text);
    expect(result.samples.map((s) => s.value)).toEqual([1, 0, 4]);
    expect(result.issues.map((i) => [i.line, i.reason])).toEqual([
      [3, 'duplicate series, first seen at line 1'],
      [4, 'duplicate series, first seen at line 1'],
    ]);
  });

  it('counts issues past maxIssues in suppressedIssues only', () => {
    const text = Array.from({ length: 250 }, (_, k) => `bad_${k} N/A`).join('\n');
    const result = parseExposition(text);
    expect(result.issues).toHaveLength(100);
    expect(result.suppressedIssues).toBe(150);
    expect(parseExposition(text, { maxIssues: 0 })).toMatchObject({ issues: [], suppressedIssues: 250 });
  });

  it('cuts long excerpts to 120 characters and escapes control characters', () => {
    const result = parseExposition(`bad\tname\u0001 ${'x'.repeat(300)}\n`);
    const excerpt = result.issues[0]?.excerpt ?? '';
    expect(excerpt).toHaveLength(120);
    expect(excerpt.startsWith('bad\\tname\\x01 xxx')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
  });
});

describe('parseExposition security', () => {
  it('keeps a __proto__ label as an own property without touching the prototype', () => {
    const labels = parseExposition('x{__proto__="polluted",constructor="c"} 1').samples[0]?.labels;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.hasOwn(labels ?? {}, '__proto__')).toBe(true);
    expect(labels?.['constructor']).toBe('c');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('formatParseIssue', () => {
  it('names the source, the line, the reason and the excerpt', () => {
    const [issue] = parseExposition('ok 1\nDCGM_FI_DEV_GPU_UTIL{gpu="0').issues;
    expect(issue && formatParseIssue('http://n1:9400/metrics', issue)).toBe(
      'http://n1:9400/metrics line 2: label value has no closing quote: DCGM_FI_DEV_GPU_UTIL{gpu="0',
    );
  });
});

describe('createLabelCache', () => {
  it('clears itself when full instead of growing past maxEntries', () => {
    const cache = createLabelCache(2);
    const labels = Object.freeze({ a: '1' });
    cache.set('{a="1"}', labels);
    cache.set('{a="2"}', labels);
    expect(cache.size).toBe(2);
    cache.set('{a="3"}', labels);
    expect(cache.size).toBe(1);
    expect(cache.get('{a="1"}')).toBeUndefined();
    expect(cache.get('{a="3"}')).toBe(labels);
  });

  it('finds reordered duplicates among label sets another parse put in the cache', () => {
    const cache = createLabelCache();
    parseExposition('x{a="1",b="2"} 1', { labelCache: cache });
    const result = parseExposition('x{a="1",b="2"} 1\nx{b="2",a="1"} 2', { labelCache: cache });
    expect(result.issues.map((i) => i.reason)).toEqual(['duplicate series, first seen at line 1']);
  });
});

describe('parseExposition metadata errors', () => {
  it('reports a second HELP or TYPE line for a family and keeps the first', () => {
    const text = '# HELP x first\n# HELP x second\n# TYPE x gauge\n# TYPE x counter\nx 1\n';
    const result = parseExposition(text);
    expect(result.families.get('x')).toEqual({ type: 'gauge', help: 'first' });
    expect(result.issues.map((i) => [i.line, i.reason])).toEqual([
      [2, 'second # HELP line for "x"'],
      [4, 'second # TYPE line for "x"'],
    ]);
    expect(result.samples).toHaveLength(1);
  });
});
