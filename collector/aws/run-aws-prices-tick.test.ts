import {
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient, ThrottlingException } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import type { AwsSourceConfig } from '../../core/config.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createLogger } from '../../core/log.js';
import {
  describeInstancesOutput,
  offerFileToPriceListItems,
  readAwsFixture,
  spotHistoryExample,
} from '../../test/fixtures/aws/load.js';
import type { AwsClients } from './clients.js';
import { findPrice } from './price-queries.js';
import { getCloudInstanceByNode, getInstanceType } from './queries.js';
import { AwsPricesState, runAwsPricesTick } from './run-aws-prices-tick.js';

const pricingMock = mockClient(PricingClient);
const ec2Mock = mockClient(EC2Client);
const clients: AwsClients = {
  pricing: new PricingClient({ region: 'us-east-1' }),
  ec2: (region) => new EC2Client({ region }),
};
const hour = 3_600_000;
const start = Date.UTC(2026, 11, 2, 0, 0, 0);
const config: AwsSourceConfig = {
  enabled: true,
  regions: ['us-east-1'],
  pricingRegion: 'us-east-1',
  instanceTypes: ['p4d.24xlarge', 'p4de.24xlarge'],
  refreshHours: 24,
  inventoryIntervalSeconds: 300,
  maxAttempts: 8,
};
const priceBook = {
  currency: 'USD' as const,
  gpuHourUsd: { 'NVIDIA A100 80GB': 2.5 },
  nodeOverheadHourUsd: {},
};
const instanceTypes = readAwsFixture<{ InstanceTypes: never[] }>(
  'ec2-describeinstancetypes_gpu-written-from-api-reference.json',
).InstanceTypes;
/** The botocore spot example's entries, re-pointed at p4d with SkyPilot's us-east-1 p4d spot prices. */
const p4dSpot = spotHistoryExample().map((p, i) => ({
  ...p,
  InstanceType: 'p4d.24xlarge' as const,
  AvailabilityZone: ['us-east-1a', 'us-east-1b'][i] ?? 'us-east-1c',
  SpotPrice: ['6.791500', '9.610700'][i] ?? '5.093300',
  Timestamp: new Date(start - (i + 1) * hour),
}));

let handle: DbHandle;
let clock: ReturnType<typeof createManualClock>;
let state: AwsPricesState;
const deps = () => ({
  db: handle.db,
  clock,
  log: createLogger({ level: 'silent' }),
  clients,
  config,
  priceBook,
  listNodes: async () => [
    'ip-10-0-1-2.ec2.internal',
    { name: 'gpu-spot-1', providerId: 'aws:///us-east-1b/i-0p4de00000000000b' },
  ],
});

function mockHealthyAws() {
  pricingMock.reset();
  ec2Mock.reset();
  // GetProducts answers per filter as the API does: the p4d offer items (list + Capacity Block), nothing else
  pricingMock
    .on(GetProductsCommand)
    .callsFake((input: { Filters?: { Field?: string; Value?: string }[] }) => {
      const type = input.Filters?.find((f) => f.Field === 'instanceType')?.Value;
      return {
        FormatVersion: 'aws_v1',
        PriceList: type === 'p4d.24xlarge' ? offerFileToPriceListItems() : [],
      };
    });
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: instanceTypes });
  ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: p4dSpot });
  ec2Mock.on(DescribeInstancesCommand).resolves(describeInstancesOutput() as never);
}

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(() => handle.close());
beforeEach(async () => {
  await handle.db.execute(sql`truncate prices, instance_types, cloud_instances`);
  clock = createManualClock(start);
  state = new AwsPricesState();
  mockHealthyAws();
});

