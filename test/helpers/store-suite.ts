import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupField } from '../../collector/dcgm/fields.js';
import type { GpuLabels } from '../../collector/dcgm/normalize.js';
import {
  deleteExpiredRollups,
  listTargets,
  rollupHourly,
  upsertTargetStatuses,
} from '../../collector/queries.js';
import { getGpuSeries, listGpusWithLatest } from '../../collector/read-queries.js';
import { RollupAccumulator } from '../../collector/rollup/accumulate.js';
import { EntityIdCache, flushRollups } from '../../collector/rollup/write.js';
import { type DbHandle, hasAllMigrations, queryRows } from '../../core/db.js';
import { defineJobStoreTests } from './job-store-suite.js';

const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const MiB = 1024 * 1024;

export const h100: GpuLabels = {
  uuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
  gpuInstanceId: null,
  gpuIndex: 0,
  device: 'nvidia0',
  model: 'NVIDIA H100 80GB HBM3',
  pciBusId: '00000000:1B:00.0',
  migProfile: null,
  hostname: 'node-a',
  driverVersion: '575.51.03',
  owner: { pod: 'trainer-0', namespace: 'ml' },
};
const migInstance: GpuLabels = { ...h100, gpuInstanceId: 11, migProfile: '1g.10gb', owner: {} };

