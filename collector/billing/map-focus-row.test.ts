import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDecimal } from '../../core/decimal.js';
import { createFocusRowMapper } from './map-focus-row.js';
import { type CsvRow, openCsvFile, readCsvRows } from './parse-csv.js';
import type { RowMapper } from './types.js';

const fixture = join(
  import.meta.dirname,
  '../../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);

async function readFixture(): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const batch of readCsvRows(openCsvFile(fixture))) rows.push(...batch);
  return rows;
}

function mapperFor(header: string[]): RowMapper {
  const made = createFocusRowMapper(header, 'f.csv');
  if (!made.ok) throw new Error(made.error);
  return made.value;
}

const header = [
  'BilledCost',
  'BillingAccountId',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ProviderName',
  'ChargeCategory',
];
const good = [
  '1.5',
  'acct',
  'USD',
  '2024-09-01',
  '2024-10-01',
  '2024-09-02 00:00:00',
  '2024-09-02T01:00:00Z',
  'AWS',
];
const row = (overrides: Record<number, string>, category = 'Usage') =>
  [...good, category].map((v, i) => overrides[i] ?? v);

describe('createFocusRowMapper', () => {
  it('maps all 240 rows of the real FOCUS 1.0 sample without a skipped row', async () => {
    const [head, ...rows] = await readFixture();
    const map = mapperFor(head?.fields ?? []);
    const mapped = rows.map((r) => map(r.fields, r.line));
    expect(rows).toHaveLength(240);
    expect(mapped.filter((m) => m.line === undefined)).toEqual([]);
    expect(mapped.flatMap((m) => m.issues).every((i) => !i.skipped)).toBe(true);
  });

  it('reads an EC2 GPU row: instance type from the description, tags from JSON, UTC times, exact costs', async () => {
    const [head, ...rows] = await readFixture();
    const map = mapperFor(head?.fields ?? []);
    const gpu = rows.map((r) => map(r.fields, r.line).line).find((l) => l?.instanceType === 'g5.4xlarge');
    expect(gpu).toMatchObject({
      provider: 'AWS',
      billingAccountId: '1234567890123',
      billingPeriodStartMs: Date.parse('2024-09-01T00:00:00Z'),
      serviceName: 'Amazon Elastic Compute Cloud',
      region: 'us-east-1',
      currency: 'USD',
      tags: { application: 'BrightPathMatrix', environment: 'dev', business_unit: 'PeoriaData' },
    });
    expect(gpu?.resourceId).toMatch(/^i-/);
    expect(gpu && formatDecimal(gpu.billedCost)).toMatch(/^\d+\.\d{10}$/);
  });

  it('allows a negative cost on a Credit line without an issue', () => {
    const out = mapperFor(header)(row({ 0: '-3.00' }, 'Credit'), 7);
    expect(out.issues).toEqual([]);
    expect(out.line?.billedCost).toBe(-30_000_000_000n);
  });

  it('flags a negative cost on a Usage line but keeps the line so totals still match the bill', () => {
    const out = mapperFor(header)(row({ 0: '-0.149' }), 12);
    expect(out.line).toBeDefined();
    expect(out.issues).toEqual([
      expect.objectContaining({
        file: 'f.csv',
        line: 12,
        field: 'BilledCost',
        value: '-0.149',
        skipped: false,
      }),
    ]);
  });

  it('reads FOCUS 1.0-preview names Region and UsageQuantity, and 1.2 SkuPriceDetails instance types', () => {
    const map = mapperFor([...header, 'Region', 'UsageQuantity', 'SkuPriceDetails', 'x_Whatever']);
    const out = map([...row({}), 'eu-west-1', '2', '{"InstanceType":"p4d.24xlarge"}', 'ignored'], 3);
    expect(out.line).toMatchObject({ region: 'eu-west-1', usageQuantity: 20_000_000_000n });
    expect(out.line?.instanceType).toBe('p4d.24xlarge');
  });

  describe('errors', () => {
    it('refuses a header without BilledCost, naming the column', () => {
      const made = createFocusRowMapper(
        header.filter((h) => h !== 'BilledCost'),
        'f.csv',
      );
      expect(made).toEqual({ ok: false, error: 'f.csv: missing required FOCUS column BilledCost' });
    });

    it('skips a row whose cost is not a number and reports file, line, field and value', () => {
      const out = mapperFor(header)(row({ 0: '12,50' }), 9);
      expect(out.line).toBeUndefined();
      expect(out.issues).toEqual([
        expect.objectContaining({
          file: 'f.csv',
          line: 9,
          field: 'BilledCost',
          value: '12,50',
          skipped: true,
        }),
      ]);
    });

    it('skips a row whose charge period is not a date-time', () => {
      const out = mapperFor(header)(row({ 5: 'yesterday' }), 4);
      expect(out.line).toBeUndefined();
      expect(out.issues[0]).toMatchObject({ field: 'ChargePeriodStart', value: 'yesterday' });
    });

    it('skips a row with a currency that is not an ISO 4217 code', () => {
      const out = mapperFor(header)(row({ 2: 'Dollars' }), 5);
      expect(out.line).toBeUndefined();
      expect(out.issues[0]).toMatchObject({ field: 'BillingCurrency', value: 'Dollars', skipped: true });
    });
  });
});
