import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { applyDetections, type Detection } from './apply-detections.js';

let handle: DbHandle;
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute));

const idle = (gpu: string, severity: Detection['severity'], idleMinutes: number): Detection => ({
  kind: 'idle_gpu',
  subject: { type: 'gpu', id: gpu },
  severity,
  title: `GPU ${gpu} held and idle`,
  evidence: {
    metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    window: { from: at(0).toISOString(), to: at(30).toISOString() },
    values: { activityMax: 0.01, idleMinutes },
    threshold: { activityMax: 0.05 },
  },
  impactCostUsd: '1.5',
  impactMonthlyUsd: '2152.8',
  recommend: {
    action: 'release_gpu',
    expectedMonthlySavingsUsd: '2152.8',
    risk: 'low',
    details: { node: 'n1' },
    ttlHours: 1,
  },
});

async function rows() {
  return queryRows<{ subject_id: string; status: string; severity: string; version: number }>(
    handle.db,
    sql`select subject_id, status, severity, version from findings order by subject_id`,
  );
}
async function recs() {
  return queryRows<{ subject_id: string; status: string; version: number }>(
    handle.db,
    sql`select subject_id, status, version from recommendations order by subject_id`,
  );
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.db.execute(sql`delete from findings`);
});

describe('applyDetections', () => {
  it('opens, de-duplicates, updates on change, resolves when gone, and reopens', async () => {
    const run = (minute: number, detections: Detection[]) =>
      applyDetections(handle.db, { cluster: 'c1', at: at(minute), kinds: ['idle_gpu'], detections });

    expect(await run(30, [idle('GPU-a', 'info', 30), idle('GPU-b', 'info', 30)])).toMatchObject({
      opened: 2,
    });
    // the same sighting again: no new row, no new version
    expect(await run(35, [idle('GPU-a', 'info', 30), idle('GPU-b', 'info', 30)])).toMatchObject({
      opened: 0,
      unchanged: 2,
    });
    // GPU-a idle for longer and escalated; GPU-b busy again
    expect(await run(60, [idle('GPU-a', 'warning', 60)])).toMatchObject({ updated: 1, resolved: 1 });
    expect(await rows()).toEqual([
      { subject_id: 'GPU-a', status: 'updated', severity: 'warning', version: 2 },
      { subject_id: 'GPU-b', status: 'resolved', severity: 'info', version: 2 },
    ]);
    expect(await recs()).toEqual([
      // the finding escalated, but what to do about it (and its savings) did not change
      { subject_id: 'GPU-a', status: 'open', version: 1 },
      { subject_id: 'GPU-b', status: 'resolved', version: 2 },
    ]);
    expect(await run(65, [idle('GPU-a', 'warning', 65), idle('GPU-b', 'info', 30)])).toMatchObject({
      reopened: 1,
    });
    const [b] = await queryRows<{ status: string; first_seen_at: Date; resolved_at: Date | null }>(
      handle.db,
      sql`select status, first_seen_at, resolved_at from findings where subject_id = 'GPU-b'`,
    );
    expect(b).toMatchObject({ status: 'open', resolved_at: null });
    expect(new Date(b?.first_seen_at ?? 0)).toEqual(at(65));
  });

  it('counts a finding seen again with the same values unchanged, whatever order jsonb gives its keys back in', async () => {
    const d = idle('GPU-a', 'info', 30);
    // jsonb stores keys shortest first, then bytewise: this object comes back in another order
    const reordered: Detection = {
      ...d,
      evidence: { ...d.evidence, values: { node: 'n1', idleMinutes: 30, activityMax: 0.01 } },
      recommend: d.recommend && { ...d.recommend, details: { team: 'ml', node: 'n1' } },
    };
    await applyDetections(handle.db, {
      cluster: 'c1',
      at: at(0),
      kinds: ['idle_gpu'],
      detections: [reordered],
    });
    const again = await applyDetections(handle.db, {
      cluster: 'c1',
      at: at(5),
      kinds: ['idle_gpu'],
      detections: [reordered],
    });
    expect(again).toMatchObject({ unchanged: 1, updated: 0 });
    expect(await rows()).toEqual([{ subject_id: 'GPU-a', status: 'open', severity: 'info', version: 1 }]);
    expect(await recs()).toEqual([{ subject_id: 'GPU-a', status: 'open', version: 1 }]);
  });

  it('leaves findings of kinds the run did not evaluate alone', async () => {
    await applyDetections(handle.db, {
      cluster: 'c1',
      at: at(0),
      kinds: ['idle_gpu'],
      detections: [idle('GPU-a', 'info', 30)],
    });
    await applyDetections(handle.db, { cluster: 'c1', at: at(5), kinds: ['drift_config'], detections: [] });
    expect((await rows()).map((r) => r.status)).toEqual(['open']);
  });

  it('expires a recommendation not seen again within its time to live', async () => {
    await applyDetections(handle.db, {
      cluster: 'c1',
      at: at(0),
      kinds: ['idle_gpu'],
      detections: [idle('GPU-a', 'info', 30)],
    });
    // the finding's detector did not run for over an hour
    const r = await applyDetections(handle.db, {
      cluster: 'c1',
      at: new Date(at(0).getTime() + 2 * 3_600_000),
      kinds: [],
      detections: [],
    });
    expect(r.recommendationsExpired).toBe(1);
    expect(await recs()).toEqual([{ subject_id: 'GPU-a', status: 'expired', version: 2 }]);
  });
});
