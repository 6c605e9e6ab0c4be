import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestSamples } from '../dcgm/ingest.js';
import { parseExposition } from '../dcgm/parse.js';
import { BUCKET_MS, RollupAccumulator, type RollupRow } from './accumulate.js';

const fixtures = new URL('../../test/fixtures/telemetry/', import.meta.url);
const t4Text = readFileSync(new URL('dcgm-exporter_tesla-t4_datadog-serve.prom', fixtures), 'utf8');
const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);

/** `DCGM_FIELD, type, help` lines of dcgm-exporter's default-counters.csv, commented-out fields included. */
const defaultCounters = new Map(
  readFileSync(new URL('dcgm-exporter_default-counters.csv', fixtures), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = /^#?\s*(DCGM_\w+)\s*,\s*(\w+)\s*,\s*(.*)$/.exec(line);
      return match ? [[match[1]!, { type: match[2]!, help: match[3]!.trim() }] as const] : [];
    }),
);

/** The label block the T4 exporter printed for its GPU_UTIL series: `{gpu="0",UUID="GPU-20c5…",…}`. */
const t4Labels = /^DCGM_FI_DEV_GPU_UTIL(\{[^}]*\})/m.exec(t4Text)![1]!;
const t4Uuid = /UUID="([^"]+)"/.exec(t4Labels)![1]!;

/** One scrape in dcgm-exporter's text format for the T4's GPU: HELP and TYPE from default-counters.csv. */
function scrape(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => {
      const meta = defaultCounters.get(name) ?? { type: 'gauge', help: '' };
      return `# HELP ${name} ${meta.help}\n# TYPE ${name} ${meta.type}\n${name}${t4Labels} ${value}\n`;
    })
    .join('');
}

function ingest(acc: RollupAccumulator, text: string, scrapedAtMs: number): void {
  const parsed = parseExposition(text);
  expect(parsed.issues).toEqual([]);
  ingestSamples(acc, parsed.samples, { node: 'node-t4', fallbackNode: 'node-t4', scrapedAtMs });
}

function rowsOf(acc: RollupAccumulator, uuid = t4Uuid): RollupRow[] {
  return acc
    .takeDirty(t0 + 10 * BUCKET_MS, { includeOpen: true })
    .filter((row) => row.gpu.uuid === uuid)
    .sort((a, b) => a.bucketMs - b.bucketMs);
}

