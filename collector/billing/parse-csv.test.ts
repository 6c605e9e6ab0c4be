import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CsvRow, CsvSyntaxError, openCsvFile, readCsvRows } from './parse-csv.js';

async function readAll(source: AsyncIterable<Buffer | string>): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const batch of readCsvRows(source)) rows.push(...batch);
  return rows;
}

async function* pieces(...parts: (string | Buffer)[]) {
  yield* parts;
}

const tricky =
  '\ufeffa,b,c\r\n' +
  '1,"two, with comma","say ""hi"""\r\n' +
  '"multi\nline",x,\r\n' +
  ',,\n' +
  '"last","",z';

const expected: CsvRow[] = [
  { line: 1, fields: ['a', 'b', 'c'] },
  { line: 2, fields: ['1', 'two, with comma', 'say "hi"'] },
  { line: 3, fields: ['multi\nline', 'x', ''] },
  { line: 5, fields: ['', '', ''] },
  { line: 6, fields: ['last', '', 'z'] },
];

describe('readCsvRows', () => {
  it('reads quotes, escaped quotes, CRLF, a BOM and newlines inside quoted fields with their start lines', async () => {
    expect(await readAll(pieces(tricky))).toEqual(expected);
  });

  it('gives the same records wherever the input is cut into chunks', async () => {
    const bytes = Buffer.from(tricky, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const rows = await readAll(pieces(bytes.subarray(0, cut), bytes.subarray(cut)));
      expect(rows, `cut at byte ${cut}`).toEqual(expected);
    }
  });

  it('decodes a multi-byte character split across two buffers', async () => {
    const bytes = Buffer.from('name\nZürich €\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1;
    const rows = await readAll(pieces(bytes.subarray(0, cut), bytes.subarray(cut)));
    expect(rows[1]?.fields).toEqual(['Zürich €']);
  });

  it('skips blank lines but counts them in line numbers', async () => {
    expect(await readAll(pieces('a\n\n\nb\n\n'))).toEqual([
      { line: 1, fields: ['a'] },
      { line: 4, fields: ['b'] },
    ]);
  });

  describe('errors', () => {
    it('rejects an unterminated quoted field and names the line where it starts', async () => {
      const failure = await readAll(pieces('a,b\n1,"open\nstill open')).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(CsvSyntaxError);
      expect((failure as CsvSyntaxError).line).toBe(2);
    });

    it('rejects text after a closing quote', async () => {
      await expect(readAll(pieces('a,b\n"x"y,1\n'))).rejects.toThrow(/line 2: unexpected character/);
    });
  });
});

describe('openCsvFile', () => {
  it('reads a gzip-compressed export the same as the plain one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpuscope-csv-'));
    writeFileSync(join(dir, 'x.csv'), tricky);
    writeFileSync(join(dir, 'x.csv.gz'), gzipSync(tricky));
    expect(await readAll(openCsvFile(join(dir, 'x.csv.gz')))).toEqual(expected);
    expect(await readAll(openCsvFile(join(dir, 'x.csv')))).toEqual(expected);
  });
});
