import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbHandle, openDb } from '../../core/db.js';
import { parseDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import { DEFAULT_DRIFT_THRESHOLDS, DRIFT_KINDS, type DriftThresholds, detectDrift } from './detect-drift.js';

/**
 * One cluster with every drift planted next to its hard negatives. Driver versions and model names are written
 * the way dcgm-exporter prints them. The health baseline is shortened to 48 h to keep the minute rows few.
 */
const AT = new Date('2026-12-01T12:00:00Z');
const H100 = 'NVIDIA H100 80GB HBM3';
const A100 = 'NVIDIA A100-SXM4-80GB';
const t: DriftThresholds = { ...DEFAULT_DRIFT_THRESHOLDS, healthBaselineHours: 48 };
const hoursBefore = (h: number) => new Date(AT.getTime() - h * 3_600_000);
let handle: DbHandle;
let detections: Detection[];

async function addNode(
  name: string,
  model: string,
  gpus: number,
  driver: string,
  o: { cluster?: string; seenHoursAgo?: number; mig?: Record<number, string[]> } = {},
): Promise<number> {
  const db = handle.db;
  const [row] = (
    (await db.execute(
      sql`insert into nodes (cluster, name) values (${o.cluster ?? 'c1'}, ${name}) returning id`,
    )) as unknown as { rows: { id: number }[] }
  ).rows;
  const nodeId = row?.id ?? 0;
  const seen = hoursBefore(o.seenHoursAgo ?? 1);
  for (let i = 0; i < gpus; i++) {
    const uuid = `GPU-${name}-${i}`;
    const profiles = o.mig?.[i] ?? [null];
    for (const [k, profile] of profiles.entries()) {
      await db.execute(sql`insert into gpus (node_id, uuid, gpu_index, gpu_instance_id, model, mig_profile,
          driver_version, last_seen_at)
        values (${nodeId}, ${uuid}, ${i}, ${profile === null ? null : k + 1}, ${model}, ${profile}, ${driver}, ${seen})`);
    }
  }
  return nodeId;
}

const gpuIds = async (uuid: string) =>
  (
    (await handle.db.execute(sql`select id from gpus where uuid = ${uuid} order by id`)) as unknown as {
      rows: { id: number }[];
    }
  ).rows.map((r) => r.id);

/** Minute rows for a GPU over [from, from + minutes), activity constant, no events. */
async function addMinutes(
  gpuId: number,
  from: Date,
  minutes: number,
  activity: number,
  jobRef: number | null,
) {
  await handle.db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
      activity_max, job_ref)
    select ${gpuId}, ${from}::timestamptz + make_interval(mins => m), 4, 'gr_engine_active', ${activity}, ${activity}, ${jobRef}
    from generate_series(0, ${minutes - 1}) m`);
}

let nextJob = 100;
/** A recurring series: one completed run a day, oldest first, each 30 GPU-minutes at its efficiency. */
async function addSeries(name: string, user: string, gpus: number, gpuUuid: string, efficiencies: number[]) {
  const [gpuId] = await gpuIds(gpuUuid);
  for (const [k, efficiency] of efficiencies.entries()) {
    const id = nextJob++;
    const start = hoursBefore(24 * (efficiencies.length - k));
    const end = new Date(start.getTime() + 30 * 60_000);
    await handle.db.execute(sql`insert into jobs (id, cluster, source, job_id, name, "user", team, state, raw_state,
        gpus_allocated, nodes, pods, owners, labels, started_at, ended_at)
      values (${id}, 'c1', 'slurm', ${String(id)}, ${name}, ${user}, 'research', 'completed', 'COMPLETED', ${gpus},
        '{j1}', '{}', '[]', '{}', ${start}, ${end})`);
    await addMinutes(gpuId ?? 0, start, 30, efficiency, id);
  }
}

async function addSpend(team: string, day: number, usd: number) {
  // two rows a day (usage and idle), summed by the detector
  const date = new Date(Date.UTC(2026, 10, 16 + day));
  for (const [kind, share] of [
    ['usage', 0.75],
    ['idle', 0.25],
  ] as const) {
    await handle.db.execute(sql`insert into cost_allocations_daily (day, cluster, kind, team, cost, currency,
        price_tier, price_source)
      values (${date}, 'c1', ${kind}, ${team}, ${(usd * share).toFixed(4)}, 'USD', 'price_book', 'config')`);
  }
}

/** Sets `column` on the minute rows of a GPU matching `where` (a SQL condition on `bucket`). */
async function plantEvents(uuid: string, set: ReturnType<typeof sql>, where: ReturnType<typeof sql>) {
  for (const id of await gpuIds(uuid)) {
    await handle.db.execute(sql`update gpu_rollups set ${set} where gpu_id = ${id} and ${where}`);
  }
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const db = handle.db;

  // config: an 8 x H100 pool where h4 runs another driver; a 4 x A100 pool that agrees (its stale fourth node
  // on an old driver is not seen any more); a 2 x H100 pool where m5 mixes MIG and whole GPUs
  for (const n of ['h1', 'h2', 'h3']) await addNode(n, H100, 8, '575.51.03');
  await addNode('h4', H100, 8, '590.48.01');
  for (const n of ['a1', 'a2', 'a3']) await addNode(n, A100, 4, '590.48.01');
  await addNode('a4', A100, 4, '575.51.03', { seenHoursAgo: 72 });
  await addNode('x1', A100, 4, '470.182.03', { cluster: 'c2' });
  // a 4 x H100 pool split half and half mid-upgrade: no majority, one finding on the pool
  for (const [n, d] of [
    ['p1', '575.51.03'],
    ['p2', '575.51.03'],
    ['p3', '590.48.01'],
    ['p4', '590.48.01'],
  ] as const) {
    await addNode(n, H100, 4, d);
  }
  for (const n of ['m1', 'm2', 'm3', 'm4']) await addNode(n, H100, 2, '590.48.01');
  await addNode('m5', H100, 2, '590.48.01', { mig: { 0: ['3g.40gb', '3g.40gb'] } });
  await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, "user", state, raw_state, gpus_allocated,
      nodes, pods, owners, labels, started_at) values
    (1, 'c1', 'slurm', '9001', 'pretrain', 'alice', 'running', 'RUNNING', 16, '{h3,h4}', '{}', '[]', '{}', ${hoursBefore(5)}),
    (2, 'c1', 'slurm', '9002', 'pretrain', 'alice', 'running', 'RUNNING', 16, '{h1,h2}', '{}', '[]', '{}', ${hoursBefore(5)}),
    (3, 'c1', 'slurm', '9003', 'finetune', 'bob', 'completed', 'COMPLETED', 16, '{h2,h4}', '{}', '[]', '{}', ${hoursBefore(9)})`);

  // jobs, on a node of its own (a pool of one is never judged)
  await addNode('j1', 'NVIDIA L40S', 4, '595.80');
  // a drop of a third on the latest run
  await addSeries('train-llm', 'alice', 8, 'GPU-j1-0', [0.8, 0.82, 0.78, 0.81, 0.79, 0.8, 0.55]);
  // noise only: the latest run is 7 % under the mean, inside the runs' spread
  await addSeries('nightly-eval', 'bob', 4, 'GPU-j1-1', [0.6, 0.63, 0.57, 0.61, 0.59, 0.62, 0.56]);
  // a sustained drop over three runs that no single run shows against a baseline the drift already pulled down
  await addSeries(
    'etl',
    'carol',
    2,
    'GPU-j1-2',
    [0.7, 0.72, 0.68, 0.71, 0.69, 0.7, 0.72, 0.68, 0.5, 0.52, 0.51],
  );
  // too few runs for a baseline
  await addSeries('adhoc', 'dave', 1, 'GPU-j1-3', [0.8, 0.8, 0.2]);

  // spend: research jumps $400 over a rising trend; platform grows fast but along its trend (and today's partial
  // day is huge and ignored); tiny jumps 40-fold but by under $50
  const wobble = [0, 8, -6, 3, -9, 5, -2, 7, -4, 1, -8, 6, -3, 2];
  for (let d = 0; d < 14; d++) {
    await addSpend('research', d, 1000 + 20 * d + (wobble[d] ?? 0));
    await addSpend('platform', d, 500 + 50 * d + (wobble[13 - d] ?? 0));
    await addSpend('tiny', d, 1);
  }
  await addSpend('research', 14, 1000 + 20 * 14 + 400);
  await addSpend('platform', 14, 500 + 50 * 14 + 5);
  await addSpend('platform', 15, 99_999);
  await addSpend('tiny', 14, 40);

  // health: 48 h of minute rows on an H200 node, one pool of its own
  await addNode('g1', 'NVIDIA H200', 6, '590.48.01', { mig: { 4: ['3g.71gb', '3g.71gb'] } });
  const ids = (await db.execute(sql`select g.id from gpus g join nodes n on n.id = g.node_id
      where n.name = 'g1' order by g.id`)) as unknown as { rows: { id: number }[] };
  for (const { id } of ids.rows) await addMinutes(id, hoursBefore(48), 48 * 60, 0.9, null);
  const every = (s: number) => sql`extract(epoch from bucket)::bigint % ${s} = 0`;
  const recent = sql`bucket >= ${hoursBefore(6)}`;
  // g1-0: SBE every 2 h throughout, then every 10 min in the recent 6 h
  await plantEvents(
    'GPU-g1-0',
    sql`ecc_sbe_volatile_delta = 1`,
    sql`(${every(7200)} or (${recent} and ${every(600)}))`,
  );
  // g1-1: a steady low SBE rate (every 2 h; 3 events in the recent window) and the SW power cap (not thermal)
  await plantEvents('GPU-g1-1', sql`ecc_sbe_volatile_delta = 1`, every(7200));
  await plantEvents('GPU-g1-1', sql`clock_event_reasons = 4`, recent);
  // g1-2: four double-bit errors in the recent window, none before
  await plantEvents(
    'GPU-g1-2',
    sql`ecc_dbe_volatile_delta = 1`,
    sql`${recent} and ${every(3600)} and bucket > ${hoursBefore(5)}`,
  );
  // g1-3: HW thermal slowdown for 120 recent minutes, SW thermal for 10 baseline minutes
  await plantEvents('GPU-g1-3', sql`clock_event_reasons = 64`, sql`bucket >= ${hoursBefore(2)}`);
  await plantEvents(
    'GPU-g1-3',
    sql`clock_event_reasons = 32`,
    sql`bucket >= ${hoursBefore(30)} and bucket < ${new Date(hoursBefore(30).getTime() + 600_000)}`,
  );
  // g1-4: MIG-partitioned, XIDs on both instance rows in 3 recent minutes: counted once per minute
  await plantEvents(
    'GPU-g1-4',
    sql`xid_codes = '{79}'`,
    sql`${recent} and ${every(3600)} and bucket >= ${hoursBefore(3)}`,
  );
  // g1-5: 2 correctable remapped rows all along, 6 in the last hour
  await plantEvents(
    'GPU-g1-5',
    sql`correctable_remapped_rows = 2, uncorrectable_remapped_rows = 0`,
    sql`true`,
  );
  await plantEvents('GPU-g1-5', sql`correctable_remapped_rows = 6`, sql`bucket >= ${hoursBefore(1)}`);

  ({ detections } = await detectDrift(db, 'c1', AT, t));
}, 120_000);

