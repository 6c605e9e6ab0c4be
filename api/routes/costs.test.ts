import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateRange } from '../../analyzer/cost/allocate-hours.js';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { COST_CSV_COLUMNS } from '../../analyzer/cost/render-cost-csv.js';
import type { CostReport } from '../../analyzer/cost/report-types.js';
import { allocationOptionsFromConfig } from '../../analyzer/cost/run-allocation-tick.js';
import { importBillingFile } from '../../collector/billing/import-billing-file.js';
import { createManualClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { createApp } from '../app.js';

/**
 * The cost surfaces end to end on PGlite: the real FOCUS sample imported, one of its g5 instances matched to a
 * node whose GPU a team's job held for part of a billed hour, allocated, then read through the API.
 */
const focus = join(
  import.meta.dirname,
  '../../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);
const clock = createManualClock(Date.parse('2024-10-15T12:00:00Z'));
const config = Config.parse({
  cluster: 'c1',
  billing: { teamTags: ['team', 'business_unit'] },
  budgets: [{ name: 'ml-gpu', team: 'ml', monthlyUsd: 1 }],
});
const finance = { authorization: 'Bearer finance-token-0123456789' };
const viewer = { authorization: 'Bearer viewer-token-0123456789' };
const SEPT = 'from=2024-09-01T00:00:00Z&to=2024-10-01T00:00:00Z';

let handle: DbHandle;
let app: ReturnType<typeof createApp>;
let registry: ReturnType<typeof createRegistry>;

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const db = handle.db;
  expect((await importBillingFile({ db, clock }, focus, { format: 'focus' })).ok).toBe(true);
  await db.execute(sql`insert into nodes (id, cluster, name) values (1, 'c1', 'gpu-a')`);
  await db.execute(
    sql`insert into gpus (id, node_id, uuid, gpu_index, model) values (1, 1, 'GPU-a0', 0, 'NVIDIA A10G')`,
  );
  await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, "user", team, state, raw_state,
      gpus_allocated, nodes, pods, owners, labels)
    values (1, 'c1', 'slurm', '101', '=cmd|calc', 'alice', 'ml', 'completed', 'COMPLETED', 1, '{gpu-a}', '{}', '[]', '{}')`);
  await db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_max, job_ref)
    select 1, '2024-09-27T15:00:00Z'::timestamptz + m * interval '1 minute', 4,
      case when m < 45 then 0.9 else 0.01 end, 1
    from generate_series(0, 59) m`);
  await db.execute(sql`insert into cloud_instances (instance_id, instance_type, region, node, market, state)
    values ('i-006flle71l19b488a', 'g5.4xlarge', 'us-east-1', 'gpu-a', 'on-demand', 'running')`);
  await db.execute(
    sql`insert into instance_types (name, gpu_model, gpu_count, source) values ('g5.4xlarge', 'A10G', 1, 't')`,
  );
  await allocateRange(
    { ...allocationOptionsFromConfig(config), db, now: new Date(clock.now()) },
    new Date('2024-09-01T00:00:00Z'),
    new Date('2024-10-01T00:00:00Z'),
  );
  registry = createRegistry({ defaultMetrics: false });
  app = createApp({
    db,
    clock,
    registry,
    log: createSilentLogger(),
    tracer: getTracer(),
    tokens: [
      { name: 'dash', role: 'viewer', token: 'viewer-token-0123456789' },
      { name: 'finops', role: 'finance', token: 'finance-token-0123456789' },
    ],
    isReady: () => checkReadiness(db),
    costs: createCostDeps(db, config, registry),
  });
});
afterAll(async () => {
  await handle.close();
});

const cents = (v: string | number) => Math.round(Number(v) * 100);

