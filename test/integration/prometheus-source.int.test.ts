import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DcgmCollectorSettings,
  DcgmCollectorState,
  runDcgmScrapeTick,
} from '../../collector/dcgm/run-dcgm-scrape-tick.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { runBackfill } from '../../collector/prometheus/backfill.js';
import { createPrometheusCollector } from '../../collector/prometheus/run-prometheus-tick.js';
import type { PrometheusSettings } from '../../collector/prometheus/settings.js';
import { createManualClock, systemClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { getTracer } from '../../core/telemetry.js';
import { createFleet, type Fleet, type SimServer, sampleTickMs, startSimServer } from '../../sim/index.js';
import {
  buildScrapeConfig,
  prometheusAvailable,
  startTestPrometheus,
  type TestPrometheus,
} from './helpers/prometheus.js';

/**
 * The same fleet read two ways: gpuscope scraping the exporters itself, and gpuscope reading what a
 * real Prometheus scraped (backfill and one live tick). Their minute rollups must agree.
 *
 * Why they can agree exactly rather than within a tolerance: the simulator renders each node's body
 * once per 15-s tick (like dcgm-exporter's collection interval), the direct scraper reads each tick
 * once (mid-tick), and Prometheus scrapes every 5 s, so it holds every tick's body. The query_range
 * step at t (a multiple of 15 s) returns the newest sample in (t - 15 s, t], the tick ending at t,
 * and gpuscope files it in the minute of t - 1 ms, the minute the tick was in. Both sides fold the
 * same four readings into each minute in the same order.
 *
 * Prometheus stamps a sample when the scrape starts and the simulator reads its clock a moment later,
 * so a scrape starting just before a tick boundary would store the next tick's body under the old
 * tick's time. The simulator's clock therefore runs 1 s behind the wall clock: the newest scrape
 * before a step (at most 5 s old) then always reads the tick that step closes, provided a scrape
 * answers within a second.
 */

const scrapeIntervalSeconds = 5;
const simClockLagMs = 1_000;
const stepSeconds = 15;
const comparedMinutes = 2;
const minute = 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RollupRow {
  key: string;
  bucket: number;
  sample_count: number;
  activity_source: string | null;
  activity_mean: number | null;
  activity_max: number | null;
  sm_active_mean: number | null;
  tensor_active_mean: number | null;
  dram_active_mean: number | null;
  memory_used_max_bytes: number | null;
  memory_total_bytes: number | null;
  power_mean_watts: number | null;
  energy_joules: number | null;
  temperature_max_celsius: number | null;
  sm_clock_mean_hertz: number | null;
  xid_codes: number[];
  clock_event_reasons: number;
  gpu_util_mean: number | null;
  gpu_util_max: number | null;
  memory_temperature_max_celsius: number | null;
  power_limit_watts: number | null;
  pcie_replay_delta: number | null;
  ecc_sbe_volatile_delta: number | null;
  ecc_dbe_volatile_delta: number | null;
  row_remap_failure: number | null;
  correctable_remapped_rows: number | null;
  uncorrectable_remapped_rows: number | null;
}

async function readRollups(db: DbHandle, fromMs: number, toMs: number): Promise<Map<string, RollupRow>> {
  const rows = await queryRows<
    Omit<RollupRow, 'key' | 'bucket'> & { node: string; uuid: string; gi: number | null; bucket: string }
  >(
    db.db,
    sql`select n.name as node, g.uuid, g.gpu_instance_id as gi, r.bucket::text as bucket, r.sample_count,
        r.activity_source, r.activity_mean, r.activity_max, r.sm_active_mean, r.tensor_active_mean,
        r.dram_active_mean, r.memory_used_max_bytes, r.memory_total_bytes, r.power_mean_watts, r.energy_joules,
        r.temperature_max_celsius, r.sm_clock_mean_hertz, r.xid_codes, r.clock_event_reasons::float8 as clock_event_reasons,
        r.gpu_util_mean, r.gpu_util_max, r.memory_temperature_max_celsius, r.power_limit_watts, r.pcie_replay_delta, r.ecc_sbe_volatile_delta, r.ecc_dbe_volatile_delta, r.row_remap_failure, r.correctable_remapped_rows, r.uncorrectable_remapped_rows
      from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
      where r.bucket >= ${new Date(fromMs)} and r.bucket < ${new Date(toMs)}`,
  );
  const out = new Map<string, RollupRow>();
  for (const { node, uuid, gi, bucket, ...values } of rows) {
    const key = `${node}/${uuid}/${gi ?? '-'}`;
    const bucketMs = Date.parse(bucket);
    out.set(`${key}@${new Date(bucketMs).toISOString()}`, { key, bucket: bucketMs, ...values });
  }
  return out;
}

async function readGpuKeys(db: DbHandle): Promise<string[]> {
  const rows = await queryRows<{ key: string }>(
    db.db,
    sql`select n.name || '/' || g.uuid || '/' || coalesce(g.gpu_instance_id::text, '-') as key
      from gpus g join nodes n on n.id = g.node_id order by 1`,
  );
  return rows.map((r) => r.key);
}

/** Largest absolute difference per column over rows present on both sides. */
function compare(
  a: Map<string, RollupRow>,
  b: Map<string, RollupRow>,
  ignore: (row: RollupRow, column: string) => boolean = () => false,
) {
  const columns = [
    'sample_count',
    'activity_mean',
    'activity_max',
    'sm_active_mean',
    'tensor_active_mean',
    'dram_active_mean',
    'memory_used_max_bytes',
    'memory_total_bytes',
    'power_mean_watts',
    'energy_joules',
    'temperature_max_celsius',
    'sm_clock_mean_hertz',
    'clock_event_reasons',
    'gpu_util_mean',
    'gpu_util_max',
    'memory_temperature_max_celsius',
    'power_limit_watts',
    'pcie_replay_delta',
    'ecc_sbe_volatile_delta',
    'ecc_dbe_volatile_delta',
    'row_remap_failure',
    'correctable_remapped_rows',
    'uncorrectable_remapped_rows',
  ] as const;
  const maxDiff: Record<string, number> = Object.fromEntries(columns.map((c) => [c, 0]));
  const mismatches: string[] = [];
  let rows = 0;
  for (const [id, left] of a) {
    const right = b.get(id);
    if (!right) continue;
    rows++;
    for (const c of columns) {
      if (ignore(left, c)) continue;
      const x = left[c];
      const y = right[c];
      if (x === null || y === null) {
        if (x !== y) mismatches.push(`${id} ${c}: ${x} vs ${y}`);
        continue;
      }
      maxDiff[c] = Math.max(maxDiff[c]!, Math.abs(x - y));
    }
    if (left.activity_source !== right.activity_source) mismatches.push(`${id} activity_source`);
    if (JSON.stringify(left.xid_codes) !== JSON.stringify(right.xid_codes)) {
      mismatches.push(
        `${id} xid_codes: ${JSON.stringify(left.xid_codes)} vs ${JSON.stringify(right.xid_codes)}`,
      );
    }
  }
  return { rows, maxDiff, mismatches };
}

describe.skipIf(!prometheusAvailable())('Prometheus-compatible source against a real Prometheus', () => {
  let fleet: Fleet;
  let sim: SimServer;
  let prom: TestPrometheus;
  let directDb: DbHandle;
  let backfillDb: DbHandle;
  let liveDb: DbHandle;
  let targets: { node: string; url: string }[];
  const startedAt = Date.now();

  beforeAll(async () => {
    // Start the fleet so the planted XID burst (2-5 min after its start) is under way during the test.
    const probe = createFleet({ seed: 11, nodeCount: 4, gpusPerNode: 4, startMs: 0 });
    const xidOffset = probe.groundTruth().scenarios.find((s) => s.kind === 'xid-burst')?.fromMs ?? 0;
    fleet = createFleet({ seed: 11, nodeCount: 4, gpusPerNode: 4, startMs: Date.now() - xidOffset + 20_000 });
    sim = await startSimServer({ fleet, clock: () => Date.now() - simClockLagMs });
    // The exporter-hang node would only cost the direct scraper a timeout per tick; it is left out.
    targets = sim.targets.filter((t) => !fleet.getNode(t.node)?.exporterHangs);
    prom = await startTestPrometheus({
      scrapeIntervalSeconds,
      scrapeConfigs: [buildScrapeConfig({ job: 'dcgm', targets, intervalSeconds: scrapeIntervalSeconds })],
    });
    [directDb, backfillDb, liveDb] = await Promise.all([
      openDb({ inMemory: true }),
      openDb({ inMemory: true }),
      openDb({ inMemory: true }),
    ]);
    for (const db of [directDb, backfillDb, liveDb]) await db.migrate();
  });

  afterAll(async () => {
    await prom?.stop();
    await sim?.close();
    for (const db of [directDb, backfillDb, liveDb]) await db?.close();
  });

  it('builds the same per-GPU minute rollups from query_range as from scraping the exporters', {
    timeout: 270_000,
  }, async () => {
    // Whole minutes both sources have from their first second: at least one tick of lead for counters.
    const firstMs = Math.ceil((Date.now() + 12_000) / minute) * minute;
    const endMs = firstMs + comparedMinutes * minute;
    const deps = () => ({
      clock: systemClock,
      log: createSilentLogger(),
      tracer: getTracer(),
      metrics: createCollectorMetrics(new Registry()),
    });
    const direct = { ...deps(), db: directDb.db };
    const state = new DcgmCollectorState();
    const dcgmSettings: DcgmCollectorSettings = {
      cluster: 'it',
      targets: targets.map((t) => ({ url: t.url, node: t.node })),
      timeoutSeconds: 5,
      maxBodyBytes: 16 * 1024 * 1024,
      concurrency: 8,
    };
    // One direct scrape per simulator tick, in its middle, until the compared minutes are over.
    let scrapes = 0;
    for (;;) {
      const now = Date.now();
      // the middle of the wall-clock tick, which the simulator renders as the same tick
      let at = Math.floor(now / sampleTickMs) * sampleTickMs + sampleTickMs / 2;
      if (at <= now) at += sampleTickMs;
      if (at > endMs) break;
      await sleep(at - now);
      const summary = await runDcgmScrapeTick(direct, state, dcgmSettings);
      expect(summary.targetsUp).toBe(targets.length);
      scrapes++;
    }
    // The step at endMs needs Prometheus to have stored its last scrape of the final tick.
    await sleep(Math.max(0, endMs + 3_000 - Date.now()));

    const prometheus: PrometheusSettings = {
      url: prom.url,
      intervalSeconds: comparedMinutes * 30,
      stepSeconds,
      timeoutSeconds: 30,
      lagSeconds: 0,
      headers: {},
      selector: 'job="dcgm"',
    };
    const backfillFrom = Math.floor(startedAt / minute) * minute;
    const summary = await runBackfill(
      { ...deps(), db: backfillDb.db },
      { cluster: 'it', prometheus },
      backfillFrom,
      endMs,
    );
    expect(summary.toMs).toBe(endMs);
    expect(summary.skippedSeries).toBe(0);

    // Live mode's first tick covers the last intervalSeconds * 2 = the compared minutes.
    const liveClock = createManualClock(endMs + 1_000);
    const live = createPrometheusCollector(
      { ...deps(), clock: liveClock, db: liveDb.db },
      { cluster: 'it', prometheus },
    );
    const tick = await live.runTick();
    expect(tick).toMatchObject({
      fromMs: firstMs,
      toMs: endMs,
      queryError: undefined,
      writeError: undefined,
    });

    const directRows = await readRollups(directDb, firstMs, endMs);
    const backfillRows = await readRollups(backfillDb, firstMs, endMs);
    const liveRows = await readRollups(liveDb, firstMs, endMs);
    const gpuKeys = await readGpuKeys(directDb);
    expect(await readGpuKeys(backfillDb)).toEqual(gpuKeys);
    expect(await readGpuKeys(liveDb)).toEqual(gpuKeys);
    expect(new Set([...directRows.keys()])).toEqual(new Set([...backfillRows.keys()]));
    expect(directRows.size).toBe(gpuKeys.length * comparedMinutes);

    const agreement = compare(directRows, backfillRows);
    // Live mode has no sample before its window, so its first minute has one energy delta fewer.
    const liveAgreement = compare(
      backfillRows,
      liveRows,
      (row, c) => c === 'energy_joules' && row.bucket === firstMs,
    );
    console.log(
      JSON.stringify({ scrapes, gpus: gpuKeys.length, backfill: summary, agreement, liveAgreement }, null, 1),
    );
    expect(agreement.rows).toBe(directRows.size);
    expect(agreement.mismatches).toEqual([]);
    expect(liveAgreement.mismatches).toEqual([]);
    for (const [column, diff] of Object.entries({ ...agreement.maxDiff })) {
      // identical readings folded in the same order: only float noise is allowed
      expect(diff, column).toBeLessThanOrEqual(column === 'energy_joules' ? 1e-6 : 1e-9);
    }
    for (const diff of Object.values(liveAgreement.maxDiff)) expect(diff).toBeLessThanOrEqual(1e-9);

    // The planted scenarios came through the TSDB path too.
    const all = [...backfillRows.values()];
    expect(all.some((r) => r.xid_codes.length > 0)).toBe(true);
    expect(all.some((r) => r.clock_event_reasons !== 0)).toBe(true);
    expect(all.some((r) => r.key.endsWith('/-') === false)).toBe(true);
  });
});