afterAll(async () => {
  await handle.close();
});

const of = (kind: string) => detections.filter((d) => d.kind === kind);
const subjects = (kind: string) =>
  of(kind)
    .map((d) => `${d.subject.type}:${d.subject.id}`)
    .sort();

describe('detectDrift', () => {
  it('emits only drift kinds, each with a method and the window it judged', () => {
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) {
      expect(DRIFT_KINDS).toContain(d.kind);
      expect(d.evidence.method).toBeTruthy();
      expect(new Date(d.evidence.window.to).getTime()).toBeLessThanOrEqual(AT.getTime());
    }
  });
});

describe('config drift', () => {
  it('flags the node off its pool driver, the node mixing MIG, a split pool and the job across drivers, nothing else', () => {
    expect(subjects('drift_config')).toEqual(['job:9001', 'node:h4', 'node:m5', `pool:${H100} x4`]);
    const pool = of('drift_config').find((d) => d.subject.type === 'pool');
    expect(pool).toMatchObject({ severity: 'info' });
    expect(pool?.evidence.values).toMatchObject({ majorityShare: 0.5, poolNodes: 4 });
    const h4 = of('drift_config').find((d) => d.subject.id === 'h4');
    expect(h4?.evidence.values).toMatchObject({
      pool: `${H100} x8`,
      driverVersion: '590.48.01',
      majorityDriverVersion: '575.51.03',
      majorityShare: 0.75,
    });
    expect(h4?.evidence.method).toMatch(/majority comparison within pool/);
    const m5 = of('drift_config').find((d) => d.subject.id === 'm5');
    expect(m5?.evidence.values).toMatchObject({ majorityMigLayout: 'full,full', layoutMajorityShare: 0.8 });
    expect(m5?.evidence.values.migLayout).toBe('3g.40gb+3g.40gb,full');
    const job = of('drift_config').find((d) => d.subject.type === 'job');
    expect(job?.title).toMatch(/drivers 575\.51\.03, 590\.48\.01/);
  });
});

