import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { deleteExpiredApiAudit } from './queries.js';

let handle: DbHandle;
/** drizzle wraps the database's error; the trigger's message is on its cause. */
const refused = { cause: expect.objectContaining({ message: expect.stringMatching(/append-only/) }) };
const at = (day: number) => new Date(Date.UTC(2026, 10, day));

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
  for (const day of [1, 2, 20, 21]) {
    await handle.db.execute(sql`insert into api_audit (at, principal, role, method, path, status, request_id)
      values (${at(day)}, 'grafana', 'viewer', 'GET', '/api/v1/gpus', 200, ${`r${day}`})`);
  }
}, 60_000);
afterAll(() => handle.close());

describe('deleteExpiredApiAudit', () => {
  it('deletes only rows past retention, and only through the retention path', async () => {
    await expect(handle.db.execute(sql`delete from api_audit where at < ${at(10)}`)).rejects.toMatchObject(
      refused,
    );
    await expect(handle.db.execute(sql`update api_audit set status = 500`)).rejects.toMatchObject(refused);
    expect(await deleteExpiredApiAudit(handle.db, at(10))).toBe(2);
    const left = await queryRows<{ request_id: string }>(
      handle.db,
      sql`select request_id from api_audit order by at`,
    );
    expect(left.map((r) => r.request_id)).toEqual(['r20', 'r21']);
    // the switch was local to that transaction
    await expect(handle.db.execute(sql`delete from api_audit`)).rejects.toMatchObject(refused);
  });
});
