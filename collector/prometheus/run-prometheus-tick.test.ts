import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { getTracer } from '../../core/telemetry.js';
import {
  type FakePrometheus,
  loadRecordedWindow,
  type RecordedWindow,
  startFakePrometheus,
} from '../../test/fixtures/prometheus/fake-prometheus.js';
import { createCollectorMetrics } from '../metrics.js';
import { listTargets } from '../queries.js';
import { BackfillError, runBackfill } from './backfill.js';
import { createPrometheusClient } from './fetch-query-range.js';
import { createPrometheusCollector, type PrometheusSourceDeps } from './run-prometheus-tick.js';
import type { PrometheusSettings } from './settings.js';

const minute = 60_000;
let window: RecordedWindow;
let fake: FakePrometheus;
let handle: DbHandle;
/** A second database, for comparing two ways of filling the same minutes. */
let other: DbHandle;

const unavailable = JSON.stringify({
  status: 'error',
  errorType: 'unavailable',
  error: 'too many queries in flight',
});

async function openMigrated(): Promise<DbHandle> {
  const db = await openDb({ inMemory: true });
  await db.migrate();
  return db;
}

beforeAll(async () => {
  window = loadRecordedWindow();
  [fake, handle, other] = await Promise.all([startFakePrometheus(window), openMigrated(), openMigrated()]);
}, 120_000);

afterAll(async () => {
  await fake.close();
  await handle.close();
  await other.close();
});

beforeEach(async () => {
  for (const db of [handle, other]) {
    await db.db.execute(
      sql`truncate nodes, gpus, gpu_rollups, gpu_rollups_hourly, collector_targets restart identity cascade`,
    );
  }
  fake.requests.length = 0;
});

function settingsFor(overrides: Partial<PrometheusSettings> = {}): {
  cluster: string;
  prometheus: PrometheusSettings;
} {
  return {
    cluster: 'test',
    prometheus: {
      url: fake.url,
      intervalSeconds: 60,
      stepSeconds: window.stepSeconds,
      timeoutSeconds: 5,
      lagSeconds: 30,
      headers: {},
      selector: '',
      ...overrides,
    },
  };
}

function depsFor(db: DbHandle, nowMs: number) {
  const registry = new Registry();
  const clock = createManualClock(nowMs);
  const deps: PrometheusSourceDeps = {
    db: db.db,
    clock,
    log: createSilentLogger(),
    tracer: getTracer(),
    metrics: createCollectorMetrics(registry),
    client: createPrometheusClient({
      url: fake.url,
      timeoutMs: 5_000,
      maxBodyBytes: 1 << 24,
      sleep: async () => {},
    }),
  };
  return { deps, clock, registry };
}

/** Every rollup with its GPU's natural key instead of the database id, in a stable order. */
async function readRollups(db: DbHandle) {
  const rows = await queryRows<Record<string, unknown>>(
    db.db,
    sql`select n.name as node, g.uuid, g.gpu_instance_id, r.*
      from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
      order by n.name, g.uuid, g.gpu_instance_id nulls first, r.bucket`,
  );
  return rows.map(({ gpu_id: _id, ...rest }) => rest);
}

/** GPUs (and MIG instances) in the recording: distinct (Hostname, UUID, GPU_I_ID) over all fields. */
function recordedGpuKeys(): Set<string> {
  const keys = new Set<string>();
  for (const body of Object.values(window.responses)) {
    for (const s of body.data.result) {
      keys.add(
        `${s.metric['Hostname'] ?? s.metric['hostname']}/${s.metric['UUID']}/${s.metric['GPU_I_ID'] ?? ''}`,
      );
    }
  }
  return keys;
}

