import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { importBillingFile } from './import-billing-file.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/billing');
const focusSample = join(fixtures, 'focus-1.0_sample_anonymized_real_240rows.csv');
const curSample = join(fixtures, 'aws-cur-legacy_anonymized_sample.csv');
const dir = mkdtempSync(join(tmpdir(), 'gpuscope-billing-'));
const clock = createManualClock(Date.parse('2024-11-05T00:00:00Z'));

let handle: DbHandle;
beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.db.execute(sql`delete from billing_imports`);
});

const importFocus = (path: string, chunkSize?: number) =>
  importBillingFile({ db: handle.db, clock }, path, { format: 'focus', ...(chunkSize ? { chunkSize } : {}) });

async function storedTotals() {
  return queryRows<{ provider: string; start: string; lines: number; total: string; sum: string | null }>(
    handle.db,
    sql`select i.provider, to_char(i.billing_period_start at time zone 'UTC', 'YYYY-MM') as start,
        i.line_count as lines, i.billed_cost_total::text as total,
        (select sum(l.billed_cost)::text from billing_lines l where l.import_id = i.id) as sum
      from billing_imports i order by 1, 2`,
  );
}

/**
 * Computed apart from the importer (Python's decimal module over the fixture, each BilledCost rounded half-up
 * to 10 places as numeric(24,10) stores it): the sample carries 11 decimals.
 */
const focusTotals = [
  { provider: 'AWS', start: '2024-09', lines: 182, total: '15.1922860107' },
  { provider: 'Microsoft', start: '2024-09', lines: 51, total: '1.9765141858' },
  { provider: 'Oracle', start: '2024-09', lines: 6, total: '0.2970739247' },
  { provider: 'Oracle', start: '2024-10', lines: 1, total: '0.2400000000' },
];

const focusHeader =
  'BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,' +
  'ChargePeriodEnd,ProviderName,ChargeCategory,ResourceId,Tags';
function writeFocus(name: string, rows: string[], eol = '\n'): string {
  const path = join(dir, name);
  writeFileSync(path, [focusHeader, ...rows].join(eol) + eol);
  return path;
}
const focusRow = (cost: string, currency = 'USD', category = 'Usage', id = 'i-1') =>
  `${cost},acct-1,${currency},2024-09-01,2024-10-01,2024-09-02 00:00:00,2024-09-02 01:00:00,AWS,${category},${id},`;

