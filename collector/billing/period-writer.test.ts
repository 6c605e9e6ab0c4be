import { describe, expect, it } from 'vitest';
import type { Db } from '../../core/db.js';
import { BillingImportRefused, PeriodWriter } from './period-writer.js';
import type { BillingLine } from './types.js';

const line = (lineNumber: number, provider: string, currency = 'USD'): BillingLine => ({
  lineNumber,
  provider,
  billingAccountId: 'acct',
  billingPeriodStartMs: 0,
  billingPeriodEndMs: 1,
  chargePeriodStartMs: 0,
  chargePeriodEndMs: 1,
  chargeCategory: 'Usage',
  pricingCategory: null,
  serviceName: null,
  resourceId: null,
  instanceType: null,
  region: null,
  availabilityZone: null,
  usageQuantity: null,
  usageUnit: null,
  billedCost: 1n,
  effectiveCost: null,
  listCost: null,
  currency,
  tags: {},
});

// add() never touches the database; only flush() and finish() do
const writer = () =>
  new PeriodWriter({} as Db, { format: 'focus', sourceFile: 'f.csv', now: new Date(0), chunkSize: 2 });

describe('PeriodWriter.add', () => {
  it('asks to flush a period whose chunk is full', () => {
    const w = writer();
    expect(w.add(line(2, 'AWS'))).toBeUndefined();
    // the second line added overall also runs the staleness check: nothing is stale yet
    expect(w.add(line(3, 'Oracle'))).toEqual([]);
    expect(w.add(line(4, 'AWS'))?.map((p) => p.key.provider)).toEqual(['AWS']);
  });

  it('asks to flush a rare period once its oldest buffered line is four chunks behind the reader', () => {
    const w = writer();
    w.add(line(2, 'Oracle'));
    const due: string[][] = [];
    for (let n = 3; n < 20; n++) {
      const flushed = w.add(line(n, 'AWS'));
      if (flushed) {
        due.push(flushed.map((p) => p.key.provider));
        for (const p of flushed) p.buffer = [];
      }
    }
    expect(due.flat()).toContain('Oracle');
  });

  it('refuses a second currency in the same period, naming both lines', () => {
    const w = writer();
    w.add(line(2, 'AWS', 'USD'));
    expect(() => w.add(line(9, 'AWS', 'EUR'))).toThrow(BillingImportRefused);
    expect(() => w.add(line(9, 'AWS', 'EUR'))).toThrow(/USD \(line 2\) and EUR \(line 9\)/);
  });
});
