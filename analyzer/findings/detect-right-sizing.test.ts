import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstanceTypes } from '../../collector/aws/parse-instance-types.js';
import { parseSpotAdvisor } from '../../collector/aws/parse-spot-advisor.js';
import { parseSpotPrices } from '../../collector/aws/parse-spot-prices.js';
import { buildPriceBookRows } from '../../collector/aws/price-book.js';
import { upsertInstanceTypes, upsertPrices } from '../../collector/aws/queries.js';
import type { PriceRow } from '../../collector/aws/types.js';
import {
  activityStep,
  listJobUsageHoursDue,
  markJobUsageHoursChanged,
  summarizeJobUsageHours,
} from '../../collector/rollup/summarize-job-usage.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { readAwsFixtureText, spotHistoryExample } from '../../test/fixtures/aws/load.js';
import {
  detectRightSizing,
  loadJobUsage,
  minuteRanges,
  RIGHT_SIZING_KINDS,
  DEFAULT_RIGHT_SIZING_THRESHOLDS as t,
} from './detect-right-sizing.js';
import { isInterruptible, rightSizingActivityBound } from './judge-right-sizing.js';

/**
 * Planted jobs over 5 hours before AT. Prices are the SkyPilot catalog rows (on-demand per type and region,
 * spot per zone) stored as the AWS collector stores them, GPU facts from their GpuInfo, an `NVIDIA L40S` price
 * book entry, and each node's $/GPU-hour in cost_node_hours.
 */
const AT = new Date('2026-12-01T12:00:00Z');
const PRICED_FROM = new Date('2026-11-01T00:00:00Z');
const GB = 1e9;
const H100 = 'NVIDIA H100 80GB HBM3';
const H100_TOTAL = 81559 * 2 ** 20;
let handle: DbHandle;
let gpuSeq = 0;

interface Plant {
  job: number;
  node: number;
  model: string;
  totalBytes: number;
  activity: number;
  memoryBytes: number;
  minutes?: number;
}

/** One GPU's minute rollups: `activity` every minute but a 1.0 spike every 50th (2 %, under the p95). */
async function plant(p: Plant) {
  const id = ++gpuSeq;
  await handle.db.execute(sql`insert into gpus (id, node_id, uuid, gpu_index, model)
    values (${id}, ${p.node}, ${`GPU-${p.job}-${id}`}, ${id % 8}, ${p.model})`);
  await handle.db.execute(sql`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean,
      activity_max, memory_used_max_bytes, memory_total_bytes, job_ref)
    select ${id}, ${AT}::timestamptz - make_interval(mins => m), 4, 'gr_engine_active', ${p.activity},
      case when m % 50 = 0 then 1.0 else ${p.activity} end, ${p.memoryBytes}, ${p.totalBytes}, ${p.job}
    from generate_series(1, ${p.minutes ?? 300}) m`);
}

function catalogRows() {
  const [header, ...lines] = readAwsFixtureText('skypilot-catalog_aws-vms_gpu-rows-excerpt.csv')
    .trim()
    .split('\n');
  const cols = (header ?? '').split(',');
  return lines.map((line) => {
    // GpuInfo is a quoted Python dict; every other field is plain
    const m = /^(.*?),"(\{.*\})",(.*)$/.exec(line);
    const before = (m?.[1] ?? '').split(',');
    const after = (m?.[3] ?? '').split(',');
    const values = [...before, m?.[2] ?? '', ...after];
    return Object.fromEntries(cols.map((c, i) => [c, values[i] ?? ''])) as Record<string, string>;
  });
}