describe('GET /api/v1/costs', () => {
  it('answers finance with a report whose lines add up to the total; viewers get 403', async () => {
    expect((await app.request(`/api/v1/costs?${SEPT}`, { headers: viewer })).status).toBe(403);
    const res = await app.request(`/api/v1/costs?${SEPT}&groupBy=team`, { headers: finance });
    expect(res.status).toBe(200);
    const r = (await res.json()) as CostReport;
    const lines =
      r.groups.reduce((s, g) => s + cents(g.costUsd), 0) + cents(r.idleCostUsd) + cents(r.unallocatedCostUsd);
    expect(lines).toBe(cents(r.totalCostUsd));
    // $1.624 × 45/60 used, × 15/60 idle
    expect(r.groups.find((g) => g.key === 'ml')).toMatchObject({ costUsd: '1.22', idleCostUsd: '0.41' });
    expect(r.groups.find((g) => g.key === 'PeoriaData')).toBeDefined();
  });

  it('adds an hourly series with step=hour, matching the daily one', async () => {
    const res = await app.request(`/api/v1/costs?${SEPT}&step=hour`, { headers: finance });
    const r = (await res.json()) as CostReport;
    const hour = r.hourly?.find((h) => h.day === '2024-09-27T15:00:00Z');
    // the billed g5 hour: $1.624, of which 15 minutes idle
    expect(hour).toBeDefined();
    expect(cents(hour?.idleCostUsd ?? '0')).toBe(41);
    const day = r.daily.find((d) => d.day === '2024-09-27');
    const hours = (r.hourly ?? []).filter((h) => h.day.startsWith('2024-09-27'));
    expect(
      Math.abs(hours.reduce((s, h) => s + cents(h.totalCostUsd), 0) - cents(day?.totalCostUsd ?? '0')),
    ).toBeLessThanOrEqual(hours.length);
    const long = await app.request(
      '/api/v1/costs?from=2024-07-01T00:00:00Z&to=2024-10-01T00:00:00Z&step=hour',
      {
        headers: finance,
      },
    );
    expect(long.status).toBe(400);
  });

  it('writes CSV with FOCUS names and x_ extensions whose EffectiveCost adds up to the total', async () => {
    const json = (await (
      await app.request(`/api/v1/costs?${SEPT}&groupBy=job`, { headers: finance })
    ).json()) as CostReport;
    const res = await app.request(`/api/v1/costs?${SEPT}&groupBy=job&format=csv`, { headers: finance });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /attachment; filename="gpuscope-costs-job-2024-09-01-2024-10-01.csv"/,
    );
    const [header, ...rows] = (await res.text()).trimEnd().split('\r\n');
    expect(header).toBe(COST_CSV_COLUMNS.join(','));
    const col = (name: string) => COST_CSV_COLUMNS.indexOf(name as (typeof COST_CSV_COLUMNS)[number]);
    const cells = rows.map((r) => r.split(','));
    expect(cells.reduce((s, c) => s + cents(c[col('EffectiveCost')] ?? '0'), 0)).toBe(
      cents(json.totalCostUsd),
    );
    const job = cells.find((c) => c[col('x_JobId')] === '101');
    // a job name that a spreadsheet would run as a formula is defused
    expect(job?.[col('x_JobName')]).toBe("'=cmd|calc");
    expect(job?.[col('x_Team')]).toBe('ml');
    expect(job?.[col('x_PriceSource')]).toBe('billing_actual');
    expect(cells.at(-1)?.[col('x_AllocationKind')]).toBe('unallocated');
  });

  it('folds all but the largest groups into __rest__ with limit, still adding up', async () => {
    const full = (await (
      await app.request(`/api/v1/costs?${SEPT}&groupBy=team`, { headers: finance })
    ).json()) as CostReport;
    const res = await app.request(`/api/v1/costs?${SEPT}&groupBy=team&limit=1`, { headers: finance });
    const r = (await res.json()) as CostReport;
    expect(r.groups.map((g) => g.key)).toEqual([full.groups[0]?.key, '__rest__']);
    expect(r.groupsOmitted).toBe(full.groups.length - 1);
    expect(r.groups.reduce((s, g) => s + cents(g.costUsd), 0)).toBe(cents(r.allocatedCostUsd));
    expect(r.totalCostUsd).toBe(full.totalCostUsd);
  });

  it('rejects a bad group-by and a reversed window with 400', async () => {
    expect(
      (await app.request(`/api/v1/costs?${SEPT}&groupBy=cost_center`, { headers: finance })).status,
    ).toBe(400);
    const res = await app.request('/api/v1/costs?from=2024-10-01T00:00:00Z&to=2024-09-01T00:00:00Z', {
      headers: finance,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/must be before/);
  });
});

describe('GET /api/v1/allocation (OpenCost shape)', () => {
  it('returns one set keyed by name, spend with no owner as __unallocated__, adding up to the report', async () => {
    const window = '2024-09-01T00:00:00Z,2024-10-01T00:00:00Z';
    const res = await app.request(`/api/v1/allocation?window=${window}&aggregate=label:team`, {
      headers: finance,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      code: number;
      data: Record<string, { totalCost: number; properties: object }>[];
    };
    expect(body.code).toBe(200);
    const set = body.data[0] ?? {};
    expect(set.ml?.properties).toEqual({ team: 'ml' });
    // the node's GPU was held all hour: no idle capacity; the sample's untagged lines have no owner
    expect(set.__idle__).toBeUndefined();
    // (in this sample the untagged lines net to a credit)
    expect(set.__unallocated__?.totalCost).toBeLessThan(0);
    const report = (await (
      await app.request(`/api/v1/costs?${SEPT}`, { headers: finance })
    ).json()) as CostReport;
    const sum = Object.values(set).reduce((s, a) => s + cents(a.totalCost), 0);
    expect(sum).toBe(cents(report.totalCostUsd));
  });

  it('rejects an unknown window or aggregate', async () => {
    expect((await app.request('/api/v1/allocation?window=fortnight', { headers: finance })).status).toBe(400);
    expect(
      (await app.request('/api/v1/allocation?window=7d&aggregate=pod', { headers: finance })).status,
    ).toBe(400);
  });
});

describe('budgets and the HTML report', () => {
  it('serves budget status from allocated spend and exposes the gauges', async () => {
    clock.set(Date.parse('2024-09-28T12:00:00Z'));
    const res = await app.request('/api/v1/budgets', { headers: finance });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { budgets: { name: string; spentUsd: string; status: string }[] };
    // ml spent $1.624 of its $1 budget in September
    expect(body.budgets).toMatchObject([{ name: 'ml-gpu', spentUsd: '1.62', status: 'exceeded' }]);
    expect(await registry.metrics()).toMatch(
      /gpuscope_budget_spent_usd\{budget="ml-gpu",scope="team",scope_value="ml"\} 1\.62/,
    );
  });

  it('renders /reports/costs for finance only', async () => {
    expect((await app.request(`/reports/costs?${SEPT}`, { headers: viewer })).status).toBe(403);
    const res = await app.request(`/reports/costs?${SEPT}`, { headers: finance });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-testid="by-team"');
    expect(html).toContain('data-key="ml"');
  });
});