describe('recurring-job efficiency drift', () => {
  it('flags the latest run of a series that dropped, with its statistics', () => {
    const d = of('drift_job_efficiency').find((x) => x.evidence.values.job === '106');
    expect(d).toMatchObject({ subject: { type: 'job', id: '106' }, severity: 'warning' });
    const v = d?.evidence.values ?? {};
    expect(v.latestEfficiency).toBeCloseTo(0.55, 6);
    expect(v.baselineMean).toBeCloseTo(0.8, 3);
    expect(v.baselineRuns).toBe(6);
    expect(Number(v.dropShare)).toBeGreaterThan(0.3);
    expect(Number(v.z)).toBeLessThan(-10);
    expect(Number(v.p)).toBeLessThan(0.01);
    expect(d?.evidence.method).toMatch(/latest run/);
  });

  it('flags a sustained drop over the last three runs by the Welch test', () => {
    const d = of('drift_job_efficiency').find((x) => x.title.includes('etl'));
    expect(d?.evidence.values.test).toBe('last 3 runs');
    // the single-run test alone does not reach significance against a baseline holding two drifted runs
    expect(Number(d?.evidence.values.p)).toBeGreaterThan(0.01);
    expect(Number(d?.evidence.values.welchP)).toBeLessThan(0.01);
    expect(d?.evidence.method).toMatch(/Welch/);
  });

  it('leaves a series varying within noise and a series without a baseline alone', () => {
    expect(of('drift_job_efficiency').map((d) => d.title.split(' ')[2])).toEqual(['etl', 'train-llm']);
  });
});

