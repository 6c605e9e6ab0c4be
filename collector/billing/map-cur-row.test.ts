import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCurRowMapper } from './map-cur-row.js';
import { type CsvRow, openCsvFile, readCsvRows } from './parse-csv.js';
import type { RowMapper } from './types.js';

const fixture = join(import.meta.dirname, '../../test/fixtures/billing/aws-cur-legacy_anonymized_sample.csv');

async function readFixture(): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const batch of readCsvRows(openCsvFile(fixture))) rows.push(...batch);
  return rows;
}

function mapperFor(header: string[]): RowMapper {
  const made = createCurRowMapper(header, 'cur.csv');
  if (!made.ok) throw new Error(made.error);
  return made.value;
}

/** CUR 2.0 (Data Exports) names: snake_case, tags as one JSON map. */
const cur2Header = [
  'bill_payer_account_id',
  'bill_billing_period_start_date',
  'bill_billing_period_end_date',
  'line_item_usage_start_date',
  'line_item_usage_end_date',
  'line_item_unblended_cost',
  'line_item_currency_code',
  'line_item_line_item_type',
  'line_item_resource_id',
  'line_item_usage_type',
  'pricing_term',
  'resource_tags',
];
const cur2Row = (cost: string, type: string) => [
  '111122223333',
  '2024-09-01T00:00:00.000Z',
  '2024-10-01T00:00:00.000Z',
  '2024-09-02T00:00:00Z',
  '2024-09-02T01:00:00Z',
  cost,
  'USD',
  type,
  'i-0abc',
  'USE2-BoxUsage:p4d.24xlarge',
  'OnDemand',
  '{"user_team":"vision","user_project":"llm"}',
];

describe('createCurRowMapper', () => {
  it('maps every row of the real legacy CUR sample, Tax and Usage alike', async () => {
    const [head, ...rows] = await readFixture();
    const map = mapperFor(head?.fields ?? []);
    const lines = rows.map((r) => map(r.fields, r.line));
    expect(rows).toHaveLength(212);
    expect(lines.flatMap((l) => l.issues)).toEqual([]);
    expect(new Set(lines.map((l) => l.line?.chargeCategory))).toEqual(new Set(['Tax', 'Usage']));
    expect(lines[0]?.line).toMatchObject({
      provider: 'AWS',
      billingAccountId: '123412340534',
      billingPeriodStartMs: Date.parse('2023-11-01T00:00:00Z'),
      currency: 'USD',
    });
  });

  it('maps CUR 2.0 names: instance type from the usage type, OnDemand as Standard, tags without user_', () => {
    const out = mapperFor(cur2Header)(cur2Row('32.7726', 'Usage'), 2);
    expect(out.issues).toEqual([]);
    expect(out.line).toMatchObject({
      instanceType: 'p4d.24xlarge',
      resourceId: 'i-0abc',
      pricingCategory: 'Standard',
      chargeCategory: 'Usage',
      billedCost: 327_726_000_000n,
      tags: { team: 'vision', project: 'llm' },
    });
  });

  it('reads legacy resourceTags/user:team columns as the tag team', () => {
    const header = [...cur2Header.slice(0, 8), 'resourceTags/user:team', 'resourceTags/aws:createdBy'];
    const out = mapperFor(header)([...cur2Row('1', 'Usage').slice(0, 8), 'ml', 'someone'], 2);
    expect(out.line?.tags).toEqual({ team: 'ml', 'aws:createdBy': 'someone' });
  });

  it('allows negative Credit and Refund lines and maps them to ChargeCategory Credit', () => {
    const map = mapperFor(cur2Header);
    for (const type of ['Credit', 'Refund']) {
      const out = map(cur2Row('-5', type), 3);
      expect(out.issues).toEqual([]);
      expect(out.line?.chargeCategory).toBe('Credit');
    }
  });

  describe('errors', () => {
    it('refuses a header without lineItem/UnblendedCost, naming the column', () => {
      const made = createCurRowMapper(
        cur2Header.filter((h) => h !== 'line_item_unblended_cost'),
        'cur.csv',
      );
      expect(made).toEqual({
        ok: false,
        error: 'cur.csv: missing required CUR column lineItem/UnblendedCost',
      });
    });

    it('flags a negative Usage cost with its line and field', () => {
      const out = mapperFor(cur2Header)(cur2Row('-1.25E-6', 'Usage'), 8);
      expect(out.line).toBeDefined();
      expect(out.issues).toEqual([
        expect.objectContaining({
          line: 8,
          field: 'line_item_unblended_cost',
          value: '-1.25E-6',
          skipped: false,
        }),
      ]);
    });
  });
});
