import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestSamples } from '../../collector/dcgm/ingest.js';
import { parseExposition } from '../../collector/dcgm/parse.js';
import { BUCKET_MS, RollupAccumulator } from '../../collector/rollup/accumulate.js';
import { createFleet } from '../fleet.js';
import { parsePrometheusTextFormat, parseSeries, type Series } from '../test-helpers.js';
import { escapeLabelValue } from './dcgm-exporter.js';
import { dcgmFields, fieldsOutsideDefaultCounters } from './dcgm-fields.js';

const fixtureDir = new URL('../../test/fixtures/telemetry/', import.meta.url);
const readFixture = (name: string): string => readFileSync(new URL(name, fixtureDir), 'utf8');

interface CsvField {
  promType: string;
  help: string;
  enabled: boolean;
}

/** default-counters.csv: `FIELD, prom type, help`; `# FIELD, ...` lines are disabled fields. */
function readDefaultCounters(): Map<string, CsvField> {
  const fields = new Map<string, CsvField>();
  for (const rawLine of readFixture('dcgm-exporter_default-counters.csv').split('\n')) {
    const enabled = !rawLine.startsWith('#');
    const line = rawLine.replace(/^#\s*/, '');
    const match = /^(DCGM_\w+)\s*,\s*(\w+)\s*,\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, name, promType, help] = match as unknown as [string, string, string, string];
    if (fields.get(name)?.enabled && !enabled) continue;
    fields.set(name, { promType, help: help.trim(), enabled });
  }
  return fields;
}

interface Observation {
  label_order?: string[];
}

function readObservedLabelOrders(): string[][] {
  const json = JSON.parse(readFixture('dcgm-exporter_issue-observations.json')) as {
    observations: Observation[];
  };
  return json.observations.flatMap((o) => (o.label_order ? [o.label_order] : []));
}

const fleet = createFleet({ seed: 11, nodeCount: 40, startMs: Date.UTC(2025, 2, 1) });
const tMs = fleet.startMs + 5 * 60_000;
const texts = fleet.nodes.map((node) => fleet.renderNode(node.name, tMs)!);
const allText = texts.join('');
const allSeries: Series[] = texts.flatMap((text) => parseSeries(text));
const csv = readDefaultCounters();

