import type { Clock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import { claimUnhandledSpotEvents, setSpotEventOutcome } from '../inbound/queries.js';
import type { SpotInterruptionHook } from '../inbound/types.js';
import type { AwsActionMetrics } from './aws/aws-action-metrics.js';
import { handleSpotInterruption } from './aws/handle-spot-interruption.js';
import type { NodeOperations } from './types.js';

/** EC2 acts two minutes after the interruption warning. */
const NOTICE_MS = 120_000;

/**
 * What gpuscope does on EC2's word: an interruption warning cordons and drains the node at once (the two-minute
 * notice leaves no time to ask); a rebalance recommendation only cordons it, so no new work lands there, as
 * aws-node-termination-handler does by default. A hook that throws leaves the event `hook_failed`.
 */
export function createSpotEventHook(deps: {
  nodes: NodeOperations;
  log: Logger;
  clock: Clock;
  metrics?: AwsActionMetrics | undefined;
}): SpotInterruptionHook {
  return async (event) => {
    if (event.kind === 'rebalance') {
      const node = await deps.nodes.findNodeByInstanceId(event.instanceId);
      if (!node) throw new Error(`no node for instance ${event.instanceId}`);
      const cordoned = await deps.nodes.cordon(node);
      if (!cordoned.ok) throw new Error(`cordon ${node}: ${cordoned.error.message}`);
      deps.log.info({ node, instanceId: event.instanceId }, 'rebalance recommendation: node cordoned');
      return;
    }
    const report = await handleSpotInterruption(deps, {
      instanceId: event.instanceId,
      ...(event.actionTime ? { actionTime: event.actionTime } : {}),
    });
    if (report.outcome === 'failed' || report.outcome === 'no_node') {
      throw new Error(`${report.outcome}: ${report.errors.join('; ') || 'no node has this instance'}`);
    }
  };
}

/**
 * Acts on the fresh spot events an API-only replica stored without acting (`no_hook`); the analyzer leader runs
 * this every few seconds. Returns what it did per outcome.
 */
export async function runSpotEventTick(
  deps: { db: Db; hook: SpotInterruptionHook; log: Logger },
  now: Date,
): Promise<{ handled: number; failed: number }> {
  const events = await claimUnhandledSpotEvents(deps.db, new Date(now.getTime() - NOTICE_MS));
  let handled = 0;
  let failed = 0;
  for (const e of events) {
    const actionTime = e.kind === 'interruption' ? new Date(e.eventTime.getTime() + NOTICE_MS) : undefined;
    try {
      await deps.hook({
        instanceId: e.instanceId,
        kind: e.kind,
        region: e.region,
        ...(actionTime ? { actionTime } : {}),
      });
      await setSpotEventOutcome(deps.db, e.id, 'handled');
      handled++;
    } catch (error) {
      deps.log.warn({ event: e.id, instanceId: e.instanceId, err: String(error) }, 'spot event not handled');
      await setSpotEventOutcome(deps.db, e.id, 'hook_failed');
      failed++;
    }
  }
  return { handled, failed };
}