describe('runAwsPricesTick', () => {
  it('stores list, spot and price-book prices, GPU facts and inventory, and reports the unpriced type', async () => {
    const summary = await runAwsPricesTick(deps(), state);
    expect(summary).toMatchObject({
      refreshedPrices: true,
      refreshedInventory: true,
      instanceTypes: 4,
      instances: 4,
    });
    expect(summary.unpriced).toEqual(['us-east-1 p4de.24xlarge']);
    expect(summary.errors).toEqual([]);
    expect(summary.issues).toEqual([expect.stringMatching(/YSXJGN78QTXNVGDQ.*CapacityBlock/)]);
    const zero = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from prices where usd_per_hour = 0`,
    );
    expect(zero[0]?.n).toBe(0);
    const now = new Date(start);
    const spot = await findPrice(handle.db, {
      instanceType: 'p4d.24xlarge',
      region: 'us-east-1',
      market: 'spot',
      availabilityZone: 'us-east-1b',
      at: now,
      now,
      refreshHours: 24,
    });
    expect(spot).toMatchObject({ kind: 'spot', usdPerHour: '9.6107000000' });
    // p4de has no list price: the price book answers per GPU-hour, under the 80GB model name
    const p4de = await findPrice(handle.db, {
      instanceType: 'p4de.24xlarge',
      region: 'us-east-1',
      at: now,
      now,
      refreshHours: 24,
    });
    expect(p4de).toMatchObject({ kind: 'price_book', per: 'gpu_hour', key: 'NVIDIA A100 80GB' });
    expect(await getInstanceType(handle.db, 'p4de.24xlarge')).toMatchObject({ gpuMemoryMib: 81920 });
    expect(await getCloudInstanceByNode(handle.db, 'gpu-spot-1')).toMatchObject({
      instanceId: 'i-0p4de00000000000b',
      market: 'spot',
    });
  });

  it('reads spot and inventory every interval and list prices only every refreshHours', async () => {
    await runAwsPricesTick(deps(), state);
    const calls = () => [
      pricingMock.commandCalls(GetProductsCommand).length,
      ec2Mock.commandCalls(DescribeInstancesCommand).length,
    ];
    expect(calls()).toEqual([2, 1]);
    clock.advance(60_000);
    await runAwsPricesTick(deps(), state);
    expect(calls()).toEqual([2, 1]);
    clock.advance(300_000);
    const summary = await runAwsPricesTick(deps(), state);
    expect(summary).toMatchObject({ refreshedPrices: false, refreshedInventory: true, pricesWritten: 0 });
    expect(calls()).toEqual([2, 2]);
    clock.set(start + 24 * hour);
    await runAwsPricesTick(deps(), state);
    expect(calls()).toEqual([4, 3]);
  });

  describe('errors', () => {
    it('keeps the stored price through throttling, flags it stale once old, and never writes zero', async () => {
      await runAwsPricesTick(deps(), state);
      pricingMock
        .on(GetProductsCommand)
        .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
      clock.set(start + 49 * hour);
      const summary = await runAwsPricesTick(deps(), state);
      expect(summary.refreshedPrices).toBe(false);
      expect(summary.errors).toEqual([
        'GetProducts us-east-1 p4d.24xlarge: ThrottlingException: Rate exceeded',
      ]);
      expect(summary.stale).toEqual(['us-east-1 p4d.24xlarge']);
      expect(summary.unpriced).toEqual(['us-east-1 p4de.24xlarge']);
      const now = new Date(clock.now());
      const found = await findPrice(handle.db, {
        instanceType: 'p4d.24xlarge',
        region: 'us-east-1',
        at: now,
        now,
        refreshHours: 24,
      });
      expect(found).toMatchObject({ kind: 'on_demand', usdPerHour: '32.7726000000', stale: true });
      // a failed refresh is retried on the next tick rather than after another refreshHours
      pricingMock.reset();
      mockHealthyAws();
      clock.advance(60_000);
      expect((await runAwsPricesTick(deps(), state)).refreshedPrices).toBe(true);
    });

    it('still prices configured types and reads inventory when DescribeInstanceTypes fails', async () => {
      ec2Mock.on(DescribeInstanceTypesCommand).rejects(
        new EC2ServiceException({
          name: 'UnauthorizedOperation',
          $fault: 'client',
          message: 'not authorized',
          $metadata: {},
        }),
      );
      const summary = await runAwsPricesTick(deps(), state);
      expect(summary.errors).toEqual([
        'DescribeInstanceTypes us-east-1: UnauthorizedOperation: not authorized',
      ]);
      expect(summary.unpriced).toEqual(['us-east-1 p4de.24xlarge']);
      expect(summary).toMatchObject({ refreshedPrices: false, refreshedInventory: true, instances: 4 });
    });

    it('keeps stored instances when DescribeInstances fails', async () => {
      await runAwsPricesTick(deps(), state);
      ec2Mock.on(DescribeInstancesCommand).rejects(new Error('socket hang up'));
      clock.advance(300_000);
      const summary = await runAwsPricesTick(deps(), state);
      expect(summary.errors).toEqual(['DescribeInstances us-east-1: Error: socket hang up']);
      expect(await getCloudInstanceByNode(handle.db, 'ip-10-0-1-2.ec2.internal')).toMatchObject({
        instanceId: 'i-0p4d000000000000a',
      });
    });

    it('keeps the instance-node mapping when the node list cannot be read', async () => {
      await runAwsPricesTick(deps(), state);
      clock.advance(300_000);
      const failing = { ...deps(), listNodes: () => Promise.reject(new Error('kube API down')) };
      const summary = await runAwsPricesTick(failing, state);
      expect(summary.errors).toEqual(['listNodes: Error: kube API down']);
      expect(await getCloudInstanceByNode(handle.db, 'gpu-spot-1')).toMatchObject({
        instanceId: 'i-0p4de00000000000b',
      });
    });
  });
});
