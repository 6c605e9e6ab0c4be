import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { describeInstancesOutput, readAwsFixture } from '../../test/fixtures/aws/load.js';
import { parseInstanceTypes } from './parse-instance-types.js';
import { matchInstancesToNodes, parseInstances } from './parse-instances.js';
import { buildPriceBookRows } from './price-book.js';
import { findPrice } from './price-queries.js';
import {
  getCloudInstanceByNode,
  getInstanceType,
  listCloudInstances,
  upsertCloudInstances,
  upsertInstanceTypes,
  upsertPrices,
} from './queries.js';
import type { PriceRow } from './types.js';

let handle: DbHandle;
const hour = 3_600_000;
const t0 = new Date('2026-12-01T00:00:00Z');
const at = (hours: number) => new Date(t0.getTime() + hours * hour);

const onDemand = (usd: string, from: Date): PriceRow => ({
  provider: 'aws',
  kind: 'on_demand',
  region: 'us-east-1',
  availabilityZone: '',
  instanceType: 'p4d.24xlarge',
  usdPerHour: usd,
  effectiveFrom: from,
  source: 'aws-pricing:GetProducts sku=H7NGEAC6UEHNTKSJ term=JRTCKXETXF',
});
const spot = (usd: string, from: Date): PriceRow => ({
  ...onDemand(usd, from),
  kind: 'spot',
  availabilityZone: 'us-east-1a',
  source: 'aws-ec2:DescribeSpotPriceHistory Linux/UNIX',
});
const query = { instanceType: 'p4d.24xlarge', region: 'us-east-1', refreshHours: 24 };

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(() => handle.close());
beforeEach(async () => {
  await handle.db.execute(sql`truncate prices, instance_types, cloud_instances`);
});