describe('importBillingFile', () => {
  it('imports every row of the real FOCUS sample with exact totals per provider and period', async () => {
    const result = await importFocus(focusSample);
    if (!result.ok) throw new Error(result.error);
    expect(result.value).toMatchObject({ rows: 240, lines: 240, skippedRows: 0, format: 'focus' });
    expect(result.value.periods).toHaveLength(4);
    const stored = await storedTotals();
    expect(stored.map(({ sum, ...rest }) => rest)).toEqual(focusTotals);
    for (const s of stored) expect(s.sum).toBe(s.total);
  });

  it('flags the sample’s negative Usage lines without dropping them', async () => {
    const result = await importFocus(focusSample);
    const issues = result.ok ? result.value.issues : [];
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => !i.skipped && /negative cost/.test(i.message))).toBe(true);
    expect(issues[0]).toMatchObject({ file: 'focus-1.0_sample_anonymized_real_240rows.csv' });
  });

  it('writes the same lines and totals when periods interleave and chunks are small', async () => {
    await importFocus(focusSample, 7);
    expect((await storedTotals()).map(({ sum, ...rest }) => rest)).toEqual(focusTotals);
  });

  it('leaves totals and line counts unchanged when the same file is imported again', async () => {
    await importFocus(focusSample);
    const first = await storedTotals();
    const again = await importFocus(focusSample);
    expect(again.ok).toBe(true);
    expect(await storedTotals()).toEqual(first);
    const [count] = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from billing_lines`,
    );
    expect(count?.n).toBe(240);
  });

  it('replaces a period’s lines when a restated file for the same period arrives', async () => {
    await importFocus(writeFocus('sep.csv', [focusRow('1.10'), focusRow('2.20', 'USD', 'Usage', 'i-2')]));
    const restated = await importFocus(writeFocus('sep-restated.csv', [focusRow('1.05')]));
    expect(restated.ok && restated.value.periods[0]?.billedCostTotal).toBe('1.0500000000');
    expect(await storedTotals()).toEqual([
      { provider: 'AWS', start: '2024-09', lines: 1, total: '1.0500000000', sum: '1.0500000000' },
    ]);
  });

  it('imports the real legacy CUR sample with its exact UnblendedCost total', async () => {
    const result = await importBillingFile({ db: handle.db, clock }, curSample, { format: 'cur' });
    expect(result.ok && result.value).toMatchObject({ rows: 212, lines: 212, issueCount: 0 });
    // Python: sum(Decimal(x) for x in lineItem/UnblendedCost) over the fixture
    expect(await storedTotals()).toEqual([
      { provider: 'AWS', start: '2023-11', lines: 212, total: '0.1210047266', sum: '0.1210047266' },
    ]);
  });

  it('reads a gzip-compressed export and hashes its uncompressed bytes', async () => {
    const gz = join(dir, 'focus.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(focusSample)));
    const plain = await importFocus(focusSample);
    const zipped = await importFocus(gz);
    expect(zipped.ok && zipped.value.lines).toBe(240);
    expect(zipped.ok && zipped.value.sha256).toBe(plain.ok && plain.value.sha256);
  });

  it('reads CRLF line ends and quoted newlines, and reports issues at the line where a record starts', async () => {
    const multiline = `${focusRow('2.00')}"{""team"": ""ml"",\n""project"": ""llm""}"`;
    const path = writeFocus('crlf.csv', [multiline, focusRow('abc')], '\r\n');
    const result = await importFocus(path);
    if (!result.ok) throw new Error(result.error);
    expect(result.value).toMatchObject({ lines: 1, skippedRows: 1 });
    expect(result.value.issues).toEqual([
      expect.objectContaining({
        file: 'crlf.csv',
        line: 4,
        field: 'BilledCost',
        value: 'abc',
        skipped: true,
      }),
    ]);
    const [tags] = await queryRows<{ tags: unknown }>(handle.db, sql`select tags from billing_lines`);
    expect(tags?.tags).toEqual({ team: 'ml', project: 'llm' });
  });

  it('ignores extra columns and allows a negative Credit line', async () => {
    const path = join(dir, 'extra.csv');
    writeFileSync(path, `${focusHeader},x_Extra\n${focusRow('5')},a\n${focusRow('-2', 'USD', 'Credit')},b\n`);
    const result = await importFocus(path);
    expect(result.ok && result.value).toMatchObject({ lines: 2, issueCount: 0 });
    expect(result.ok && result.value.periods[0]?.billedCostTotal).toBe('3.0000000000');
  });

  describe('errors', () => {
    it('returns an error naming a missing required column and writes nothing', async () => {
      const path = join(dir, 'missing.csv');
      writeFileSync(path, 'BilledCost,BillingCurrency\n1,USD\n');
      const result = await importFocus(path);
      expect(result).toEqual({
        ok: false,
        error: 'missing.csv: missing required FOCUS column BillingAccountId; nothing imported',
      });
      expect(await storedTotals()).toEqual([]);
    });

    it('refuses a period that mixes currencies and keeps the previous import of it', async () => {
      await importFocus(writeFocus('usd.csv', [focusRow('1')]));
      const result = await importFocus(writeFocus('mixed.csv', [focusRow('3'), focusRow('4', 'EUR')]));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(
        /mixes currencies USD \(line 2\) and EUR \(line 3\); nothing imported/,
      );
      expect((await storedTotals()).map((t) => t.total)).toEqual(['1.0000000000']);
    });

    it('skips a row with an unknown currency code and reports it', async () => {
      const result = await importFocus(writeFocus('cur.csv', [focusRow('1'), focusRow('2', 'usd$')]));
      expect(result.ok && result.value.issues).toEqual([
        expect.objectContaining({ line: 3, field: 'BillingCurrency', value: 'usd$', skipped: true }),
      ]);
    });

    it('flags a negative cost on a Usage line', async () => {
      const result = await importFocus(writeFocus('neg.csv', [focusRow('-1')]));
      expect(result.ok && result.value.issues[0]).toMatchObject({
        line: 2,
        field: 'BilledCost',
        skipped: false,
      });
    });

    it('returns an error for an empty file', async () => {
      const path = join(dir, 'empty.csv');
      writeFileSync(path, '');
      expect(await importFocus(path)).toEqual({ ok: false, error: 'empty.csv: empty file, no header' });
    });

    it('returns an error for a file that cannot be read', async () => {
      const result = await importFocus(join(dir, 'nope.csv'));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(/nope\.csv: cannot read: .*ENOENT/);
    });

    it('returns an error for a corrupt gzip file and writes nothing', async () => {
      const path = join(dir, 'bad.csv.gz');
      writeFileSync(path, 'not gzip at all');
      expect((await importFocus(path)).ok).toBe(false);
      expect(await storedTotals()).toEqual([]);
    });
  });
});
