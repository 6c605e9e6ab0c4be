import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBillingFile } from '../../collector/billing/import-billing-file.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';
import { createCostMetrics } from './cost-metrics.js';
import { AllocationState, allocationOptionsFromConfig, runAllocationTick } from './run-allocation-tick.js';

const focus = join(
  import.meta.dirname,
  '../../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);
const T0 = Date.parse('2026-11-20T10:00:00Z');
const HOUR = 3_600_000;
const config = Config.parse({
  cluster: 'c1',
  priceBook: { gpuHourUsd: { 'NVIDIA H100 80GB HBM3': 3 } },
  costs: { lookbackHours: 2 },
});

let handle: DbHandle;
const clock = createManualClock(T0);
const registry = createRegistry({ defaultMetrics: false });
const deps = () => ({
  db: handle.db,
  clock,
  log: createSilentLogger(),
  options: allocationOptionsFromConfig(config),
  metrics,
  backfillDays: 14,
});
const metrics = createCostMetrics(registry);

async function minutes(from: number, to: number) {
  await handle.db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_max)
    select 1, ${new Date(T0)}::timestamptz + m * interval '1 minute', 4, 0.9 from generate_series(${from}::int, ${to - 1}::int) m`);
}

async function nodeHours() {
  return queryRows<{ hour: string; cost: string }>(
    handle.db,
    sql`select to_char(hour at time zone 'UTC', 'HH24:MI') as hour, cost::text as cost from cost_node_hours
      where cluster = 'c1' order by hour`,
  );
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  await handle.db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'dgx-1')`);
  await handle.db.execute(
    sql`insert into gpus (id, node_id, uuid, gpu_index, model) values (1, 1, 'GPU-0', 0, 'NVIDIA H100 80GB HBM3')`,
  );
  await handle.db.execute(sql`insert into prices (provider, kind, region, instance_type, usd_per_hour, effective_from, source)
    values ('config', 'price_book', '', 'NVIDIA H100 80GB HBM3', 3, '2026-01-01', 'config:priceBook')`);
  // the GPU seen every minute from 10:00 to 12:05 so far
  await minutes(0, 125);
});
afterAll(async () => {
  await handle.close();
});

describe('runAllocationTick', () => {
  const state = new AllocationState();

  it('allocates every hour on a new store, the open one so far, then only the look-back', async () => {
    clock.set(T0 + 2 * HOUR + 5 * 60_000);
    const first = await runAllocationTick(deps(), state);
    expect(first).toMatchObject({ hours: 3, billingImports: 0 });
    expect(await nodeHours()).toEqual([
      { hour: '10:00', cost: '3.0000000000' },
      { hour: '11:00', cost: '3.0000000000' },
      // the open hour: the GPU was seen 12:00–12:05 so far ($3 × 5/60)
      { hour: '12:00', cost: '0.2500000000' },
    ]);
    const text = await registry.metrics();
    expect(text).toMatch(
      /gpuscope_gpu_hourly_cost_usd\{cluster="c1",node="dgx-1",gpu_model="NVIDIA H100 80GB HBM3",price_source="price_book"\} 3/,
    );
    // nobody held the GPU: its cost counts as unallocated idle capacity, counted once
    expect(text).toMatch(
      /gpuscope_idle_cost_usd_total\{cluster="c1",team="Unallocated",gpu_model="NVIDIA H100 80GB HBM3",kind="unallocated"\} 3/,
    );

    // the rest of the telemetry, through 14:00
    await minutes(125, 240);
    clock.set(T0 + 4 * HOUR + 5 * 60_000);
    const second = await runAllocationTick(deps(), state);
    // the 2-hour look-back and the open hour (no telemetry past 14:00)
    expect(second.hours).toBe(3);
    expect(await nodeHours()).toEqual(
      ['10:00', '11:00', '12:00', '13:00'].map((hour) => ({ hour, cost: '3.0000000000' })),
    );
    expect(await registry.metrics()).toMatch(/gpuscope_cost_usd_total\{[^}]*price_source="price_book"\} 9/);
  });

  it('takes a billing import in once, and again after a restatement', async () => {
    expect((await importBillingFile({ db: handle.db, clock }, focus, { format: 'focus' })).ok).toBe(true);
    const withImport = await runAllocationTick(deps(), state);
    expect(withImport.billingImports).toBeGreaterThan(0);
    const [other] = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from cost_allocations where kind = 'other'`,
    );
    expect(other?.n).toBeGreaterThan(0);
    expect((await runAllocationTick(deps(), state)).billingImports).toBe(0);
    await handle.db.execute(sql`update billing_imports set imported_at = now() + interval '1 day'
      where provider = 'AWS'`);
    expect((await runAllocationTick(deps(), state)).billingImports).toBe(1);
  });

  it('after a restart, resumes from the newest allocated hour rather than re-doing the store', async () => {
    await handle.db.execute(sql`delete from cost_node_hours where hour >= ${new Date(T0 + 3 * HOUR)}`);
    clock.set(T0 + 6 * HOUR + 5 * 60_000);
    const restarted = await runAllocationTick(deps(), new AllocationState());
    // newest stored hour 12:00 → resume at 13:00, through the open 16:00 hour
    expect(restarted.hours).toBe(4);
    expect((await nodeHours()).map((h) => h.hour)).toEqual(['10:00', '11:00', '12:00', '13:00']);
  });
});