describe('spend drift', () => {
  it('flags the jump over the trend with the excess as impact, not growth along the trend or small sums', () => {
    expect(subjects('drift_spend')).toEqual(['team:research']);
    const d = of('drift_spend')[0];
    const excess = Number(d?.evidence.values.excessUsd);
    expect(excess).toBeGreaterThan(385);
    expect(excess).toBeLessThan(415);
    expect(Number(d?.evidence.values.z)).toBeGreaterThanOrEqual(3);
    expect(d?.evidence.values.lastDayUsd).toBe(1680);
    const cost = parseDecimal(d?.impactCostUsd ?? '') ?? 0n;
    expect(parseDecimal(d?.impactMonthlyUsd ?? '')).toBe(cost * 30n);
    expect(d?.evidence.method).toMatch(/least-squares trend over 14 days/);
  });
});

describe('health drift', () => {
  it('flags rising SBE, DBE, thermal slowdown, XIDs and remapped rows, not a steady rate or the power cap', () => {
    expect(subjects('drift_health')).toEqual([
      'gpu:GPU-g1-0',
      'gpu:GPU-g1-2',
      'gpu:GPU-g1-3',
      'gpu:GPU-g1-4',
      'gpu:GPU-g1-5',
    ]);
    const by = Object.fromEntries(of('drift_health').map((d) => [d.subject.id, d]));
    expect(by['GPU-g1-0']).toMatchObject({ severity: 'warning' });
    expect(by['GPU-g1-0']?.evidence.values).toMatchObject({
      eccSbeRecent: 36,
      eccSbeBaseline: 21,
      recentMinutes: 360,
    });
    expect(by['GPU-g1-2']).toMatchObject({ severity: 'critical' });
    expect(by['GPU-g1-2']?.evidence.values).toMatchObject({ eccDbeRecent: 4, eccDbeBaseline: 0 });
    // P(X >= 4 | n = 4, p = 360 / 2880)
    expect(Number(by['GPU-g1-2']?.evidence.values.eccDbeP)).toBeCloseTo(0.125 ** 4, 6);
    expect(by['GPU-g1-3']?.evidence.values).toMatchObject({ thermalRecent: 120, thermalBaseline: 10 });
    expect(by['GPU-g1-4']?.evidence.values).toMatchObject({ xidRecent: 3, xidBaseline: 0 });
    expect(by['GPU-g1-5']?.evidence.values).toMatchObject({ remappedRowsRecent: 4, remappedRowsBaseline: 0 });
    expect(by['GPU-g1-0']?.evidence.method).toMatch(/Poisson rate test/);
  });

  it('judges nothing for another cluster', async () => {
    const other = await detectDrift(handle.db, 'c2', AT, t);
    expect(other.detections).toEqual([]);
  });
});
