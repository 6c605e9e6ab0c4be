import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { createManualClock } from '../../../core/clock.js';
import { type ActionsConfig, Config } from '../../../core/config.js';
import { type Db, type DbHandle, openDb, queryRows } from '../../../core/db.js';
import { createLogger } from '../../../core/log.js';
import { createRegistry } from '../../../core/telemetry.js';
import { createActionMetrics } from '../action-metrics.js';
import type { ActionEngineDeps, ExecutorLookup } from '../engine-types.js';

export const T0 = new Date('2026-12-01T12:00:00Z');
export const POOL = 'NVIDIA H100 80GB HBM3 x8';

/** A migrated in-memory database with two 8-GPU nodes of one pool, first seen a day before T0. */
export async function openSeededDb(url?: string): Promise<DbHandle> {
  const handle = await openDb(url ? { url, poolSize: 4 } : { inMemory: true });
  await handle.migrate();
  const day = new Date(T0.getTime() - 86_400_000);
  await handle.db.execute(sql`insert into nodes (id, cluster, name, first_seen_at) values
    (1, 'c1', 'node-a', ${day}), (2, 'c1', 'node-b', ${day})`);
  await handle.db.execute(sql`insert into gpus (node_id, uuid, gpu_index, model)
    select n, 'GPU-' || n || '-' || i, i, 'NVIDIA H100 80GB HBM3' from generate_series(1, 2) n, generate_series(0, 7) i`);
  return handle;
}

/** Empties what the engine and the tests wrote (TRUNCATE is not a row change: the audit triggers allow it). */
export async function resetActionTables(db: Db): Promise<void> {
  await db.execute(sql`truncate actions, action_audit, action_controls, api_audit, recommendations, findings,
    webhook_events, webhook_deliveries, cost_node_hours, cost_allocations restart identity cascade`);
}

/** An open recommendation (with its finding); returns the recommendation id. */
export async function insertRecommendation(
  db: Db,
  r: {
    action: string;
    subjectType: string;
    subjectId: string;
    details: Record<string, unknown>;
    version?: number;
    expiresAt?: Date;
  },
): Promise<number> {
  const [finding] = await queryRows<{ id: number }>(
    db,
    sql`insert into findings (cluster, kind, subject_type, subject_id, fingerprint, status, severity, title, evidence,
        first_seen_at, last_seen_at)
      values ('c1', ${`k-${r.action}`}, ${r.subjectType}, ${r.subjectId}, ${`fp-${r.action}-${r.subjectId}`}, 'open',
        'info', 't', '{}'::jsonb, ${T0}, ${T0})
      returning id`,
  );
  const [rec] = await queryRows<{ id: number }>(
    db,
    sql`insert into recommendations (finding_id, cluster, action, subject_type, subject_id, risk, status, details,
        version, created_at, updated_at, expires_at)
      values (${finding?.id}, 'c1', ${r.action}, ${r.subjectType}, ${r.subjectId}, 'low', 'open',
        ${JSON.stringify(r.details)}::jsonb, ${r.version ?? 1}, ${T0}, ${T0},
        ${r.expiresAt ?? new Date(T0.getTime() + 7 * 86_400_000)})
      returning id`,
  );
  return rec?.id as number;
}

export function insertPoolScaleDown(db: Db, nodes: string[] = ['node-a']): Promise<number> {
  return insertRecommendation(db, {
    action: 'scale_down',
    subjectType: 'pool',
    subjectId: POOL,
    details: { pool: POOL, by: nodes.length, nodes },
  });
}

export function actionsConfig(input: Record<string, unknown> = {}): ActionsConfig {
  return Config.parse({ actions: input }).actions;
}

export function createTestDeps(
  db: Db,
  executors: ExecutorLookup,
  config: ActionsConfig,
  options: { now?: Date; workerId?: string } = {},
) {
  const registry = createRegistry({ defaultMetrics: false });
  const clock = createManualClock((options.now ?? T0).getTime());
  // errors logged by the engine (one action's fault is logged, not thrown) fail the tests that check `errors`
  const errors: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { level: number };
      if (line.level >= 50) errors.push(String(chunk));
      done();
    },
  });
  const deps: ActionEngineDeps = {
    db,
    cluster: 'c1',
    config,
    executors,
    metrics: createActionMetrics(registry),
    log: createLogger({ level: 'warn', destination }),
    clock,
    workerId: options.workerId ?? 'worker-1',
  };
  return { deps, registry, clock, errors };
}

export async function readEvents(db: Db, subject: string) {
  return queryRows<{ type: string; version: number }>(
    db,
    sql`select type, version from webhook_events where subject = ${subject} order by version`,
  );
}