async function storePrices() {
  const db = handle.db;
  const rows = catalogRows();
  const infos = new Map<string, InstanceTypeInfo>();
  for (const r of rows) {
    if (infos.has(r.InstanceType ?? '')) continue;
    const gpuInfo = JSON.parse((r.GpuInfo ?? '').replaceAll("'", '"')) as InstanceTypeInfo['GpuInfo'];
    infos.set(r.InstanceType ?? '', {
      InstanceType: r.InstanceType,
      GpuInfo: gpuInfo,
      VCpuInfo: { DefaultVCpus: Number(r.vCPUs) },
      MemoryInfo: { SizeInMiB: Number(r.MemoryGiB) * 1024 },
    } as InstanceTypeInfo);
  }
  await upsertInstanceTypes(db, parseInstanceTypes([...infos.values()]).facts, AT);
  const onDemand: PriceRow[] = rows.map((r) => ({
    provider: 'aws',
    kind: 'on_demand',
    region: r.Region ?? '',
    availabilityZone: '',
    instanceType: r.InstanceType ?? '',
    usdPerHour: r.Price ?? '',
    effectiveFrom: PRICED_FROM,
    source: 'skypilot-catalog:aws/vms.csv',
  }));
  const spot = rows.filter((r) => r.SpotPrice !== '');
  const byRegion = new Map<string, Record<string, string>[]>();
  for (const r of spot) byRegion.set(r.Region ?? '', [...(byRegion.get(r.Region ?? '') ?? []), r]);
  const spotRows = [...byRegion].flatMap(
    ([region, rs]) =>
      parseSpotPrices(
        region,
        rs.map((r) => ({
          AvailabilityZone: r.AvailabilityZone,
          InstanceType: r.InstanceType as never,
          ProductDescription: 'Linux/UNIX',
          SpotPrice: r.SpotPrice,
          Timestamp: PRICED_FROM,
        })),
      ).rows,
  );
  const botocoreSpot = parseSpotPrices('us-east-1', spotHistoryExample() as never).rows;
  const book = buildPriceBookRows(
    { currency: 'USD', gpuHourUsd: { 'NVIDIA L40S': 1.2 }, nodeOverheadHourUsd: {} },
    PRICED_FROM,
  );
  await upsertPrices(db, [...onDemand, ...spotRows, ...botocoreSpot, ...book], AT);
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  const db = handle.db;
  await storePrices();
  const nodes = ['node-p5', 'node-h100b', 'node-a100', 'node-p4d', 'node-h100c'];
  for (const [i, name] of nodes.entries()) {
    await db.execute(sql`insert into nodes (id, cluster, name) values (${i + 1}, 'c1', ${name})`);
  }
  await db.execute(sql`insert into cloud_instances (instance_id, instance_type, region, availability_zone, node,
      market, state) values
    ('i-0p5', 'p5.48xlarge', 'us-east-1', 'use1-az1', 'node-p5', 'on-demand', 'running'),
    ('i-0p4d', 'p4d.24xlarge', 'us-east-1', 'use1-az6', 'node-p4d', 'on-demand', 'running')`);
  // $/GPU-hour: p5 98.32/8 = 12.29, on-premises H100 3, A100 4, p4d 32.7726/8
  const cost: [string, number][] = [
    ['node-p5', 98.32],
    ['node-h100b', 24],
    ['node-a100', 32],
    ['node-p4d', 32.7726],
    ['node-h100c', 24],
  ];
  for (const [node, usd] of cost) {
    await db.execute(sql`insert into cost_node_hours (cluster, node, hour, gpu_capacity, present_minutes, cost,
        billed, currency, price_tier, price_source)
      values ('c1', ${node}, '2026-12-01T11:00:00Z', 8, 60, ${usd}, false, 'USD', 'on_demand', 'test')`);
  }
  const jobs: [number, string, number, string][] = [
    [1001, 'train-8', 8, '{"qos":"normal"}'],
    [1002, 'notebook', 1, '{}'],
    [1003, 'long-context', 1, '{}'],
    [1004, 'embed', 2, '{}'],
    [1005, 'sweep', 8, '{"gpuscope.io/interruptible":"true"}'],
    [1007, 'pretrain', 8, '{}'],
    [1008, 'fresh', 1, '{}'],
  ];
  for (const [id, name, gpus, labels] of jobs) {
    await db.execute(sql`insert into jobs (id, cluster, source, job_id, name, team, state, raw_state,
        gpus_allocated, nodes, pods, owners, labels)
      values (${id}, 'c1', 'slurm', ${String(id)}, ${name}, 'research', 'running', 'RUNNING', ${gpus}, '{}', '{}',
        '[]', ${labels}::jsonb)`);
  }
  const h100 = { model: H100, totalBytes: H100_TOTAL };
  // 1001: 8 × H100 on an on-demand p5, 4 busy and 4 idle; not marked interruptible
  for (let i = 0; i < 8; i++) {
    await plant({
      job: 1001,
      node: 1,
      ...h100,
      activity: i < 4 ? 0.7 : 0.01,
      memoryBytes: i < 4 ? 60 * GB : 0.5 * GB,
    });
  }
  // 1002: a notebook using 6 GB and 8 % of one H100
  await plant({ job: 1002, node: 2, ...h100, activity: 0.08, memoryBytes: 6 * GB });
  // 1003: memory-bound (75 GB of 80) at low activity: neither MIG nor a smaller GPU holds it
  await plant({ job: 1003, node: 2, ...h100, activity: 0.2, memoryBytes: 75 * GB });
  // 1004: 2 × A100 80GB at 10 % and 30 GB: an L40S (48 GB) holds it, an L4 (24 GB) does not
  for (let i = 0; i < 2; i++) {
    await plant({
      job: 1004,
      node: 3,
      model: 'NVIDIA A100-SXM4-80GB',
      totalBytes: 81920 * 2 ** 20,
      activity: 0.1,
      memoryBytes: 30 * GB,
    });
  }
  // 1005: busy, interruptible, on an on-demand p4d
  for (let i = 0; i < 8; i++) {
    await plant({
      job: 1005,
      node: 4,
      model: 'NVIDIA A100-SXM4-40GB',
      totalBytes: 40960 * 2 ** 20,
      activity: 0.9,
      memoryBytes: 35 * GB,
    });
  }
  // 1007: 8 busy H100s
  for (let i = 0; i < 8; i++) {
    await plant({ job: 1007, node: 5, ...h100, activity: 0.9, memoryBytes: 70 * GB });
  }
  // 1008: would fit a MIG slice, but only 3 hours of data
  await plant({ job: 1008, node: 2, ...h100, activity: 0.05, memoryBytes: 4 * GB, minutes: 180 });
}, 120_000);
afterAll(async () => {
  await handle.close();
});