describe('renderDcgmExporterText against dcgm-exporter fixtures', () => {
  it('prints only fields of default-counters.csv, apart from the listed exceptions', () => {
    const printed = new Set(allSeries.map((s) => s.name));
    for (const name of printed) {
      expect(csv.has(name) || fieldsOutsideDefaultCounters.includes(name), name).toBe(true);
    }
    for (const name of fieldsOutsideDefaultCounters) expect(csv.has(name), name).toBe(false);
    expect(printed.size).toBe(dcgmFields.length);
  });

  it('prints each HELP text and TYPE exactly as default-counters.csv gives them', () => {
    const families = parsePrometheusTextFormat(texts[0]!);
    for (const family of families) {
      const field = csv.get(family.name);
      if (!field) continue;
      expect(family.help, family.name).toBe(field.help);
      expect(family.type.toLowerCase(), family.name).toBe(field.promType);
    }
    expect(families.filter((f) => csv.has(f.name))).toHaveLength(
      dcgmFields.length - fieldsOutsideDefaultCounters.length,
    );
  });

  it('orders the labels of every series as real exporters printed them', () => {
    const observed = readObservedLabelOrders().map((order) => order.join(','));
    const withDriver = observed.filter((order) => order.includes('DCGM_FI_DRIVER_VERSION'));
    for (const series of allSeries) {
      const keys = Object.keys(series.labels).map((key) => (key === 'hostname' ? 'Hostname' : key));
      const withoutJob = keys.filter((key) => key !== 'hpc_job').join(',');
      const matches = withDriver.some((order) => order === withoutJob || order.startsWith(`${withoutJob},`));
      expect(matches, `${series.name} ${keys.join(',')}`).toBe(true);
      if (keys.includes('hpc_job')) expect(keys.at(-1)).toBe('hpc_job');
    }
  });

  it('prints a pod-holding whole GPU with the label order of dcgm-exporter#490 on an 8x H100 node', () => {
    const order490 = readObservedLabelOrders().find((o) => o.length === 10 && !o.includes('GPU_I_ID'));
    const podSeries = allSeries.find(
      (s) =>
        s.labels['pod'] &&
        !s.labels['GPU_I_ID'] &&
        s.labels['Hostname'] &&
        s.labels['modelName']?.includes('H100'),
    );
    expect(order490).toBeDefined();
    expect(Object.keys(podSeries!.labels)).toEqual(order490);
  });

  it('uses the lowercase hostname label on a minority of nodes', () => {
    const lowercase = fleet.nodes.filter((node) => node.hostnameLabelKey === 'hostname');
    expect(lowercase.length).toBeGreaterThan(0);
    expect(lowercase.length).toBeLessThan(fleet.nodes.length / 2);
    const text = fleet.renderNode(lowercase[0]!.name, tMs)!;
    expect(text).toContain(`,hostname="${lowercase[0]!.name}",`);
    expect(text).not.toContain('Hostname=');
  });

  it('formats floats with six decimals like the T4 fixture and integers bare', () => {
    const fixtureFloats =
      readFixture('dcgm-exporter_tesla-t4_datadog-serve.prom').match(/ \d+\.\d+$/gm) ?? [];
    expect(fixtureFloats.length).toBeGreaterThan(0);
    for (const value of fixtureFloats) expect(value).toMatch(/^ \d+\.\d{6}$/);
    const floatFields = new Set([
      'DCGM_FI_DEV_POWER_USAGE',
      'DCGM_FI_DEV_POWER_MGMT_LIMIT',
      ...dcgmFields
        .filter((f) => f.name.endsWith('_ACTIVE') || f.name.endsWith('_OCCUPANCY'))
        .map((f) => f.name),
    ]);
    for (const series of allSeries) {
      expect(series.rawValue, series.name).toMatch(floatFields.has(series.name) ? /^\d+\.\d{6}$/ : /^\d+$/);
    }
  });

  it('parses with parse-prometheus-text-format into one family per field and every printed line', () => {
    const families = parsePrometheusTextFormat(allText);
    const sampleLines = allText.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const perNode = parsePrometheusTextFormat(texts[0]!);
    expect(perNode.map((f) => f.name)).toEqual(dcgmFields.map((f) => f.name));
    expect(families.reduce((sum, family) => sum + family.metrics.length, 0)).toBe(sampleLines.length);
    expect(allText).not.toMatch(/^# HELP \S+\s*$/m);
  });

  it('uses real H100 identifiers: model name, 8-GPU baseboard bus IDs and UUID form', () => {
    const h100 = allSeries.filter(
      (s) => s.name === 'DCGM_FI_DEV_SM_CLOCK' && s.labels['modelName']?.includes('H100'),
    );
    expect(h100.length).toBeGreaterThan(0);
    expect(h100.find((s) => s.labels['gpu'] === '0')?.labels['pci_bus_id']).toBe('00000000:1B:00.0');
    for (const series of h100) {
      expect(series.labels['UUID']).toMatch(
        /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(['550.144.03', '575.51.03']).toContain(series.labels['DCGM_FI_DRIVER_VERSION']);
    }
  });
});

describe('renderDcgmExporterText health fields through the collector', () => {
  const healthFields = [
    'DCGM_FI_DEV_POWER_MGMT_LIMIT',
    'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL',
    'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
    'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS',
    'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS',
    'DCGM_FI_DEV_ROW_REMAP_FAILURE',
  ];

  it('prints power limit, ECC and row-remap series once per GPU with healthy steady values', () => {
    const node = fleet.nodes[0]!;
    const series = parseSeries(texts[0]!);
    for (const name of healthFields) {
      const printed = series.filter((s) => s.name === name);
      expect(printed, name).toHaveLength(node.gpus.length);
      const expected = name === 'DCGM_FI_DEV_POWER_MGMT_LIMIT' ? formatLimit(node.model.powerLimitW) : '0';
      for (const s of printed) expect(s.rawValue, name).toBe(expected);
    }
  });

  it('parses back through the collector into rollup health columns: 700 W H100, counters not moving', () => {
    const node = fleet.nodes.find(
      (n) => n.model.name.includes('H100') && n.gpus.some((g) => !g.instances.length),
    )!;
    const acc = new RollupAccumulator();
    const minuteMs = Math.ceil(tMs / BUCKET_MS) * BUCKET_MS;
    for (let i = 0; i < 4; i++) {
      const scrapedAtMs = minuteMs + i * 15_000;
      const parsed = parseExposition(fleet.renderNode(node.name, scrapedAtMs)!);
      expect(parsed.issues).toEqual([]);
      for (const name of healthFields)
        expect(
          parsed.samples.some((s) => s.name === name),
          name,
        ).toBe(true);
      ingestSamples(acc, parsed.samples, { node: node.name, fallbackNode: node.name, scrapedAtMs });
    }
    const rows = acc.takeDirty(minuteMs + 2 * BUCKET_MS, { includeOpen: false });
    const whole = rows.filter((r) => r.gpu.gpuInstanceId === null);
    expect(whole).toHaveLength(node.gpus.length);
    for (const row of whole) {
      expect(row).toMatchObject({
        powerLimitWatts: 700,
        eccSbeVolatileDelta: 0,
        eccDbeVolatileDelta: 0,
        pcieReplayDelta: 0,
        rowRemapFailure: 0,
        uncorrectableRemappedRows: 0,
        correctableRemappedRows: 0,
      });
      expect(row.memoryTemperatureMaxCelsius).toBeGreaterThan(20);
    }
    const unpartitioned = whole.filter((r) => r.activitySource === 'gr_engine_active');
    expect(unpartitioned.length).toBeGreaterThan(0);
    for (const row of unpartitioned) {
      expect(row.gpuUtilMean).not.toBeNull();
      expect(row.gpuUtilMax).toBeGreaterThanOrEqual(row.gpuUtilMean!);
    }
  });
});

function formatLimit(watts: number): string {
  return watts.toFixed(6);
}

describe('escapeLabelValue', () => {
  it('escapes backslashes, quotes and newlines as the text format requires', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeLabelValue('plain')).toBe('plain');
  });
});
