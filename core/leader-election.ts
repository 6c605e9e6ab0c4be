import pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { describeError } from './errors.js';
import type { Logger } from './log.js';

/**
 * One leader among processes sharing a PostgreSQL database: whoever holds a session-level advisory lock. The lock
 * lives on a connection of its own, so it goes when the process or its connection dies, and another takes over
 * at its next check. The embedded database serves one process, which is then always the leader.
 */
export interface LeaderElection {
  /** True when this process leads now; a follower tries to take the lock, a leader checks it still holds it. */
  ensureLeader(): Promise<boolean>;
  readonly isLeader: boolean;
  close(): Promise<void>;
}

export interface LeaderElectionOptions {
  /** PostgreSQL URL; none for the embedded database. */
  url?: string | undefined;
  /** What is led (`analyzer`): the lock key derives from it and the cluster. */
  name: string;
  cluster: string;
  log: Logger;
  registry?: Registry | undefined;
}

export function createLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const gauge = options.registry
    ? new Gauge({
        name: 'gpuscope_leader',
        help: '1 while this process holds the leader lock for the named work, else 0.',
        labelNames: ['name'],
        registers: [options.registry],
      })
    : undefined;
  if (!options.url) {
    gauge?.set({ name: options.name }, 1);
    return { ensureLeader: async () => true, isLeader: true, close: async () => undefined };
  }
  return new PostgresLeaderElection(options.url, options, gauge);
}

/** A stable signed 64-bit lock key (two FNV-1a halves) from the name, so all replicas agree on it. */
export function leaderLockKey(text: string): bigint {
  const fnv = (seed: number) => {
    let h = seed;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return BigInt(h >>> 0);
  };
  return BigInt.asIntN(64, (fnv(0x811c9dc5) << 32n) | fnv(0x050c5d1f));
}

class PostgresLeaderElection implements LeaderElection {
  private client: pg.Client | undefined;
  private leading = false;
  /** After close, a tick still in flight must not take the lock again on a fresh connection. */
  private closed = false;
  private pending: Promise<unknown> = Promise.resolve();
  private readonly key: string;

  constructor(
    private readonly url: string,
    private readonly options: LeaderElectionOptions,
    private readonly gauge: Gauge<'name'> | undefined,
  ) {
    this.key = leaderLockKey(`gpuscope:${options.name}:${options.cluster}`).toString();
    gauge?.set({ name: options.name }, 0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Ticks of several jobs check at once: one check at a time, or each would open a session of its own. */
  ensureLeader(): Promise<boolean> {
    const next = this.pending.then(() => this.check());
    this.pending = next.catch(() => undefined);
    return next;
  }

  private async check(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const client = await this.connect();
      if (this.leading) {
        // the lock is the session's: while the session answers, the lock is still ours
        await client.query('select 1');
      } else {
        const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [
          this.key,
        ]);
        if (r.rows[0]?.ok === true) this.setLeading(true);
      }
    } catch (error) {
      this.options.log.warn(
        { name: this.options.name, err: describeError(error) },
        'leader lock check failed',
      );
      await this.drop();
    }
    return this.leading;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pending;
    const client = this.client;
    this.client = undefined;
    this.setLeading(false);
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
      keepAlive: true,
      application_name: `gpuscope-${this.options.name}-leader`,
    });
    client.on('error', (error) => {
      this.options.log.warn({ name: this.options.name, err: describeError(error) }, 'leader connection lost');
      void this.drop();
    });
    await client.connect();
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('leader election closed');
    }
    this.client = client;
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.setLeading(false);
    if (client) await client.end().catch(() => undefined);
  }

  private setLeading(leading: boolean) {
    if (leading !== this.leading) {
      this.options.log.info({ name: this.options.name, leading }, leading ? 'became leader' : 'not leader');
    }
    this.leading = leading;
    this.gauge?.set({ name: this.options.name }, leading ? 1 : 0);
  }
}