/** Four 15-second scrapes per minute for `minutes` minutes, with known values. */
function feed(acc: RollupAccumulator, minutes: number, startMs = t0) {
  for (let i = 0; i < minutes * 4; i++) {
    const ts = startMs + i * 15_000;
    const o = (g: GpuLabels, name: string, v: number) => acc.observe('node-a', g, lookupField(name)!, v, ts);
    o(h100, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', (i % 4) * 0.25);
    o(h100, 'DCGM_FI_DEV_FB_USED', 1000 + i);
    o(h100, 'DCGM_FI_DEV_FB_FREE', 80559 - i);
    o(h100, 'DCGM_FI_DEV_POWER_USAGE', 100 + (i % 4) * 100);
    o(h100, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 1_000_000 + i * 15 * 250_000);
    o(h100, 'DCGM_FI_DEV_XID_ERRORS', i === 5 ? 79 : 0);
    o(migInstance, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.5);
  }
}

/** The store behaviour every backend must show; run on PGlite (unit) and real PostgreSQL (integration). */
export function defineStoreSuite(backend: string, open: () => Promise<DbHandle>) {
  describe(`store on ${backend}`, () => {
    let handle: DbHandle;
    beforeAll(async () => {
      handle = await open();
      await handle.migrate();
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('applies every migration and a second migrate changes nothing', async () => {
      expect(await hasAllMigrations(handle.db)).toBe(true);
      await handle.migrate();
      const rows = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
    });

    it('writes nodes, GPUs and minute rollups, and a replayed batch changes nothing', async () => {
      const acc = new RollupAccumulator();
      feed(acc, 3);
      const now = t0 + 4 * 60_000;
      const first = await flushRollups(handle.db, 'test', acc, new EntityIdCache(), now, {
        includeOpen: true,
      });
      expect(first).toEqual({ rollupRows: 6, newGpus: 2 });
      const before = await queryRows(handle.db, sql`select * from gpu_rollups order by gpu_id, bucket`);

      const replay = new RollupAccumulator();
      feed(replay, 3);
      await flushRollups(handle.db, 'test', replay, new EntityIdCache(), now, { includeOpen: true });
      const after = await queryRows(handle.db, sql`select * from gpu_rollups order by gpu_id, bucket`);
      expect(after).toEqual(before);
      const gpus = await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from gpus`);
      expect(gpus[0]?.n).toBe(2);
    });

    it('lists each GPU and MIG instance once with its newest rollup', async () => {
      const rows = await listGpusWithLatest(handle.db, { limit: 100, offset: 0 });
      expect(rows.map((r) => [r.uuid, r.gpu_instance_id])).toEqual([
        [h100.uuid, null],
        [h100.uuid, 11],
      ]);
      const whole = rows[0]!;
      expect(whole).toMatchObject({ node: 'node-a', model: 'NVIDIA H100 80GB HBM3', sample_count: 4 });
      expect(new Date(whole.bucket!).getTime()).toBe(t0 + 2 * 60_000);
      expect(whole.owner_labels).toEqual({ pod: 'trainer-0', namespace: 'ml' });
      expect(Number(whole.activity_mean)).toBeCloseTo(0.375, 10);
      expect(Number(whole.memory_used_max_bytes)).toBe((1000 + 11) * MiB);
      expect(whole.xid_codes).toEqual([]);
    });

    it('lets a fuller minute replace a partial one but never the reverse', async () => {
      const partial = new RollupAccumulator();
      partial.observe('node-a', h100, lookupField('DCGM_FI_DEV_POWER_USAGE')!, 999, t0 + 2 * 60_000 + 1);
      await flushRollups(handle.db, 'test', partial, new EntityIdCache(), t0 + 4 * 60_000, {
        includeOpen: true,
      });
      const rows = await listGpusWithLatest(handle.db, { limit: 1, offset: 0 });
      expect(Number(rows[0]?.power_mean_watts)).toBe(250);
      expect(rows[0]?.sample_count).toBe(4);
    });

    it('re-buckets a series by step with sample-weighted means, summed energy and merged XIDs', async () => {
      const ids = await queryRows<{ id: number }>(
        handle.db,
        sql`select id from gpus where gpu_instance_id is null`,
      );
      const points = await getGpuSeries(
        handle.db,
        [ids[0]!.id],
        new Date(t0),
        new Date(t0 + 3 * 60_000),
        180,
      );
      expect(points).toHaveLength(1);
      const p = points[0]!;
      expect(p.sample_count).toBe(12);
      expect(Number(p.activity_mean)).toBeCloseTo(0.375, 10);
      expect(Number(p.power_mean_watts)).toBeCloseTo(250, 10);
      // 11 deltas of 15 s at 250 W (the first sample has no predecessor)
      expect(Number(p.energy_joules)).toBeCloseTo(11 * 15 * 250, 6);
      expect(p.xid_codes).toEqual([79]);
    });

    it('derives an hourly level equal to the minute rows, idempotently', async () => {
      const hour = new Date(t0 - (t0 % 3_600_000));
      const end = new Date(hour.getTime() + 3_600_000);
      expect(await rollupHourly(handle.db, hour, end)).toBe(2);
      expect(await rollupHourly(handle.db, hour, end)).toBe(2);
      const ids = await queryRows<{ id: number }>(
        handle.db,
        sql`select id from gpus where gpu_instance_id is null`,
      );
      const [minute] = await getGpuSeries(handle.db, [ids[0]!.id], hour, end, 3600 * 2 - 60);
      const [hourly] = await getGpuSeries(handle.db, [ids[0]!.id], hour, end, 3600);
      expect(hourly?.sample_count).toBe(12);
      expect(Number(hourly?.activity_mean)).toBeCloseTo(Number(minute?.activity_mean), 10);
      expect(Number(hourly?.energy_joules)).toBeCloseTo(Number(minute?.energy_joules), 6);
      expect(hourly?.xid_codes).toEqual([79]);
    });

    it('records target health and keeps the last success through a failure', async () => {
      const base = {
        kind: 'dcgm' as const,
        url: 'http://node-a:9400/metrics',
        node: 'node-a',
        lastDurationSeconds: 0.1,
      };
      await upsertTargetStatuses(handle.db, [
        {
          ...base,
          up: true,
          lastAttemptAt: new Date(t0),
          lastSuccessAt: new Date(t0),
          lastError: null,
          lastSampleCount: 10,
          lastIssueCount: 0,
          consecutiveFailures: 0,
        },
      ]);
      await upsertTargetStatuses(handle.db, [
        {
          ...base,
          up: false,
          lastAttemptAt: new Date(t0 + 15_000),
          lastSuccessAt: null,
          lastError: 'HTTP 500',
          lastSampleCount: null,
          lastIssueCount: null,
          consecutiveFailures: 1,
        },
      ]);
      const [target] = await listTargets(handle.db);
      expect(target).toMatchObject({ up: false, lastError: 'HTTP 500', consecutiveFailures: 1 });
      expect(target?.lastSuccessAt?.getTime()).toBe(t0);
    });

    it('deletes rollups past retention', async () => {
      const deleted = await deleteExpiredRollups(handle.db, new Date(t0 + 60_000), new Date(t0));
      expect(deleted).toEqual({ minute: 2, hourly: 0 });
    });

    defineJobStoreTests(() => handle);
  });
}
