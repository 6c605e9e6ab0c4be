import { copyFileSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { BillingImportState, runBillingImportTick } from './run-billing-import-tick.js';

const fixture = join(
  import.meta.dirname,
  '../../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);

let handle: DbHandle;
beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
});
afterAll(async () => {
  await handle.close();
});

describe('runBillingImportTick', () => {
  it('imports new files once, re-imports a changed one, and refuses a broken one without retrying it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpuscope-billing-dir-'));
    copyFileSync(fixture, join(dir, 'a.csv'));
    writeFileSync(join(dir, 'broken.csv'), 'Nothing,Useful\n1,2\n');
    writeFileSync(join(dir, 'notes.txt'), 'not an export');
    const deps = { db: handle.db, clock: createManualClock(0), log: createSilentLogger() };
    const state = new BillingImportState();
    const config = { importDir: dir, format: 'focus' as const };

    const first = await runBillingImportTick(deps, state, config);
    expect(first).toMatchObject({ files: 2, unchanged: 0, imported: [{ file: 'a.csv', lines: 240 }] });
    expect(first.refused).toEqual([expect.objectContaining({ file: 'broken.csv' })]);

    const second = await runBillingImportTick(deps, state, config);
    expect(second).toMatchObject({ files: 2, unchanged: 2, imported: [], refused: [] });

    utimesSync(join(dir, 'a.csv'), new Date(), new Date(Date.now() + 5_000));
    const third = await runBillingImportTick(deps, state, config);
    expect(third.imported.map((i) => i.file)).toEqual(['a.csv']);
    const [count] = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from billing_lines`,
    );
    expect(count?.n).toBe(240);
  });

  it('reports an import folder that does not exist instead of throwing', async () => {
    const deps = { db: handle.db, clock: createManualClock(0), log: createSilentLogger() };
    const summary = await runBillingImportTick(deps, new BillingImportState(), {
      importDir: join(tmpdir(), 'gpuscope-no-such-dir'),
      format: 'focus',
    });
    expect(summary.dirError).toMatch(/ENOENT/);
  });
});
