import { describe, expect, it } from 'vitest';
import { spotHistoryExample } from '../../test/fixtures/aws/load.js';
import { parseSpotPrices } from './parse-spot-prices.js';

describe('parseSpotPrices', () => {
  it('turns the botocore example into one spot row per zone, effective from its timestamp', () => {
    const { rows, issues } = parseSpotPrices('us-west-1', spotHistoryExample());
    expect(rows).toEqual([
      {
        provider: 'aws',
        kind: 'spot',
        region: 'us-west-1',
        availabilityZone: 'us-west-1a',
        instanceType: 'm1.xlarge',
        usdPerHour: '0.080000',
        effectiveFrom: new Date('2014-01-06T04:32:53.000Z'),
        source: 'aws-ec2:DescribeSpotPriceHistory Linux/UNIX (Amazon VPC)',
      },
      expect.objectContaining({
        availabilityZone: 'us-west-1c',
        effectiveFrom: new Date('2014-01-05T11:28:26.000Z'),
      }),
    ]);
    expect(issues).toEqual([]);
  });

  it('keeps the newest point per zone and type whatever the order', () => {
    const [a] = spotHistoryExample();
    const older = { ...a, SpotPrice: '0.070000', Timestamp: new Date('2014-01-01T00:00:00Z') };
    const { rows } = parseSpotPrices('us-west-1', [older, a as typeof older, older]);
    expect(rows.map((r) => r.usdPerHour)).toEqual(['0.080000']);
  });

  describe('errors', () => {
    it('reports zero, malformed and zone-less points instead of pricing them', () => {
      const [a] = spotHistoryExample();
      const { rows, issues } = parseSpotPrices('us-west-1', [
        { ...a, SpotPrice: '0.000000' },
        { ...a, SpotPrice: 'n/a' },
        { ...a, AvailabilityZone: undefined },
      ]);
      expect(rows).toEqual([]);
      expect(issues).toHaveLength(3);
    });
  });
});
