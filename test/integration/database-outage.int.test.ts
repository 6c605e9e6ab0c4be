import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DcgmCollectorSettings,
  DcgmCollectorState,
  runDcgmScrapeTick,
} from '../../collector/dcgm/run-dcgm-scrape-tick.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb, queryRows } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { createFleet, type SimServer, startSimServer } from '../../sim/index.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const t0 = Date.UTC(2026, 10, 22, 12, 0, 0);

async function snapshot(handle: DbHandle) {
  return queryRows(
    handle.db,
    sql`select n.name, g.uuid, g.gpu_instance_id, extract(epoch from r.bucket)::int as bucket, r.sample_count, r.activity_mean, r.power_mean_watts,
          r.energy_joules, r.memory_used_max_bytes, r.xid_codes
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
        order by n.name, g.uuid, g.gpu_instance_id nulls first, r.bucket`,
  );
}

describe.skipIf(!postgresAvailable())('a PostgreSQL outage during collection', () => {
  let server: TestPostgres;
  let sim: SimServer;
  let healthyTargets: SimServer['targets'];
  const simClock = createManualClock(t0);

  beforeAll(async () => {
    server = await startTestPostgres();
    const fleet = createFleet({ seed: 7, nodeCount: 3, startMs: t0 });
    sim = await startSimServer({ fleet, clock: () => simClock.now() });
    healthyTargets = sim.targets.filter((t) => !fleet.getNode(t.node)?.exporterHangs);
  });
  afterAll(async () => {
    await sim?.close();
    server?.destroy();
  });

  it('loses no rollup and doubles none: the result equals a run without the outage', async () => {
    const live = await openDb({ url: await server.createDatabase('outage_live'), log: createSilentLogger() });
    // the control run lives in embedded PGlite: it must not share the outage
    const control = await openDb({ inMemory: true });
    await live.migrate();
    await control.migrate();
    const clock = createManualClock(t0);
    const settings: DcgmCollectorSettings = {
      cluster: 'test',
      targets: healthyTargets,
      // generous: a slow first render on a loaded CI machine must not read as a missing sample
      timeoutSeconds: 10,
      maxBodyBytes: 16 * 1024 * 1024,
      concurrency: 8,
    };
    const base = { clock, log: createSilentLogger(), tracer: getTracer() };
    const liveDeps = {
      ...base,
      db: live.db,
      metrics: createCollectorMetrics(createRegistry({ defaultMetrics: false })),
    };
    const controlDeps = {
      ...base,
      db: control.db,
      metrics: createCollectorMetrics(createRegistry({ defaultMetrics: false })),
    };
    const liveState = new DcgmCollectorState();
    const controlState = new DcgmCollectorState();

    const errors: (string | undefined)[] = [];
    for (let i = 0; i < 24; i++) {
      const now = t0 + i * 15_000 + 1_000;
      clock.set(now);
      simClock.set(now);
      if (i === 6) server.stop();
      if (i === 14) server.start();
      errors.push((await runDcgmScrapeTick(liveDeps, liveState, settings)).writeError);
      await runDcgmScrapeTick(controlDeps, controlState, settings);
    }
    // ticks 6..13 found the database gone; the next one wrote everything buffered
    expect(errors.slice(0, 6).every((e) => e === undefined)).toBe(true);
    expect(errors.slice(6, 14).every((e) => e !== undefined)).toBe(true);
    expect(errors.slice(14).every((e) => e === undefined)).toBe(true);

    const expected = await snapshot(control);
    expect(expected.length).toBeGreaterThan(20);
    expect(await snapshot(live)).toEqual(expected);
    await live.close();
    await control.close();
  });
});
