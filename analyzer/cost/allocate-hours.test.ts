import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBillingFile } from '../../collector/billing/import-billing-file.js';
import { type CsvRow, openCsvFile, readCsvRows } from '../../collector/billing/parse-csv.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { parseDecimal } from '../../core/decimal.js';
import { allocateRange } from './allocate-hours.js';
import { buildCostReport } from './build-cost-report.js';
import type { CostReport } from './report-types.js';
import { allocationOptionsFromConfig } from './run-allocation-tick.js';

/**
 * One real FOCUS 1.0 bill (240 anonymized real lines: AWS, Microsoft, Oracle) and telemetry around one of its
 * g5.4xlarge instance-hours, plus an on-premises DGX priced by the price book. Expected values are worked out
 * by hand in the comments.
 */
const focus = join(
  import.meta.dirname,
  '../../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);
const clock = createManualClock(Date.parse('2024-11-05T00:00:00Z'));
const config = Config.parse({
  cluster: 'c1',
  priceBook: { gpuHourUsd: { 'NVIDIA H100 80GB HBM3': 2.5 }, nodeOverheadHourUsd: { '*': 1 } },
  // the sample's tags name owners as business_unit, not team
  billing: { teamTags: ['team', 'business_unit'], projectTags: ['project', 'application'] },
});
const SEPT = { from: new Date('2024-09-01T00:00:00Z'), to: new Date('2024-10-01T00:00:00Z') };
const HOUR = new Date('2024-09-27T15:00:00Z');

let handle: DbHandle;
const options = () => ({ ...allocationOptionsFromConfig(config), db: handle.db, now: new Date(clock.now()) });
const report = (
  groupBy: 'team' | 'job' | 'node' = 'team',
  sharePolicy: 'none' | 'weighted' | 'even' = 'none',
) => buildCostReport(handle.db, { cluster: 'c1', ...SEPT, groupBy, sharePolicy });

async function exec(query: ReturnType<typeof sql>) {
  await handle.db.execute(query);
}

/** Minutes [from, to) of one GPU (or MIG instance) as rollups, each with the same activity and job. */
async function minutes(gpuId: number, from: number, to: number, activity: number, jobRef: number | null) {
  for (let m = from; m < to; m++) {
    const bucket = new Date(HOUR.getTime() + m * 60_000);
    await exec(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
      activity_max, job_ref, attribution)
      values (${gpuId}, ${bucket}, 4, 'gr_engine_active', ${activity}, ${activity}, ${jobRef},
        ${jobRef === null ? 'unattributed' : 'scheduler'})`);
  }
}

/** A report's `1234.56` as integer cents. */
const cents = (v: string) => (parseDecimal(v) ?? 0n) / 100_000_000n;
function expectAddsUp(r: CostReport) {
  const groups = r.groups.reduce((s, g) => s + cents(g.costUsd), 0n);
  expect(groups).toBe(cents(r.allocatedCostUsd));
  expect(cents(r.allocatedCostUsd) + cents(r.idleCostUsd) + cents(r.unallocatedCostUsd)).toBe(
    cents(r.totalCostUsd),
  );
  expect(r.groups.reduce((s, g) => s + cents(g.idleCostUsd), 0n)).toBe(cents(r.idleCostUsd));
  const groupTotals = r.groups.reduce((s, g) => s + cents(g.totalCostUsd), 0n);
  expect(groupTotals + cents(r.unallocatedCostUsd) - cents(r.sharedCostUsd)).toBe(cents(r.totalCostUsd));
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  await exec(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'gpu-a'), (2, 'c1', 'dgx-1')`);
  await exec(sql`insert into gpus (id, node_id, uuid, gpu_instance_id, gpu_index, model, mig_profile) values
    (1, 1, 'GPU-a0', null, 0, 'NVIDIA A10G', null),
    (2, 2, 'GPU-h0', null, 0, 'NVIDIA H100 80GB HBM3', null),
    (3, 2, 'GPU-h1', 1, 1, 'NVIDIA H100 80GB HBM3', '3g.40gb'),
    (4, 2, 'GPU-h1', 2, 1, 'NVIDIA H100 80GB HBM3', '1g.10gb')`);
  await exec(sql`insert into jobs (id, cluster, source, job_id, name, "user", team, project, state, raw_state,
      gpus_allocated, nodes, pods, owners, labels) values
    (1, 'c1', 'slurm', '101', 'train-llm', 'alice', 'ml', 'llm', 'completed', 'COMPLETED', 2, '{gpu-a,dgx-1}', '{}', '[]', '{}'),
    (2, 'c1', 'slurm', '102', 'detect', 'bob', 'vision', 'cams', 'completed', 'COMPLETED', 1, '{dgx-1}', '{}', '[]', '{}')`);
  // gpu-a: job 101 busy 20 min, then idle 10 min; 10 min nobody's; 20 min without telemetry
  await minutes(1, 0, 20, 0.8, 1);
  await minutes(1, 20, 30, 0.01, 1);
  await minutes(1, 30, 40, 0.5, null);
  // dgx-1: GPU 0 job 102 all hour; GPU 1 in MIG: 3g.40gb (3/7) for job 101, 1g.10gb (1/7) nobody's
  await minutes(2, 0, 60, 0.9, 2);
  await minutes(3, 0, 60, 0.7, 1);
  await minutes(4, 0, 60, 0.7, null);
  // gpu-a is the bill's g5.4xlarge i-006flle71l19b488a, billed $1.624 for 15:00–16:00 on 2024-09-27
  await exec(sql`insert into cloud_instances (instance_id, instance_type, region, node, market, state)
    values ('i-006flle71l19b488a', 'g5.4xlarge', 'us-east-1', 'gpu-a', 'on-demand', 'running')`);
  await exec(sql`insert into instance_types (name, gpu_model, gpu_count, source)
    values ('g5.4xlarge', 'A10G', 1, 'test')`);
  await exec(sql`insert into prices (provider, kind, region, instance_type, usd_per_hour, effective_from, source)
    values ('aws', 'on_demand', 'us-east-1', 'g5.4xlarge', 1.212, '2024-01-01', 'aws-pricing:test'),
      ('config', 'price_book', '', 'NVIDIA H100 80GB HBM3', 2.5, '2024-01-01', 'config:priceBook.gpuHourUsd[NVIDIA H100 80GB HBM3]')`);
});
afterAll(async () => {
  await handle.close();
});

