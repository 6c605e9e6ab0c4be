import { describe, expect, it } from 'vitest';
import {
  c5adPriceListItem,
  offerFileToPriceListItems,
  readAwsFixture,
} from '../../test/fixtures/aws/load.js';
import { parsePriceListItem } from './parse-price-list.js';

describe('parsePriceListItem', () => {
  it('reads the p4d.24xlarge on-demand price with its SKU, term, rate and effective date', () => {
    const [onDemand] = offerFileToPriceListItems();
    const parsed = parsePriceListItem(onDemand ?? '');
    expect(parsed).toEqual({
      ok: true,
      value: {
        sku: 'H7NGEAC6UEHNTKSJ',
        offerTermCode: 'JRTCKXETXF',
        rateCode: 'H7NGEAC6UEHNTKSJ.JRTCKXETXF.6YS6EN2CT7',
        usdPerHour: '32.7726000000',
        effectiveFrom: new Date('2024-05-01T00:00:00Z'),
        instanceType: 'p4d.24xlarge',
        regionCode: 'us-east-1',
        capacityStatus: 'Used',
        marketOption: 'OnDemand',
      },
    });
  });

  it('skips the $0.00 Capacity Block entry of the same instance type and says why', () => {
    const capacityBlock = offerFileToPriceListItems()[1] ?? '';
    const parsed = parsePriceListItem(capacityBlock);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/YSXJGN78QTXNVGDQ.*CapacityBlock/);
  });

  it('reads the real c5ad.2xlarge GetProducts entry, keeping its capacity status', () => {
    const parsed = parsePriceListItem(c5adPriceListItem());
    expect(parsed.ok && parsed.value).toMatchObject({
      usdPerHour: '0.4680000000',
      capacityStatus: 'UnusedCapacityReservation',
      regionCode: 'us-east-1',
    });
  });

  describe('errors', () => {
    it('reports an item that is not valid JSON instead of a price', () => {
      const parsed = parsePriceListItem('{"product": ');
      expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
    });

    it('reports a product without an instance type (the botocore EBS example)', () => {
      const doc = readAwsFixture<{ output: { PriceList: string[] } }>(
        'aws-pricing-getproducts_example_botocore.json',
      );
      const parsed = parsePriceListItem(doc.output.PriceList[0] ?? '');
      expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/no instanceType/) });
    });

    it('reports a rate without a USD price, never a zero price', () => {
      const item = JSON.parse(c5adPriceListItem());
      const dim = Object.values(Object.values(item.terms.OnDemand)[0] as { priceDimensions: object })[0];
      for (const d of Object.values(dim as Record<string, { pricePerUnit: object }>))
        d.pricePerUnit = { CNY: '3.1' };
      const parsed = parsePriceListItem(JSON.stringify(item));
      expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/no USD price/) });
    });

    it('reports a $0.00 on-demand rate instead of storing it', () => {
      const text = c5adPriceListItem().replace('"0.4680000000"', '"0.0000000000"');
      const parsed = parsePriceListItem(text);
      expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/\$0\.00/) });
    });
  });
});