describe('detectRightSizing', () => {
  const advice = parseSpotAdvisor(readAwsFixtureText('aws-spot-advisor-data_gpu-excerpt.json'), 'us-east-1');
  const spotInterruption = (region: string, type: string) => {
    const a = region === 'us-east-1' && advice.ok ? advice.value.advice.get(type) : undefined;
    return a && { label: a.interruptionLabel, maxPercent: a.interruptionMaxPercent };
  };

  it('finds one right-sizing per planted case and none for the hard negatives', async () => {
    const { detections } = await detectRightSizing(handle.db, 'c1', AT, t, { spotInterruption });
    expect(detections.map((d) => `${d.subject.id} ${d.kind}`).sort()).toEqual([
      '1001 right_size_gpus',
      '1002 right_size_mig',
      '1004 right_size_model',
      '1005 right_size_spot',
    ]);
    expect(detections.every((d) => RIGHT_SIZING_KINDS.includes(d.kind as never))).toBe(true);
  });

  it('prices each recommendation from the stored prices, as exact decimals', async () => {
    const { detections } = await detectRightSizing(handle.db, 'c1', AT, t, { spotInterruption });
    const by = Object.fromEntries(detections.map((d) => [d.kind, d]));
    // 4 idle GPUs × $12.29 × 730 h
    expect(by.right_size_gpus).toMatchObject({
      subject: { type: 'job', id: '1001' },
      severity: 'warning',
      impactMonthlyUsd: '35886.8000000000',
      recommend: { action: 'right_size', risk: 'low', ttlHours: 24 },
    });
    expect(by.right_size_gpus?.evidence.values).toMatchObject({
      finding: 'Overprovisioned',
      reasonCodes: 'GPUOverprovisioned',
      currentShape: `8 × ${H100}`,
      recommendedShape: `4 × ${H100}`,
      idleGpus: 4,
      performanceRisk: 1,
      migrationEffort: 'Low',
    });
    // 6/7 of a $3 GPU-hour
    expect(by.right_size_mig?.impactMonthlyUsd).toBe('1877.1428570000');
    expect(by.right_size_mig?.evidence.values).toMatchObject({
      recommendedShape: 'MIG 1g.10gb',
      currentP95Activity: 0.08,
      projectedP95Activity: 0.56,
      projectedP95MemoryRatio: 0.6,
    });
    // ($4 − $1.20 price-book L40S) × 2 GPUs × 730 h
    expect(by.right_size_model).toMatchObject({
      impactMonthlyUsd: '4088.0000000000',
      recommend: {
        action: 'right_size',
        risk: 'medium',
        details: { recommended: { shape: '2 × NVIDIA L40S' } },
      },
    });
    // (p4d on-demand $32.7726 − use1-az6 spot $5.0933) × 730; the advisor puts p4d in us-east-1 at 10-15 %
    expect(by.right_size_spot).toMatchObject({
      impactMonthlyUsd: '20205.8890000000',
      recommend: { action: 'move_to_spot', risk: 'high' },
    });
    expect(by.right_size_spot?.evidence.values).toMatchObject({
      interruptionBucket: '10-15%',
      performanceRisk: 3,
    });
  });

  it('rates spot risk at least medium and says the bucket is unknown without advisor data', async () => {
    const { detections } = await detectRightSizing(handle.db, 'c1', AT, t);
    const spot = detections.find((d) => d.kind === 'right_size_spot');
    expect(spot?.evidence.values.interruptionBucket).toBe('unknown');
    expect(spot?.recommend?.risk).toBe('medium');
  });

  it('says nothing with under minHours of data, or for another cluster', async () => {
    const strict = await detectRightSizing(handle.db, 'c1', AT, { ...t, minHours: 6 });
    expect(strict.detections).toEqual([]);
    expect((await detectRightSizing(handle.db, 'c2', AT, t)).detections).toEqual([]);
  });
});

