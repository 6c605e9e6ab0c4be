import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { detectBudgetRisk } from './detect-budget-risk.js';

/** Three teams spending steadily since 1 November, each against a $1,000 monthly budget, as of 20 November noon. */
const AT = new Date('2026-11-20T12:00:00Z');
const budgets = Config.parse({
  budgets: [
    { name: 'research-gpu', team: 'research', monthlyUsd: 1000 },
    { name: 'vision-gpu', team: 'vision', monthlyUsd: 1000 },
    { name: 'nlp-gpu', team: 'nlp', monthlyUsd: 1000 },
  ],
}).budgets;
let handle: DbHandle;

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  // $60, $45 and $30 a day: spent past the limit, heading past it, and well under it
  await handle.db.execute(sql`insert into cost_allocations_daily (day, cluster, kind, team, cost, gpu_hours, currency,
      price_tier, price_source)
    select '2026-11-01'::timestamptz + d * interval '1 day', 'c1', 'usage', t.team, t.usd, 10, 'USD', 'price_book', 'config'
    from generate_series(0, 19) d, (values ('research', 60.0), ('vision', 45.0), ('nlp', 30.0)) t(team, usd)`);
}, 60_000);
afterAll(() => handle.close());

describe('detectBudgetRisk', () => {
  it('calls a spent budget critical, one forecast past its limit a warning, and leaves the third alone', async () => {
    const { detections } = await detectBudgetRisk(handle.db, 'c1', AT, budgets);
    const by = Object.fromEntries(detections.map((d) => [d.subject.id, d]));
    expect(Object.keys(by).sort()).toEqual(['research', 'vision']);
    expect(by['research']).toMatchObject({
      kind: 'budget_at_risk',
      subject: { type: 'team', id: 'research' },
      severity: 'critical',
    });
    expect(by['vision']).toMatchObject({ severity: 'warning' });
    // $900 spent (today's row is already a full day's), plus the 10.5 days left at the $45 run rate: $1,372.50
    expect(by['vision']?.impactMonthlyUsd).toBe('372.5000000000');
    expect(by['vision']?.evidence.method).toMatch(/run rate/);
  });

  it('has nothing to say without budgets', async () => {
    expect((await detectBudgetRisk(handle.db, 'c1', AT, [])).detections).toEqual([]);
  });
});
