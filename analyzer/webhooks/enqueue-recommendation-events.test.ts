import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { applyDetections, type Detection } from '../findings/apply-detections.js';
import { createSubscription } from './queries.js';
import { createWebhookSecret } from './sign-webhook.js';

let handle: DbHandle;
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute));
const idle = (gpu: string, savings: string): Detection => ({
  kind: 'idle_gpu',
  subject: { type: 'gpu', id: gpu },
  severity: 'warning',
  title: `GPU ${gpu} held and idle`,
  evidence: {
    metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    window: { from: at(0).toISOString(), to: at(30).toISOString() },
    values: { activityMax: 0.01, savings },
    threshold: { activityMax: 0.05 },
  },
  recommend: {
    action: 'release_gpu',
    expectedMonthlySavingsUsd: savings,
    risk: 'low',
    details: { node: 'n1' },
    ttlHours: 1,
  },
});
const run = (minute: number, detections: Detection[]) =>
  applyDetections(handle.db, { cluster: 'c1', at: at(minute), kinds: ['idle_gpu'], detections });
const events = () =>
  queryRows<{
    type: string;
    subject: string;
    version: number;
    expires_at: Date;
    data: Record<string, unknown>;
  }>(
    handle.db,
    sql`select type, subject, version, expires_at, data from webhook_events order by created_at, type, subject`,
  );

// migrating a fresh PGlite takes seconds, more on a busy machine
beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
}, 120_000);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.db.execute(sql`delete from findings`);
  await handle.db.execute(sql`delete from webhook_events`);
  await handle.db.execute(sql`delete from webhook_subscriptions`);
});

describe('applyDetections with webhook subscribers', () => {
  it('writes recommendation.created, updated and resolved events with version, expiry and fields', async () => {
    await createSubscription(
      handle.db,
      {
        url: 'https://hooks.example.com/x',
        eventTypes: ['recommendation.created', 'recommendation.updated', 'recommendation.resolved'],
        secret: createWebhookSecret(),
      },
      at(0),
    );
    await run(30, [idle('GPU-a', '100'), idle('GPU-b', '200')]);
    let rows = await events();
    expect(rows.map((r) => r.type)).toEqual(['recommendation.created', 'recommendation.created']);
    const [first] = rows;
    expect(first).toMatchObject({ version: 1, subject: expect.stringMatching(/^recommendation:\d+$/) });
    expect(new Date(first?.expires_at ?? 0).toISOString()).toBe(at(90).toISOString());
    expect(first?.data).toMatchObject({
      action: 'release_gpu',
      cluster: 'c1',
      status: 'open',
      risk: 'low',
      version: 1,
      details: { node: 'n1' },
      subject: { type: 'gpu' },
      expiresAt: '2026-12-01T13:30:00.000Z',
      createdAt: '2026-12-01T12:30:00.000Z',
    });
    expect(Number(first?.data['expectedMonthlySavingsUsd'])).toBeGreaterThan(0);
    expect(
      Number(
        (await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from webhook_deliveries`))[0]
          ?.n,
      ),
    ).toBe(2);

    // GPU-a seen again unchanged: no event; GPU-b's savings change: updated; then GPU-b goes away: resolved
    await handle.db.execute(sql`delete from webhook_events`);
    await run(35, [idle('GPU-a', '100'), idle('GPU-b', '250')]);
    rows = await events();
    expect(rows.map((r) => [r.type, r.version, r.data['expectedMonthlySavingsUsd']])).toEqual([
      ['recommendation.updated', 2, '250.0000000000'],
    ]);
    await handle.db.execute(sql`delete from webhook_events`);
    await run(40, [idle('GPU-a', '100')]);
    rows = await events();
    expect(rows.map((r) => [r.type, r.version, r.data['status']])).toEqual([
      ['recommendation.resolved', 3, 'resolved'],
    ]);
  });

  it('writes no events while nobody subscribes to recommendation events', async () => {
    await createSubscription(
      handle.db,
      { url: 'https://hooks.example.com/x', eventTypes: ['action.executed'], secret: createWebhookSecret() },
      at(0),
    );
    await run(30, [idle('GPU-a', '100')]);
    expect(await events()).toEqual([]);
  });

  it('writes the events of a pass of 3,000 recommendations in the same transaction', async () => {
    await createSubscription(
      handle.db,
      {
        url: 'https://hooks.example.com/x',
        eventTypes: ['recommendation.created'],
        secret: createWebhookSecret(),
      },
      at(0),
    );
    await run(
      30,
      Array.from({ length: 3000 }, (_, i) => idle(`GPU-${i}`, '10')),
    );
    expect((await events()).length).toBe(3000);
  });
});
