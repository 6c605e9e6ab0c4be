import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeaderElection, type LeaderElection } from '../../core/leader-election.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

describe.skipIf(!postgresAvailable())('leader election on a PostgreSQL advisory lock', () => {
  let server: TestPostgres;
  let url: string;
  const open: LeaderElection[] = [];
  const elect = (name = 'analyzer', cluster = 'c1') => {
    const e = createLeaderElection({
      url,
      name,
      cluster,
      log: createSilentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
    });
    open.push(e);
    return e;
  };

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase('leader');
  }, 120_000);
  afterAll(async () => {
    for (const e of open) await e.close();
    server?.destroy();
  });

  it('lets one of two processes lead; the other waits and takes over when the leader goes', async () => {
    const a = elect();
    const b = elect();
    expect(await a.ensureLeader()).toBe(true);
    expect(await b.ensureLeader()).toBe(false);
    expect(await a.ensureLeader()).toBe(true);
    expect(await b.ensureLeader()).toBe(false);
    await a.close();
    expect(await b.ensureLeader()).toBe(true);
  });

  it('hands over when the leader loses its connection, and the old leader knows it no longer leads', async () => {
    const a = elect('analyzer', 'c2');
    const b = elect('analyzer', 'c2');
    expect(await a.ensureLeader()).toBe(true);
    expect(await b.ensureLeader()).toBe(false);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gpuscope-analyzer-leader' and pid in (select pid from pg_locks where locktype = 'advisory' and granted)",
    );
    await admin.end();
    expect(await b.ensureLeader()).toBe(true);
    expect(await a.ensureLeader()).toBe(false);
    expect(a.isLeader).toBe(false);
  });

  it('opens one session however many ticks check at once, so closing releases the lock', async () => {
    const a = elect('analyzer', 'c5');
    const results = await Promise.all(Array.from({ length: 6 }, () => a.ensureLeader()));
    expect(results.every((r) => r)).toBe(true);
    await a.close();
    expect(await a.ensureLeader()).toBe(false);
    expect(await elect('analyzer', 'c5').ensureLeader()).toBe(true);
  });

  it('keeps separate leaders for separate clusters and kinds of work', async () => {
    expect(await elect('analyzer', 'c3').ensureLeader()).toBe(true);
    expect(await elect('analyzer', 'c4').ensureLeader()).toBe(true);
    expect(await elect('actions', 'c3').ensureLeader()).toBe(true);
  });

  it('always leads on the embedded database, which serves one process', async () => {
    const e = createLeaderElection({ name: 'analyzer', cluster: 'x', log: createSilentLogger() });
    expect(await e.ensureLeader()).toBe(true);
  });
});
