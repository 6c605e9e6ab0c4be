import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { describeError } from './errors.js';
import type { Logger } from './log.js';
import { redactUrl } from './log.js';
import { migrationsFolder } from './paths.js';

export type Db = PgDatabase<PgQueryResultHKT>;

export interface DbHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Where it lives, with any password masked. */
  location: string;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  url?: string | undefined;
  dataDir?: string | undefined;
  /** PGlite in memory (tests). */
  inMemory?: boolean;
  poolSize?: number;
  log?: Logger;
}

export class DatabaseUnavailableError extends Error {
  constructor(location: string, cause: unknown) {
    super(`database ${location} is unreachable: ${describeError(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** node-postgres when a URL is given, else embedded PGlite in `<dataDir>/pglite`. Fails fast if unreachable. */
export async function openDb(options: OpenDbOptions): Promise<DbHandle> {
  return options.url ? openPostgres(options.url, options) : openPglite(options);
}

async function openPostgres(url: string, options: OpenDbOptions): Promise<DbHandle> {
  const location = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // a server that vanishes mid-query must fail the query, never leave it waiting forever
    query_timeout: 60_000,
    // every query here is a short aggregate: JIT compilation (0.1-1.8 s measured on the analyzer's and the cost
    // report's queries) costs more than it ever saves
    options: '-c jit=off',
  });
  // A client losing its server emits 'error'; without a listener node would crash the process.
  // The pool only listens on idle clients, so every client gets one for its checked-out time too.
  const onLost = (error: Error) =>
    options.log?.warn({ err: describeError(error) }, 'database connection lost');
  pool.on('error', onLost);
  pool.on('connect', (client) => client.on('error', onLost));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(location, error);
  }
  const db = drizzlePg(pool, { casing: 'snake_case' }) as unknown as Db;
  db.transaction = createPoolTransaction(pool) as Db['transaction'];
  return {
    db,
    kind: 'postgres',
    location,
    migrate: () => migrateOnce(pool),
    close: () => pool.end(),
  };
}

/** Any stable 64-bit key: it only has to differ from the leader locks (core/leader-election.ts). */
const MIGRATION_LOCK = '7466537130465431961';

/**
 * Replicas starting together would each apply the same migrations and collide; a session advisory lock held
 * on a client of its own lets one migrate while the others wait, then find nothing left to do.
 */
async function migrateOnce(pool: pg.Pool): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(pool), { migrationsFolder: migrationsFolder() });
  } finally {
    await lock.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]).catch(() => undefined);
    lock.release();
  }
}

/**
 * drizzle's node-postgres transaction sends BEGIN outside its try/finally, so a server lost at that
 * moment leaks the pooled client and, over a few outages, starves the pool. This one always gives
 * the client back, and destroys it when the connection broke. Callers get a drizzle instance bound
 * to the transaction's client (all our transactional code needs: insert, select, execute).
 */
function createPoolTransaction(pool: pg.Pool) {
  return async <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('begin');
      const result = await fn(drizzlePg(client, { casing: 'snake_case' }) as unknown as Db);
      await client.query('commit');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release(failure);
    }
  };
}

async function openPglite(options: OpenDbOptions): Promise<DbHandle> {
  let dir: string | undefined;
  if (!options.inMemory) {
    dir = join(options.dataDir ?? './data', 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  const client = dir ? new PGlite(dir) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite(client, { casing: 'snake_case' }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    location: dir ? `pglite:${dir}` : 'pglite:memory',
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder: migrationsFolder() }),
    close: () => client.close(),
  };
}

interface Journal {
  entries: { tag: string; when: number }[];
}

/** True when every migration in the journal shipped with this build is recorded as applied. */
let shippedJournal: Journal | undefined;

export async function hasAllMigrations(db: Db): Promise<boolean> {
  // read once: /readyz is probed every few seconds and the shipped migrations never change at run time
  shippedJournal ??= JSON.parse(
    readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  const latest = shippedJournal.entries.at(-1);
  if (!latest) return true;
  try {
    const rows = await queryRows<{ created_at: string }>(
      db,
      sql`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`,
    );
    return Number(rows[0]?.created_at ?? 0) >= latest.when;
  } catch {
    return false;
  }
}

/** `db.execute` returns rows in a driver-specific envelope; both drivers put them under `rows`. */
export async function queryRows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export async function pingDb(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/** Ready = the database answers and every shipped migration is applied. */
export async function checkReadiness(db: Db): Promise<{ ready: boolean; reason?: string }> {
  try {
    await pingDb(db);
  } catch (error) {
    return { ready: false, reason: `database unreachable: ${describeError(error)}` };
  }
  return (await hasAllMigrations(db)) ? { ready: true } : { ready: false, reason: 'migrations not applied' };
}
