import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { lookupField } from '../dcgm/fields.js';
import type { GpuLabels } from '../dcgm/normalize.js';
import { rollupHourly } from '../queries.js';
import { RollupAccumulator } from './accumulate.js';
import { EntityIdCache, flushRollups } from './write.js';

const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const gpu: GpuLabels = {
  uuid: 'GPU-be839661-c0f5-7452-284b-b875666df60c',
  gpuInstanceId: null,
  gpuIndex: 0,
  device: 'nvidia0',
  model: 'NVIDIA H100 80GB HBM3',
  pciBusId: '00000000:1B:00.0',
  migProfile: null,
  hostname: 'node-a',
  driverVersion: '575.51.03',
  owner: {},
};

interface HealthRow {
  bucket: Date;
  sample_count: number;
  activity_mean: number | null;
  gpu_util_mean: number | null;
  gpu_util_max: number | null;
  memory_temperature_max_celsius: number | null;
  power_limit_watts: number | null;
  pcie_replay_delta: number | null;
  ecc_sbe_volatile_delta: number | null;
  ecc_dbe_volatile_delta: number | null;
  row_remap_failure: number | null;
  uncorrectable_remapped_rows: number | null;
  correctable_remapped_rows: number | null;
}

const columns = sql.raw(`bucket, sample_count, activity_mean, gpu_util_mean, gpu_util_max,
  memory_temperature_max_celsius, power_limit_watts, pcie_replay_delta, ecc_sbe_volatile_delta,
  ecc_dbe_volatile_delta, row_remap_failure, uncorrectable_remapped_rows, correctable_remapped_rows`);

/**
 * Minute 0: GR_ENGINE_ACTIVE stuck at 0 while GPU_UTIL reads 95 %, SBE 0 → 3, a row remap fails at the
 * third scrape. Minute 1: healthy again at 40 %, SBE 3 → 4 → 4 → 6, PCIe replays 0 → 2.
 */
function feed(acc: RollupAccumulator): void {
  for (let i = 0; i < 8; i++) {
    const ts = t0 + i * 15_000;
    const minute = i < 4 ? 0 : 1;
    const o = (name: string, v: number) => acc.observe('node-a', gpu, lookupField(name)!, v, ts);
    o('DCGM_FI_PROF_GR_ENGINE_ACTIVE', minute === 0 ? 0 : 0.4);
    o('DCGM_FI_DEV_GPU_UTIL', minute === 0 ? 95 : 40);
    o('DCGM_FI_DEV_MEMORY_TEMP', 60 + i);
    o('DCGM_FI_DEV_POWER_MGMT_LIMIT', minute === 0 ? 700 : 500);
    o('DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', [0, 1, 3, 3, 4, 4, 6, 6][i]!);
    o('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 0);
    o('DCGM_FI_DEV_PCIE_REPLAY_COUNTER', minute === 0 ? 0 : 2);
    o('DCGM_FI_DEV_ROW_REMAP_FAILURE', i === 2 ? 1 : 0);
    o('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', i >= 2 ? 1 : 0);
    o('DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 5);
  }
}

/** GPU_UTIL is a percentage scaled by 0.01, so 95 reads back as 0.9500000000000001. */
const round = (value: number) => Math.round(value * 1e12) / 1e12;

describe('health columns in the store (PGlite)', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const acc = new RollupAccumulator();
    feed(acc);
    await flushRollups(handle.db, 'test', acc, new EntityIdCache(), t0 + 3 * 60_000, { includeOpen: true });
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  it('writes each minute with GPU_UTIL kept beside a zero GR_ENGINE_ACTIVE and counter increases', async () => {
    const rows = await queryRows<HealthRow>(
      handle.db,
      sql`select ${columns} from gpu_rollups order by bucket`,
    );
    const rounded = rows.map(({ bucket: _b, ...rest }) =>
      Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])),
    );
    expect(rounded).toEqual([
      {
        sample_count: 4,
        activity_mean: 0,
        gpu_util_mean: 0.95,
        gpu_util_max: 0.95,
        memory_temperature_max_celsius: 63,
        power_limit_watts: 700,
        pcie_replay_delta: 0,
        ecc_sbe_volatile_delta: 3,
        ecc_dbe_volatile_delta: 0,
        row_remap_failure: 1,
        uncorrectable_remapped_rows: 1,
        correctable_remapped_rows: 5,
      },
      {
        sample_count: 4,
        activity_mean: 0.4,
        gpu_util_mean: 0.4,
        gpu_util_max: 0.4,
        memory_temperature_max_celsius: 67,
        power_limit_watts: 500,
        pcie_replay_delta: 2,
        ecc_sbe_volatile_delta: 3,
        ecc_dbe_volatile_delta: 0,
        row_remap_failure: 0,
        uncorrectable_remapped_rows: 1,
        correctable_remapped_rows: 5,
      },
    ]);
  });

  it('folds them into the hourly level: means weighted by samples, maxima maxed, deltas summed', async () => {
    const hour = new Date(t0 - (t0 % 3_600_000));
    expect(await rollupHourly(handle.db, hour, new Date(hour.getTime() + 3_600_000))).toBe(1);
    const [hourly] = await queryRows<HealthRow>(handle.db, sql`select ${columns} from gpu_rollups_hourly`);
    expect(hourly).toMatchObject({
      sample_count: 8,
      memory_temperature_max_celsius: 67,
      power_limit_watts: 600,
      pcie_replay_delta: 2,
      ecc_sbe_volatile_delta: 6,
      ecc_dbe_volatile_delta: 0,
      row_remap_failure: 1,
      uncorrectable_remapped_rows: 1,
      correctable_remapped_rows: 5,
    });
    expect(Number(hourly?.gpu_util_mean)).toBeCloseTo(0.675, 10);
    expect(Number(hourly?.gpu_util_max)).toBeCloseTo(0.95, 10);
  });
});