describe('loadJobUsage over hourly summaries', () => {
  const HOUR = 3_600_000;
  const from = new Date(AT.getTime() - t.lookbackDays * 86_400_000);
  const hours = Array.from({ length: 6 }, (_, i) => new Date(AT.getTime() - (i + 1) * HOUR));

  it('reads the same usage from clean hourly summaries as from the minutes', async () => {
    const fromMinutes = await loadJobUsage(handle.db, 'c1', from, AT);
    const done = await summarizeJobUsageHours(handle.db, hours);
    expect(done.hours).toBe(6);
    expect(done.rows).toBeGreaterThan(0);
    const clean = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from job_usage_hours where summarized_version = change_version`,
    );
    expect(clean[0]?.n).toBe(6);
    expect(await loadJobUsage(handle.db, 'c1', from, AT)).toEqual(fromMinutes);
    // and a window ending mid-hour reads the tail from the minutes
    const midHour = new Date(AT.getTime() - 30 * 60_000);
    const tailFromMinutes = await loadJobUsage(handle.db, 'c1', from, midHour);
    await handle.db.execute(sql`update job_usage_hours set change_version = change_version + 1`);
    expect(await loadJobUsage(handle.db, 'c1', from, midHour)).toEqual(tailFromMinutes);
    await summarizeJobUsageHours(handle.db, hours);
  });

  it('leaves out only jobs too busy for any usage verdict, whichever way their hours are read', async () => {
    const bound = rightSizingActivityBound(t);
    const only = {
      activityAtMost: bound,
      isInterruptible: (l: Record<string, string>) => isInterruptible(l, t),
    };
    for (const dirty of [false, true]) {
      if (dirty) await handle.db.execute(sql`update job_usage_hours set change_version = change_version + 1`);
      const all = await loadJobUsage(handle.db, 'c1', from, AT);
      const some = await loadJobUsage(handle.db, 'c1', from, AT, undefined, only);
      for (const job of some) expect(all).toContainEqual(job);
      const needed = all.filter(
        (j) => Math.min(...j.gpus.map((g) => g.p95Activity ?? 0)) <= bound || isInterruptible(j.labels, t),
      );
      expect(some.map((j) => j.jobId)).toEqual(expect.arrayContaining(needed.map((j) => j.jobId)));
      // the 8 busy H100s of job 1007 are out
      expect(some.map((j) => j.jobId)).not.toContain('1007');
      expect(all.map((j) => j.jobId)).toContain('1007');
    }
    await summarizeJobUsageHours(handle.db, hours);
  });

  it('reads a changed hour from its minutes until it is summarized again', async () => {
    const hour = new Date(AT.getTime() - 2 * HOUR);
    const p95Of1008 = async () =>
      (await loadJobUsage(handle.db, 'c1', from, AT)).find((j) => j.jobId === '1008')?.p95Activity;
    expect(await p95Of1008()).toBe(0.05);
    const busy = sql`update gpu_rollups set activity_max = 0.9
      where job_ref = 1008 and bucket >= ${hour} and bucket < ${new Date(hour.getTime() + HOUR)}`;
    // a write that does not mark its hour would be hidden by the summary: the writers mark it
    await handle.db.execute(busy);
    expect(await p95Of1008()).toBe(0.05);
    await markJobUsageHoursChanged(handle.db, [new Date(hour.getTime() + 60_000)]);
    expect(await p95Of1008()).toBe(0.9);
    expect(await listJobUsageHoursDue(handle.db, AT.getTime(), from)).toEqual([hour]);
    await summarizeJobUsageHours(handle.db, [hour]);
    expect(await listJobUsageHoursDue(handle.db, AT.getTime(), from)).toEqual([]);
    expect(await p95Of1008()).toBe(0.9);
  });
});

describe('minuteRanges', () => {
  const h = (n: number) => new Date(Date.UTC(2026, 11, 1, n));
  it('covers what the clean hours leave, including partial hours at both ends', () => {
    const from = new Date(Date.UTC(2026, 11, 1, 0, 30));
    const to = new Date(Date.UTC(2026, 11, 1, 5, 15));
    expect(minuteRanges(from, to, [h(1), h(3)])).toEqual([
      [from, h(1)],
      [h(2), h(3)],
      [h(4), to],
    ]);
    expect(minuteRanges(from, to, [])).toEqual([[from, to]]);
    expect(minuteRanges(h(1), h(3), [h(1), h(2)])).toEqual([]);
  });
});

describe('activityStep', () => {
  it('keeps hundredths under half busy, where the thresholds are, and twentieths above', async () => {
    const rows = await queryRows<{ v: number }>(
      handle.db,
      sql`select ${activityStep('x')}::int as v
        from (values (0.0), (0.044), (0.05), (0.42), (0.499), (0.52), (0.53), (0.93), (1.0)) t(x)`,
    );
    expect(rows.map((r) => r.v)).toEqual([0, 4, 5, 42, 50, 50, 55, 95, 100]);
  });
});