describe('allocation before the bill: estimates from prices', () => {
  it('charges gpu-a at its on-demand price for the 40 minutes it was seen, and dgx-1 by the price book', async () => {
    await allocateRange(options(), HOUR, new Date(HOUR.getTime() + 3_600_000));
    const nodeHours = await queryRows<{ node: string; cost: string; price_tier: string; billed: boolean }>(
      handle.db,
      sql`select node, cost::text as cost, price_tier, billed from cost_node_hours order by node`,
    );
    expect(nodeHours).toEqual([
      // 2 × $2.50 + $1 overhead, seen all 60 minutes
      { node: 'dgx-1', cost: '6.0000000000', price_tier: 'price_book', billed: false },
      // $1.212 × 40/60
      { node: 'gpu-a', cost: '0.8080000000', price_tier: 'on_demand', billed: false },
    ]);
    const r = await report();
    expectAddsUp(r);
    expect(r.stalePriceNodeHours).toBe(0);
    expect(r.totalCostUsd).toBe('6.81');
    expect(r.estimatedCostUsd).toBe('6.81');
    expect(r.billedCostUsd).toBe('0.00');
  });
});

describe('a price its API has not confirmed lately', () => {
  it('is still used, and the report flags it stale rather than charge $0', async () => {
    await exec(sql`update prices set fetched_at = '2024-09-01' where kind = 'on_demand'`);
    await allocateRange(options(), HOUR, new Date(HOUR.getTime() + 3_600_000));
    const r = await report();
    expect(r.stalePriceNodeHours).toBe(1);
    expect(r.totalCostUsd).toBe('6.81');
    await exec(sql`update prices set fetched_at = now() where kind = 'on_demand'`);
  });
});

