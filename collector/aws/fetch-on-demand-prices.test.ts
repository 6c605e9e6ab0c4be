import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { c5adPriceListItem, offerFileToPriceListItems } from '../../test/fixtures/aws/load.js';
import { fetchOnDemandPrices } from './fetch-on-demand-prices.js';

const pricingMock = mockClient(PricingClient);
const client = new PricingClient({ region: 'us-east-1' });

beforeEach(() => pricingMock.reset());

describe('fetchOnDemandPrices', () => {
  it('asks GetProducts for the Linux shared on-demand price, marketoption=OnDemand included', async () => {
    pricingMock.on(GetProductsCommand).resolves({ FormatVersion: 'aws_v1', PriceList: [] });
    await fetchOnDemandPrices(client, 'us-east-1', 'p4d.24xlarge');
    const input = pricingMock.commandCalls(GetProductsCommand)[0]?.args[0].input;
    const filters = Object.fromEntries((input?.Filters ?? []).map((f) => [f.Field, [f.Type, f.Value]]));
    expect(filters).toEqual({
      ServiceCode: ['TERM_MATCH', 'AmazonEC2'],
      regionCode: ['TERM_MATCH', 'us-east-1'],
      instanceType: ['TERM_MATCH', 'p4d.24xlarge'],
      operatingSystem: ['TERM_MATCH', 'Linux'],
      tenancy: ['TERM_MATCH', 'Shared'],
      preInstalledSw: ['TERM_MATCH', 'NA'],
      capacitystatus: ['TERM_MATCH', 'Used'],
      marketoption: ['TERM_MATCH', 'OnDemand'],
    });
  });

  it('keeps the $32.7726 on-demand price and reports the $0.00 Capacity Block entry when both come back', async () => {
    pricingMock.on(GetProductsCommand).resolves({ PriceList: offerFileToPriceListItems() });
    const read = await fetchOnDemandPrices(client, 'us-east-1', 'p4d.24xlarge');
    expect(read.rows).toEqual([
      {
        provider: 'aws',
        kind: 'on_demand',
        region: 'us-east-1',
        availabilityZone: '',
        instanceType: 'p4d.24xlarge',
        usdPerHour: '32.7726000000',
        effectiveFrom: new Date('2024-05-01T00:00:00Z'),
        source:
          'aws-pricing:GetProducts sku=H7NGEAC6UEHNTKSJ term=JRTCKXETXF rate=H7NGEAC6UEHNTKSJ.JRTCKXETXF.6YS6EN2CT7',
      },
    ]);
    expect(read.issues).toEqual([expect.stringMatching(/YSXJGN78QTXNVGDQ.*CapacityBlock/)]);
  });

  it('follows NextToken across pages', async () => {
    const [onDemand, capacityBlock] = offerFileToPriceListItems();
    pricingMock
      .on(GetProductsCommand)
      .resolvesOnce({ PriceList: [capacityBlock ?? ''], NextToken: 'page-2' })
      .resolvesOnce({ PriceList: [onDemand ?? ''] });
    const read = await fetchOnDemandPrices(client, 'us-east-1', 'p4d.24xlarge');
    expect(pricingMock.commandCalls(GetProductsCommand)[1]?.args[0].input.NextToken).toBe('page-2');
    expect(read.rows.map((r) => r.usdPerHour)).toEqual(['32.7726000000']);
  });

  describe('errors', () => {
    it('reports an instance type with no price instead of a $0 row', async () => {
      pricingMock.on(GetProductsCommand).resolves({ PriceList: [] });
      const read = await fetchOnDemandPrices(client, 'us-east-1', 'p5.48xlarge');
      expect(read.rows).toEqual([]);
      expect(read.issues).toEqual(['us-east-1 p5.48xlarge: no on-demand price (not priced, never $0)']);
    });

    it('ignores an item for another type or region the filters should have excluded', async () => {
      pricingMock.on(GetProductsCommand).resolves({ PriceList: [c5adPriceListItem()] });
      const read = await fetchOnDemandPrices(client, 'us-east-1', 'p4d.24xlarge');
      expect(read.rows).toEqual([]);
      expect(read.issues).toHaveLength(1);
    });
  });
});
