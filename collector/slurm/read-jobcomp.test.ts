import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobcompCursor, readJobcompIncrement } from './read-jobcomp.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jobcomp-'));
  path = join(dir, 'jobcomp.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function read(cursor: JobcompCursor | null) {
  const result = await readJobcompIncrement(path, cursor);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('readJobcompIncrement', () => {
  it('returns only lines appended since the cursor, with their line numbers', async () => {
    writeFileSync(path, 'JobId=1\nJobId=2\n');
    const first = await read(null);
    expect(first.lines).toEqual([
      { text: 'JobId=1', line: 1 },
      { text: 'JobId=2', line: 2 },
    ]);
    appendFileSync(path, 'JobId=3\n');
    const second = await read(first.cursor);
    expect(second.lines).toEqual([{ text: 'JobId=3', line: 3 }]);
    expect(second.restarted).toBeNull();
  });

  it('never returns a partial last line and returns it whole once its newline is written', async () => {
    writeFileSync(path, 'JobId=1\nJobId=2 Name=ha');
    const first = await read(null);
    expect(first.lines.map((l) => l.text)).toEqual(['JobId=1']);
    expect(first.pendingBytes).toBe('JobId=2 Name=ha'.length);
    appendFileSync(path, 'lf\n');
    const second = await read(first.cursor);
    expect(second.lines).toEqual([{ text: 'JobId=2 Name=half', line: 2 }]);
  });

  it('starts the new file from byte 0 after rotation (a new inode)', async () => {
    writeFileSync(path, 'JobId=1\nJobId=2\n');
    const first = await read(null);
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'JobId=3\n');
    const second = await read(first.cursor);
    expect(second.restarted).toBe('rotated');
    expect(second.lines).toEqual([{ text: 'JobId=3', line: 1 }]);
  });

  it('starts again from byte 0 when the same file shrank (copytruncate)', async () => {
    writeFileSync(path, 'JobId=1\nJobId=2\n');
    const first = await read(null);
    truncateSync(path, 0);
    appendFileSync(path, 'JobId=9\n');
    const second = await read(first.cursor);
    expect(second.restarted).toBe('truncated');
    expect(second.lines.map((l) => l.text)).toEqual(['JobId=9']);
  });

  describe('errors', () => {
    it('returns an error naming the file when it does not exist', async () => {
      const result = await readJobcompIncrement(join(dir, 'missing.log'), null);
      expect(result).toEqual({ ok: false, error: `jobcomp file ${join(dir, 'missing.log')}: ENOENT` });
    });
  });
});
