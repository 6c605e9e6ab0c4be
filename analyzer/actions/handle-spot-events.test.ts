import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';
import { createInboundMetrics } from '../inbound/metrics.js';
import { getSpotEventOutcome } from '../inbound/queries.js';
import { receiveSpotEvent } from '../inbound/receive-spot-event.js';
import { createFakeNodeOperations } from './aws/fake-node-operations.js';
import { createSpotEventHook, runSpotEventTick } from './handle-spot-events.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/inbound');
/** The recorded EventBridge event, moved to `at` with another id (its own time is the epoch). */
function event(file: string, id: string, at: Date, instanceId: string) {
  const e = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as Record<string, unknown>;
  return { ...e, id, time: at.toISOString(), detail: { ...(e.detail as object), 'instance-id': instanceId } };
}

let handle: DbHandle;
const now = new Date('2026-12-03T10:00:00Z');
const log = createSilentLogger();

beforeAll(async () => {
  handle = await openDb({ inMemory: true });
  await handle.migrate();
}, 60_000);
afterAll(() => handle.close());

describe('spot events stored by an API-only replica', () => {
  it('are acted on once by the leader: an interruption drains, a rebalance only cordons, an unknown instance fails', async () => {
    const deps = {
      db: handle.db,
      log,
      metrics: createInboundMetrics(createRegistry({ defaultMetrics: false })),
      cluster: 'c1',
    };
    const options = { maxEventAgeSeconds: 600, hookWaitSeconds: 1 };
    const stored = [
      event('eventbridge-spot-interruption-warning.json', 'e1', now, 'i-0aaaaaaaaaaaaaaa1'),
      event('eventbridge-rebalance-recommendation.json', 'e2', now, 'i-0aaaaaaaaaaaaaaa2'),
      event('eventbridge-spot-interruption-warning.json', 'e3', now, 'i-0ffffffffffffffff'),
    ];
    for (const body of stored) {
      const r = await receiveSpotEvent(deps, body, now, options);
      expect(r.ok && r.value.outcome).toBe('no_hook');
    }
    const nodes = createFakeNodeOperations({
      'i-0aaaaaaaaaaaaaaa1': 'gpu-node-1',
      'i-0aaaaaaaaaaaaaaa2': 'gpu-node-2',
    });
    const hook = createSpotEventHook({ nodes, log, clock: createManualClock(now.getTime()) });
    expect(await runSpotEventTick({ db: handle.db, hook, log }, now)).toEqual({ handled: 2, failed: 1 });
    expect(nodes.calls).toEqual(expect.arrayContaining(['cordon gpu-node-1', 'cordon gpu-node-2']));
    expect(nodes.calls.some((c) => c.startsWith('drain gpu-node-1'))).toBe(true);
    expect(nodes.calls.some((c) => c.startsWith('drain gpu-node-2'))).toBe(false);
    expect(await getSpotEventOutcome(handle.db, 'e1')).toBe('handled');
    expect(await getSpotEventOutcome(handle.db, 'e2')).toBe('handled');
    expect(await getSpotEventOutcome(handle.db, 'e3')).toBe('hook_failed');
    // taken once: a second pass finds nothing
    expect(await runSpotEventTick({ db: handle.db, hook, log }, now)).toEqual({ handled: 0, failed: 0 });
  });

  it('leaves warnings older than the two-minute notice alone', async () => {
    const deps = {
      db: handle.db,
      log,
      metrics: createInboundMetrics(createRegistry({ defaultMetrics: false })),
      cluster: 'c1',
    };
    await receiveSpotEvent(
      deps,
      event('eventbridge-spot-interruption-warning.json', 'e4', now, 'i-0aaaaaaaaaaaaaaa1'),
      now,
      {
        maxEventAgeSeconds: 600,
        hookWaitSeconds: 1,
      },
    );
    const nodes = createFakeNodeOperations({ 'i-0aaaaaaaaaaaaaaa1': 'gpu-node-1' });
    const later = new Date(now.getTime() + 5 * 60_000);
    const hook = createSpotEventHook({ nodes, log, clock: createManualClock(later.getTime()) });
    expect(await runSpotEventTick({ db: handle.db, hook, log }, later)).toEqual({ handled: 0, failed: 0 });
    expect(nodes.calls).toEqual([]);
  });
});