describe('allocation with the real FOCUS bill imported', () => {
  beforeAll(async () => {
    const imported = await importBillingFile({ db: handle.db, clock }, focus, { format: 'focus' });
    expect(imported.ok).toBe(true);
    await allocateRange(options(), SEPT.from, SEPT.to);
  });

  it('reports the whole bill plus the unbilled on-premises estimate, adding up to the cent', async () => {
    const [bill] = await queryRows<{ total: string }>(
      handle.db,
      sql`select sum(billed_cost)::text as total from billing_lines`,
    );
    const r = await report();
    expectAddsUp(r);
    // every line of the sample has its charge period in September; dgx-1 adds its $6.00 estimate
    const expected = (parseDecimal(bill?.total ?? '0') ?? 0n) + 6n * 10n ** 10n;
    expect(cents(r.totalCostUsd)).toBe((expected + 50_000_000n) / 100_000_000n);
    expect(r.estimatedCostUsd).toBe('6.00');
    expect(r.currency).toBe('USD');
  });

  it('splits the billed g5 hour GPU-first: used, idle, and unallocated minutes', async () => {
    const rows = await queryRows<{ kind: string; job_id: string | null; cost: string; gpu_hours: number }>(
      handle.db,
      sql`select kind, job_id, cost::text as cost, gpu_hours from cost_allocations
        where node = 'gpu-a' and hour = ${HOUR} order by kind, job_id`,
    );
    expect(rows).toEqual([
      // $1.624 × 10/60
      { kind: 'idle', job_id: '101', cost: '0.2706666667', gpu_hours: 10 / 60 },
      // the 20 minutes without telemetry and the 10 nobody held: the remainder
      { kind: 'unallocated', job_id: null, cost: '0.8120000000', gpu_hours: 30 / 60 },
      // $1.624 × 20/60
      { kind: 'usage', job_id: '101', cost: '0.5413333333', gpu_hours: 20 / 60 },
    ]);
    const [nh] = await queryRows<{ price_tier: string; estimated_cost: string; cost: string }>(
      handle.db,
      sql`select price_tier, estimated_cost::text as estimated_cost, cost::text as cost from cost_node_hours
        where node = 'gpu-a' and hour = ${HOUR}`,
    );
    expect(nh).toEqual({
      price_tier: 'billing_actual',
      estimated_cost: '0.8080000000',
      cost: '1.6240000000',
    });
  });

  it('prices MIG slices by their fraction of the GPU', async () => {
    const rows = await queryRows<{ kind: string; job_id: string | null; cost: string }>(
      handle.db,
      sql`select kind, job_id, cost::text as cost from cost_allocations
        where node = 'dgx-1' and hour = ${HOUR} order by kind, job_id`,
    );
    expect(rows).toEqual([
      // the 1g.10gb slice (1/7 of GPU 1) nobody held: 6 − 3 − 1.2857142857
      { kind: 'unallocated', job_id: null, cost: '1.7142857143' },
      // 3/7 of one of two GPUs: $6 × 3/14
      { kind: 'usage', job_id: '101', cost: '1.2857142857' },
      { kind: 'usage', job_id: '102', cost: '3.0000000000' },
    ]);
  });

  it('shows the reconciliation of the estimate against the bill', async () => {
    const r = await report();
    expect(r.reconciliation).toEqual({
      nodeHours: 1,
      estimatedUsd: '0.81',
      billedUsd: '1.62',
      adjustmentUsd: '0.81',
    });
  });

  it('charges lines no node covers by their tags and states the tag coverage', async () => {
    const r = await report();
    const ml = r.groups.find((g) => g.key === 'ml');
    // usage 0.5413333333 + 1.2857142857; idle 0.2706666667
    expect(ml).toMatchObject({ costUsd: '1.83', idleCostUsd: '0.27', totalCostUsd: '2.10' });
    expect(r.groups.find((g) => g.key === 'vision')?.costUsd).toBe('3.00');
    // the sample's business_unit tags own most lines
    expect(r.groups.some((g) => g.key === 'PeoriaData')).toBe(true);
    expect(r.tagCoverage.ratio).toBeGreaterThan(0);
    expect(r.tagCoverage.ratio).toBeLessThan(1);
    expect(r.priceSources.map((p) => p.tier)).toContain('billing_actual');
    expect(r.daily.length).toBeGreaterThan(20);
    const dailyTotal = r.daily.reduce((s, d) => s + cents(d.totalCostUsd), 0n);
    // each day is rounded on its own: within half a cent per day of the exact total
    expect(Number(dailyTotal - cents(r.totalCostUsd))).toBeLessThanOrEqual(r.daily.length);
  });

  it('groups by job and by node, each adding up to the same total', async () => {
    const byTeam = await report('team');
    for (const groupBy of ['job', 'node'] as const) {
      const r = await report(groupBy);
      expectAddsUp(r);
      expect(r.totalCostUsd).toBe(byTeam.totalCostUsd);
    }
    const byJob = await report('job');
    expect(byJob.groups.find((g) => g.key === '101')).toMatchObject({
      jobName: 'train-llm',
      user: 'alice',
      team: 'ml',
    });
  });

  it('spreads unallocated capacity only under a share policy, never onto the Unallocated group', async () => {
    const none = await report('team', 'none');
    expect(none.sharedCostUsd).toBe('0.00');
    for (const policy of ['weighted', 'even'] as const) {
      const r = await report('team', policy);
      expectAddsUp(r);
      expect(r.totalCostUsd).toBe(none.totalCostUsd);
      expect(r.sharedCostUsd).toBe(r.unallocatedCostUsd);
      expect(r.groups.find((g) => g.key === 'Unallocated')?.sharedCostUsd ?? '0.00').toBe('0.00');
    }
    const even = await report('team', 'even');
    const shares = even.groups.filter((g) => g.key !== 'Unallocated').map((g) => cents(g.sharedCostUsd));
    expect(Math.max(...shares.map(Number)) - Math.min(...shares.map(Number))).toBeLessThanOrEqual(1);
  });

  it('gives the same report from the daily summaries as from the hourly rows, for every group-by', async () => {
    for (const groupBy of ['team', 'job', 'node', 'gpuModel'] as const) {
      const q = { cluster: 'c1', ...SEPT, groupBy, sharePolicy: 'none' as const };
      expect(await buildCostReport(handle.db, q)).toEqual(
        await buildCostReport(handle.db, { ...q, readDaily: false }),
      );
    }
  });

  it('is idempotent: allocating the month again changes nothing', async () => {
    const before = await report('job');
    await allocateRange(options(), SEPT.from, SEPT.to);
    expect(await report('job')).toEqual(before);
  });

  it('refuses to add two currencies', async () => {
    // one real line of the sample, re-issued by a second billing account in EUR
    const [header] = readFileSync(focus, 'utf8').split('\n');
    const [batch] = await readCsvRows(openCsvFile(focus))
      .next()
      .then((r) => [r.value as CsvRow[]]);
    const names = batch?.[0]?.fields ?? [];
    const fields = [...(batch?.[1]?.fields ?? [])];
    fields[names.indexOf('BillingCurrency')] = 'EUR';
    fields[names.indexOf('BillingAccountId')] = 'eu-account';
    const dir = mkdtempSync(join(tmpdir(), 'gpuscope-eur-'));
    const eur = join(dir, 'eur.csv');
    writeFileSync(eur, `${header}\n${fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')}\n`);
    expect((await importBillingFile({ db: handle.db, clock }, eur, { format: 'focus' })).ok).toBe(true);
    await allocateRange(options(), SEPT.from, SEPT.to);
    await expect(report()).rejects.toThrow(/more than one currency \(EUR, USD\)/);
    await exec(sql`delete from billing_imports where billing_account_id = 'eu-account'`);
    await allocateRange(options(), SEPT.from, SEPT.to);
    expect((await report()).currency).toBe('USD');
  });

  it('reports a node with no price as unpriced, never $0', async () => {
    await exec(sql`insert into nodes (id, cluster, name) values (3, 'c1', 'mystery')`);
    await exec(sql`insert into gpus (id, node_id, uuid, model) values (5, 3, 'GPU-m0', 'NVIDIA L40S')`);
    await minutes(5, 0, 30, 0.9, 2);
    await allocateRange(options(), HOUR, new Date(HOUR.getTime() + 3_600_000));
    const r = await report();
    expectAddsUp(r);
    expect(r.unpriced).toEqual([{ node: 'mystery', gpuModel: 'NVIDIA L40S', gpuHours: 0.5 }]);
    const [row] = await queryRows<{ cost: string | null; price_tier: string }>(
      handle.db,
      sql`select cost::text as cost, price_tier from cost_allocations where node = 'mystery'`,
    );
    expect(row).toEqual({ cost: null, price_tier: 'unpriced' });
  });
});
