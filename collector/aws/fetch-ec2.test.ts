import {
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readAwsFixture, spotHistoryExample } from '../../test/fixtures/aws/load.js';
import { createAwsClients } from './clients.js';
import { fetchInstanceTypes } from './fetch-instance-types.js';
import { fetchSpotPrices } from './fetch-spot-prices.js';

const ec2Mock = mockClient(EC2Client);
const ec2 = new EC2Client({ region: 'us-west-1' });
const now = new Date('2014-01-06T08:09:10Z');

beforeEach(() => ec2Mock.reset());
afterAll(() => ec2Mock.restore());

describe('fetchSpotPrices', () => {
  it('asks for Linux/UNIX prices of the given types over the last week, then keeps the newest per zone', async () => {
    ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: spotHistoryExample() as never });
    const read = await fetchSpotPrices(ec2, 'us-west-1', ['m1.xlarge'], now);
    const input = ec2Mock.commandCalls(DescribeSpotPriceHistoryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      InstanceTypes: ['m1.xlarge'],
      ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
      EndTime: now,
      StartTime: new Date(now.getTime() - 7 * 24 * 3_600_000),
    });
    expect(read.rows.map((r) => [r.availabilityZone, r.usdPerHour])).toEqual([
      ['us-west-1a', '0.080000'],
      ['us-west-1c', '0.080000'],
    ]);
  });

  it('makes no call when there is no type to price', async () => {
    expect(await fetchSpotPrices(ec2, 'us-west-1', [], now)).toEqual({ rows: [], issues: [] });
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('fetchInstanceTypes', () => {
  it('reports an asked-for type that EC2 does not return', async () => {
    const output = readAwsFixture<{ InstanceTypes: never[] }>(
      'ec2-describeinstancetypes_gpu-written-from-api-reference.json',
    );
    ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: output.InstanceTypes.slice(0, 1) });
    const read = await fetchInstanceTypes(ec2, ['p4d.24xlarge', 'p9.huge']);
    expect(read.facts.map((f) => f.name)).toEqual(['p4d.24xlarge']);
    expect(read.issues).toEqual(['p9.huge: unknown to DescribeInstanceTypes']);
  });
});

describe('createAwsClients', () => {
  it('builds the Pricing client in the pricing region and EC2 clients per region, adaptive retries', async () => {
    const clients = createAwsClients({
      enabled: true,
      regions: ['eu-west-1'],
      pricingRegion: 'ap-south-1',
      instanceTypes: [],
      refreshHours: 24,
      inventoryIntervalSeconds: 300,
      maxAttempts: 5,
    });
    expect(await clients.pricing.config.region()).toBe('ap-south-1');
    const { retryMode, maxAttempts } = clients.pricing.config;
    expect(typeof retryMode === 'function' ? await retryMode() : retryMode).toBe('adaptive');
    expect(await maxAttempts()).toBe(5);
    const eu = clients.ec2('eu-west-1');
    expect(clients.ec2('eu-west-1')).toBe(eu);
    expect(await eu.config.region()).toBe('eu-west-1');
  });
});