/** Recorded values of one metric for one GPU whose step lies in (fromMs, toMs]. */
function recordedValues(
  query: string,
  uuid: string,
  fromMs: number,
  toMs: number,
  instance?: string,
): number[] {
  const series = window.responses[query]!.data.result.filter(
    (s) => s.metric['UUID'] === uuid && s.metric['GPU_I_ID'] === instance,
  );
  return series.flatMap((s) =>
    s.values.filter(([t]) => t * 1000 > fromMs && t * 1000 <= toMs).map(([, v]) => Number(v)),
  );
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('runPrometheusTick', () => {
  it('writes one row per GPU per whole minute up to now - lag, then continues from its cursor', async () => {
    const m0 = window.fromMs;
    const { deps, clock, registry } = depsFor(handle, m0 + 2 * minute + 30_000 + 10_000);
    const collector = createPrometheusCollector(deps, settingsFor());

    const first = await collector.runTick();
    expect(first).toMatchObject({ fromMs: m0, toMs: m0 + 2 * minute, chunks: 1, cursorMs: m0 + 2 * minute });
    expect(first.queryError).toBeUndefined();
    expect(first.writeError).toBeUndefined();
    const gpus = recordedGpuKeys().size;
    expect(first.gpus).toBe(gpus);
    expect(first.rollupRows).toBe(gpus * 2);

    clock.advance(minute);
    const second = await collector.runTick();
    expect(second).toMatchObject({ fromMs: m0 + 2 * minute, toMs: m0 + 3 * minute, rollupRows: gpus });
    // each request asked only for the steps of its own minutes
    const starts = fake.requests.map((p) => Number(p.get('start')) * 1000);
    expect(new Set(starts)).toEqual(new Set([m0 + 15_000, m0 + 2 * minute + 15_000]));

    const rows = await readRollups(handle);
    expect(rows).toHaveLength(gpus * 3);
    expect(rows.every((r) => r['sample_count'] === 4)).toBe(true);

    // one GPU checked against the recorded values directly
    const busy = window.responses['DCGM_FI_DEV_POWER_USAGE']!.data.result[0]!.metric['UUID']!;
    const row = rows.find(
      (r) => r['uuid'] === busy && new Date(r['bucket'] as string).getTime() === m0 + minute,
    )!;
    const from = m0 + minute;
    const to = m0 + 2 * minute;
    expect(row['power_mean_watts']).toBeCloseTo(
      mean(recordedValues('DCGM_FI_DEV_POWER_USAGE', busy, from, to)),
      9,
    );
    expect(row['temperature_max_celsius']).toBe(
      Math.max(...recordedValues('DCGM_FI_DEV_GPU_TEMP', busy, from, to)),
    );
    const energy = recordedValues('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', busy, from - 15_000, to);
    expect(row['energy_joules']).toBeCloseTo((energy.at(-1)! - energy[0]!) / 1000, 6);

    const [target] = await listTargets(handle.db);
    expect(target).toMatchObject({ kind: 'prometheus', url: fake.url, up: true, consecutiveFailures: 0 });
    expect(target?.lastSampleCount).toBeGreaterThan(0);
    const up = await registry.getSingleMetric('gpuscope_collector_targets_up')?.get();
    expect(up?.values).toEqual([{ labels: { source: 'prometheus' }, value: 1 }]);
  });

  it('skips the query when no new whole minute has passed', async () => {
    const { deps } = depsFor(handle, window.fromMs + 2 * minute + 30_000 + 10_000);
    const collector = createPrometheusCollector(deps, settingsFor());
    await collector.runTick();
    const requests = fake.requests.length;
    const again = await collector.runTick();
    expect(again).toMatchObject({ chunks: 0, requests: 0, rollupRows: 0 });
    expect(fake.requests.length).toBe(requests);
  });

  it('keeps the cursor when a query fails, records the failure, and catches up on the next tick', async () => {
    const m0 = window.fromMs;
    const { deps, clock, registry } = depsFor(handle, m0 + 2 * minute + 40_000);
    const collector = createPrometheusCollector(deps, settingsFor({ concurrency: 1 }));
    // fails, and fails again on the client's one retry
    fake.failQuery('DCGM_FI_DEV_POWER_USAGE', 2, 503, unavailable);

    const failed = await collector.runTick();
    expect(failed.cursorMs).toBe(m0);
    expect(failed.chunks).toBe(0);
    expect(failed.queryError).toMatch(
      /^api_error: HTTP 503: DCGM_FI_DEV_POWER_USAGE: unavailable: too many queries/,
    );
    const [target] = await listTargets(handle.db);
    expect(target).toMatchObject({
      kind: 'prometheus',
      up: false,
      consecutiveFailures: 1,
      lastSuccessAt: null,
    });
    expect(target?.lastError).toMatch(/too many queries in flight/);
    const errors = await registry.getSingleMetric('gpuscope_collector_scrape_errors_total')?.get();
    expect(errors?.values).toEqual([{ labels: { source: 'prometheus', reason: 'api_error' }, value: 1 }]);

    clock.advance(minute);
    const recovered = await collector.runTick();
    expect(recovered).toMatchObject({ fromMs: m0, toMs: m0 + 3 * minute, cursorMs: m0 + 3 * minute });
    expect(recovered.queryError).toBeUndefined();
    const [healed] = await listTargets(handle.db);
    expect(healed).toMatchObject({ up: true, consecutiveFailures: 0 });

    // the same rows as a run that never failed
    const clean = depsFor(other, m0 + 3 * minute + 40_000);
    await createPrometheusCollector(clean.deps, settingsFor({ intervalSeconds: 90 })).runTick();
    expect(await readRollups(handle)).toEqual(await readRollups(other));
  });

  it('catches up a long gap a few chunks per tick, with the same rows as a backfill', async () => {
    const m0 = window.fromMs;
    const { deps } = depsFor(handle, m0 + 3 * minute + 40_000);
    const collector = createPrometheusCollector(
      deps,
      settingsFor({ intervalSeconds: 90, maxChunkSeconds: 60, maxChunksPerTick: 2 }),
    );
    const first = await collector.runTick();
    expect(first).toMatchObject({ chunks: 2, cursorMs: m0 + 2 * minute });
    const second = await collector.runTick();
    expect(second).toMatchObject({ fromMs: m0 + 2 * minute, chunks: 1, cursorMs: m0 + 3 * minute });
    await runBackfill(depsFor(other, m0 + 10 * minute).deps, settingsFor(), m0, m0 + 3 * minute);
    expect(await readRollups(handle)).toEqual(await readRollups(other));
  });

  it('adds the selector to every query', async () => {
    const { deps } = depsFor(handle, window.fromMs + 2 * minute + 40_000);
    await createPrometheusCollector(deps, settingsFor({ selector: 'cluster="a"' })).runTick();
    const queries = fake.requests.map((p) => p.get('query'));
    expect(queries).toContain('DCGM_FI_DEV_GPU_UTIL{cluster="a"}');
    expect(queries.every((q) => q?.includes('cluster="a"'))).toBe(true);
  });
});

describe('runBackfill', () => {
  const range = () => ({ from: window.fromMs, to: window.toMs, now: window.toMs + 10 * minute });

  it('fills every minute of a past range and returns a summary', async () => {
    const { from, to, now } = range();
    const { deps } = depsFor(handle, now);
    const summary = await runBackfill(deps, settingsFor(), from, to);
    const gpus = recordedGpuKeys().size;
    expect(summary).toMatchObject({
      fromMs: from,
      toMs: to,
      chunks: 1,
      chunksPlanned: 1,
      gpus,
      rowsWritten: gpus * 3,
    });
    expect(summary.requests).toBe(Object.keys(window.responses).length);
    expect(summary.samples).toBeGreaterThan(0);
    expect(await readRollups(handle)).toHaveLength(gpus * 3);
  });

  it('gives identical rows when run twice over the same range', async () => {
    const { from, to, now } = range();
    const { deps } = depsFor(handle, now);
    await runBackfill(deps, settingsFor(), from, to);
    const once = await readRollups(handle);
    const again = await runBackfill(depsFor(handle, now + minute).deps, settingsFor(), from, to);
    expect(again.rowsWritten).toBe(once.length);
    expect(await readRollups(handle)).toEqual(once);
  });

  it('gives the same rows in one-minute chunks as in one chunk: counter deltas carry across chunks', async () => {
    const { from, to, now } = range();
    await runBackfill(depsFor(handle, now).deps, settingsFor(), from, to);
    const oneChunk = await readRollups(handle);
    const summary = await runBackfill(
      depsFor(other, now).deps,
      settingsFor({ maxChunkSeconds: 60 }),
      from,
      to,
    );
    expect(summary.chunks).toBe(3);
    expect(await readRollups(other)).toEqual(oneChunk);
  });

  it('widens the request to whole minutes and stops at now - lag', async () => {
    const { from } = range();
    const { deps } = depsFor(handle, from + 2 * minute + 45_000);
    const summary = await runBackfill(deps, settingsFor(), from + 10_000, from + 5 * minute);
    expect(summary).toMatchObject({ fromMs: from, toMs: from + 2 * minute });
  });

  describe('errors', () => {
    it('throws a BackfillError saying how far it got when a chunk cannot be read', async () => {
      const { from, to, now } = range();
      fake.failQuery('DCGM_FI_DEV_GPU_TEMP', 1_000, 422, unavailable);
      try {
        const error = await runBackfill(
          depsFor(handle, now).deps,
          settingsFor({ maxChunkSeconds: 60 }),
          from,
          to,
        ).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BackfillError);
        expect((error as BackfillError).message).toMatch(/stopped after 0 of 3 chunks \(nothing stored\)/);
        expect((error as BackfillError).summary).toMatchObject({
          chunks: 0,
          chunksPlanned: 3,
          rowsWritten: 0,
        });
        expect(await readRollups(handle)).toEqual([]);
      } finally {
        fake.failQuery('DCGM_FI_DEV_GPU_TEMP', 0, 422, unavailable);
      }
    });
  });
});