describe('RollupAccumulator health and data-quality columns', () => {
  it('fills GPU_UTIL, PCIe replays and the power limit from the real Tesla T4 exporter output', () => {
    const acc = new RollupAccumulator();
    ingest(acc, t4Text, t0);
    const second = t4Text
      .replace(/^(DCGM_FI_DEV_GPU_UTIL\{[^}]*\}) 0$/m, '$1 37')
      .replace(/^(DCGM_FI_DEV_PCIE_REPLAY_COUNTER\{[^}]*\}) 0$/m, '$1 4');
    expect(second).not.toBe(t4Text);
    ingest(acc, second, t0 + 15_000);
    const [row] = rowsOf(acc);
    expect(row).toMatchObject({
      activitySource: 'gpu_util',
      gpuUtilMean: 0.185,
      gpuUtilMax: 0.37,
      pcieReplayDelta: 4,
      eccSbeVolatileDelta: null,
      rowRemapFailure: null,
    });
    // The fixture's later families belong to a second T4, the one that printed POWER_MGMT_LIMIT 70.
    const [other] = acc.takeDirty(t0 + BUCKET_MS, { includeOpen: true }).filter((r) => r.key !== row?.key);
    expect(other?.powerLimitWatts).toBe(70);
  });

  it('keeps GPU_UTIL at 95 % beside a GR_ENGINE_ACTIVE of 0, the known DCGM fault, so the GPU is not idle', () => {
    const acc = new RollupAccumulator();
    for (let i = 0; i < 4; i++) {
      const text = scrape({ DCGM_FI_PROF_GR_ENGINE_ACTIVE: '0.000000', DCGM_FI_DEV_GPU_UTIL: '95' });
      ingest(acc, text, t0 + i * 15_000);
    }
    const [row] = rowsOf(acc);
    expect(row).toMatchObject({ activitySource: 'gr_engine_active', activityMean: 0, activityMax: 0 });
    expect(row?.gpuUtilMean).toBeCloseTo(0.95, 12);
    expect(row?.gpuUtilMax).toBeCloseTo(0.95, 12);
  });

  it('sums ECC and PCIe replay increases per minute and counts nothing for a counter reset', () => {
    const acc = new RollupAccumulator();
    // minute 0: SBE 0 → 2 → 5, DBE steady 1; minute 1: the driver reloads (SBE 5 → 1, DBE 1 → 0), then SBE 1 → 3
    const readings = [
      { sbe: 0, dbe: 1, replay: 10 },
      { sbe: 2, dbe: 1, replay: 10 },
      { sbe: 5, dbe: 1, replay: 12 },
      { sbe: 1, dbe: 0, replay: 0 },
      { sbe: 3, dbe: 0, replay: 1 },
    ];
    const times = [0, 15_000, 30_000, 60_000, 75_000];
    for (const [i, r] of readings.entries()) {
      const text = scrape({
        DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: String(r.sbe),
        DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: String(r.dbe),
        DCGM_FI_DEV_PCIE_REPLAY_COUNTER: String(r.replay),
      });
      ingest(acc, text, t0 + times[i]!);
    }
    const rows = rowsOf(acc);
    expect(rows.map((r) => [r.eccSbeVolatileDelta, r.eccDbeVolatileDelta, r.pcieReplayDelta])).toEqual([
      [5, 0, 2],
      [2, 0, 1],
    ]);
  });

  it('leaves a counter delta null for a minute with a single reading and no earlier one', () => {
    const acc = new RollupAccumulator();
    ingest(acc, scrape({ DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: '7' }), t0);
    expect(rowsOf(acc)[0]?.eccDbeVolatileDelta).toBeNull();
  });

  it('takes the maxima of row-remap readings and the memory temperature', () => {
    const acc = new RollupAccumulator();
    const readings = [
      { failure: '0', uncorrectable: '0', correctable: '2', temp: '61' },
      { failure: '1', uncorrectable: '1', correctable: '3', temp: '66' },
      { failure: '0', uncorrectable: '1', correctable: '3', temp: '64' },
    ];
    for (const [i, r] of readings.entries()) {
      const text = scrape({
        DCGM_FI_DEV_ROW_REMAP_FAILURE: r.failure,
        DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: r.uncorrectable,
        DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS: r.correctable,
        DCGM_FI_DEV_MEMORY_TEMP: r.temp,
      });
      ingest(acc, text, t0 + i * 15_000);
    }
    expect(rowsOf(acc)[0]).toMatchObject({
      rowRemapFailure: 1,
      uncorrectableRemappedRows: 1,
      correctableRemappedRows: 3,
      memoryTemperatureMaxCelsius: 66,
    });
  });

  it('ignores DCGM blank sentinels in health fields and diffs a counter against its last real reading', () => {
    const acc = new RollupAccumulator();
    const readings = [
      { sbe: '4', failure: '2147483632', limit: '700.000000', util: '9223372036854775794' },
      { sbe: '9223372036854775794', failure: '2147483632', limit: '140737488355328.000000', util: '40' },
      { sbe: '6', failure: '2147483632', limit: '700.000000', util: '9223372036854775794' },
    ];
    for (const [i, r] of readings.entries()) {
      const text = scrape({
        DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: r.sbe,
        DCGM_FI_DEV_ROW_REMAP_FAILURE: r.failure,
        DCGM_FI_DEV_POWER_MGMT_LIMIT: r.limit,
        DCGM_FI_DEV_GPU_UTIL: r.util,
      });
      ingest(acc, text, t0 + i * 15_000);
    }
    expect(rowsOf(acc)[0]).toMatchObject({
      eccSbeVolatileDelta: 2,
      rowRemapFailure: null,
      powerLimitWatts: 700,
      gpuUtilMean: 0.4,
      gpuUtilMax: 0.4,
    });
    // SBE once, ROW_REMAP_FAILURE three times, POWER_MGMT_LIMIT once, GPU_UTIL twice
    expect(acc.blankValues).toBe(7);
  });
});