const countPrices = async () =>
  (await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from prices`))[0]?.n;

describe('upsertPrices', () => {
  it('adds no row when the same price is fetched again, only confirms it', async () => {
    expect(await upsertPrices(handle.db, [onDemand('32.7726000000', at(-100))], at(0))).toEqual({
      written: 1,
      unchanged: 0,
    });
    expect(await upsertPrices(handle.db, [onDemand('32.7726', at(-100))], at(30))).toEqual({
      written: 0,
      unchanged: 1,
    });
    expect(await countPrices()).toBe(1);
    const found = await findPrice(handle.db, { ...query, at: at(31), now: at(31) });
    expect(found?.fetchedAt).toEqual(at(30));
  });

  it('keeps history: a changed price starts a row at its own effective date', async () => {
    await upsertPrices(handle.db, [onDemand('32.7726000000', at(-100))], at(0));
    await upsertPrices(handle.db, [onDemand('21.9600000000', at(10))], at(12));
    expect(await countPrices()).toBe(2);
    const before = await findPrice(handle.db, { ...query, at: at(5), now: at(12) });
    const after = await findPrice(handle.db, { ...query, at: at(11), now: at(12) });
    expect([before?.usdPerHour, after?.usdPerHour]).toEqual(['32.7726000000', '21.9600000000']);
  });

  describe('errors', () => {
    it('refuses to store a $0 API price', async () => {
      await expect(upsertPrices(handle.db, [onDemand('0.0000000000', at(0))], at(0))).rejects.toThrow(/zero/);
      expect(await countPrices()).toBe(0);
    });
  });
});

describe('findPrice', () => {
  beforeEach(async () => {
    await upsertPrices(handle.db, [onDemand('32.7726000000', at(-100)), spot('9.6107000000', at(-2))], at(0));
  });

  it('uses the spot price of the zone for a spot instance, the list price for an on-demand one', async () => {
    const spotFound = await findPrice(handle.db, {
      ...query,
      market: 'spot',
      availabilityZone: 'us-east-1a',
      at: at(1),
      now: at(1),
    });
    expect(spotFound).toMatchObject({
      kind: 'spot',
      usdPerHour: '9.6107000000',
      per: 'instance_hour',
      stale: false,
    });
    const listFound = await findPrice(handle.db, {
      ...query,
      market: 'on-demand',
      availabilityZone: 'us-east-1a',
      at: at(1),
      now: at(1),
    });
    expect(listFound).toMatchObject({
      kind: 'on_demand',
      usdPerHour: '32.7726000000',
      source: expect.stringContaining('sku='),
    });
  });

  it('falls back to the list price for a spot instance in a zone with no spot price', async () => {
    const found = await findPrice(handle.db, {
      ...query,
      market: 'spot',
      availabilityZone: 'us-east-1f',
      at: at(1),
      now: at(1),
    });
    expect(found?.kind).toBe('on_demand');
  });

  it('uses the earliest spot point for usage before the spot history read', async () => {
    const found = await findPrice(handle.db, {
      ...query,
      market: 'spot',
      availabilityZone: 'us-east-1a',
      at: at(-50),
      now: at(1),
    });
    expect(found).toMatchObject({ kind: 'spot', effectiveFrom: at(-2) });
  });

  it('flags a price not confirmed for refreshHours × 2 as stale and still returns it', async () => {
    const found = await findPrice(handle.db, { ...query, at: at(49), now: at(49) });
    expect(found).toMatchObject({ kind: 'on_demand', usdPerHour: '32.7726000000', stale: true });
    const fresh = await findPrice(handle.db, { ...query, at: at(47), now: at(47) });
    expect(fresh?.stale).toBe(false);
  });

  it('falls back to the price book per GPU-hour by the GPU model of the instance type', async () => {
    const types = readAwsFixture<{ InstanceTypes: never[] }>(
      'ec2-describeinstancetypes_gpu-written-from-api-reference.json',
    );
    await upsertInstanceTypes(handle.db, parseInstanceTypes(types.InstanceTypes).facts, at(0));
    const book = {
      currency: 'USD' as const,
      gpuHourUsd: { 'NVIDIA A100 80GB': 2.5 },
      nodeOverheadHourUsd: {},
    };
    await upsertPrices(handle.db, buildPriceBookRows(book, at(0)), at(0));
    const found = await findPrice(handle.db, {
      ...query,
      instanceType: 'p4de.24xlarge',
      at: at(1),
      now: at(500),
    });
    expect(found).toMatchObject({
      kind: 'price_book',
      per: 'gpu_hour',
      key: 'NVIDIA A100 80GB',
      usdPerHour: '2.5000000000',
      source: 'config:priceBook.gpuHourUsd[NVIDIA A100 80GB]',
      stale: false,
    });
  });

  it('returns undefined for an instance type with no price at all, never $0', async () => {
    expect(
      await findPrice(handle.db, { ...query, instanceType: 'p5.48xlarge', at: at(1), now: at(1) }),
    ).toBeUndefined();
  });
});

describe('instance types and instances', () => {
  it('round-trips GPU facts by instance type', async () => {
    const types = readAwsFixture<{ InstanceTypes: never[] }>(
      'ec2-describeinstancetypes_gpu-written-from-api-reference.json',
    );
    await upsertInstanceTypes(handle.db, parseInstanceTypes(types.InstanceTypes).facts, at(0));
    expect(await getInstanceType(handle.db, 'p4d.24xlarge')).toMatchObject({
      gpuModel: 'NVIDIA A100 40GB',
      gpuCount: 8,
    });
    expect(await getInstanceType(handle.db, 'nope')).toBeUndefined();
  });

  it('moves a node to the instance that now has its private DNS name', async () => {
    const all = parseInstances('us-east-1', describeInstancesOutput().Reservations as never);
    const old = all
      .filter((i) => i.instanceId === 'i-0old000000000000d')
      .map((i) => ({ ...i, state: 'running' }));
    await upsertCloudInstances(handle.db, matchInstancesToNodes(old, ['ip-10-0-1-2']), at(0));
    expect((await getCloudInstanceByNode(handle.db, 'ip-10-0-1-2'))?.instanceId).toBe('i-0old000000000000d');
    await upsertCloudInstances(handle.db, matchInstancesToNodes(all, ['ip-10-0-1-2', 'ip-10-0-3-9']), at(1));
    const node = await getCloudInstanceByNode(handle.db, 'ip-10-0-1-2');
    expect(node).toMatchObject({
      instanceId: 'i-0p4d000000000000a',
      market: 'on-demand',
      tags: { team: 'research' },
    });
    expect((await getCloudInstanceByNode(handle.db, 'ip-10-0-3-9'))?.market).toBe('capacity-block');
    const stored = await listCloudInstances(handle.db);
    expect(stored.map((i) => [i.instanceId, i.node])).toEqual([
      ['i-0cb0000000000000c', 'ip-10-0-3-9'],
      ['i-0old000000000000d', null],
      ['i-0p4d000000000000a', 'ip-10-0-1-2'],
      ['i-0p4de00000000000b', null],
    ]);
  });

  it('keeps the node of an instance when no node list matches it any more, and swaps two nodes cleanly', async () => {
    const all = parseInstances('us-east-1', describeInstancesOutput().Reservations as never).slice(0, 2);
    const [a, b] = all.map((i) => i.instanceId);
    await upsertCloudInstances(handle.db, matchInstancesToNodes(all, ['ip-10-0-1-2', 'ip-10-0-2-7']), at(0));
    await upsertCloudInstances(handle.db, matchInstancesToNodes(all, []), at(1));
    expect((await getCloudInstanceByNode(handle.db, 'ip-10-0-1-2'))?.instanceId).toBe(a);
    const swapped = all.map((i) => ({ ...i, node: i.instanceId === a ? 'ip-10-0-2-7' : 'ip-10-0-1-2' }));
    await upsertCloudInstances(handle.db, swapped, at(2));
    expect((await getCloudInstanceByNode(handle.db, 'ip-10-0-1-2'))?.instanceId).toBe(b);
    expect((await getCloudInstanceByNode(handle.db, 'ip-10-0-2-7'))?.instanceId).toBe(a);
  });
});
