import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import type { Result } from '../../../core/result.js';
import type { ActionFailure, DrainSummary, NodeOperations } from '../types.js';
import type { AwsActionMetrics, InterruptionOutcome } from './aws-action-metrics.js';

/** EC2 gives a spot instance two minutes between the interruption warning and the interruption. */
export const spotNoticeMs = 120_000;
/** Left unused at the end of the notice so evictions end before the instance does. */
const safetyMarginMs = 10_000;
/** A drain shorter than this cannot evict anything; it still runs when the notice is nearly spent. */
const minimumDrainMs = 5_000;

export interface SpotInterruptionDeps {
  nodes: NodeOperations;
  log: Logger;
  clock: Clock;
  metrics?: AwsActionMetrics | undefined;
}

export interface SpotInterruptionEvent {
  instanceId: string;
  /** When EC2 will interrupt the instance; absent → two minutes from now (the EventBridge event carries no time of action). */
  actionTime?: Date | undefined;
}

export interface SpotInterruptionReport {
  instanceId: string;
  node: string | undefined;
  outcome: InterruptionOutcome;
  cordoned: boolean;
  drainTimeoutMs: number;
  deadline: string;
  drain?: DrainSummary | undefined;
  errors: string[];
}

/** A thrown error from a node operation counts as its failure: the other step still runs. */
async function settle<T>(run: () => Promise<Result<T, ActionFailure>>): Promise<Result<T, ActionFailure>> {
  try {
    return await run();
  } catch (error) {
    return { ok: false, error: { message: String(error), retryable: true } };
  }
}

/** Pure: how long the drain may take so that it ends before the interruption. */
export function computeDrainTimeoutMs(
  nowMs: number,
  actionTime: Date | undefined,
): { timeoutMs: number; deadlineMs: number } {
  const deadlineMs = actionTime ? actionTime.getTime() : nowMs + spotNoticeMs;
  const left = Math.min(deadlineMs - nowMs, spotNoticeMs) - safetyMarginMs;
  return { timeoutMs: Math.max(minimumDrainMs, left), deadlineMs };
}

/**
 * On a spot interruption warning: find the instance's node, cordon it and drain it at once, the drain bounded by
 * what is left of the two-minute notice. A failed cordon does not stop the drain (which cordons too); the report
 * says what happened to each.
 */
export async function handleSpotInterruption(
  deps: SpotInterruptionDeps,
  event: SpotInterruptionEvent,
): Promise<SpotInterruptionReport> {
  const { timeoutMs, deadlineMs } = computeDrainTimeoutMs(deps.clock.now(), event.actionTime);
  const base = {
    instanceId: event.instanceId,
    drainTimeoutMs: timeoutMs,
    deadline: new Date(deadlineMs).toISOString(),
  };
  const finish = (report: SpotInterruptionReport): SpotInterruptionReport => {
    deps.metrics?.recordInterruption(report.outcome);
    const level = report.outcome === 'drained' ? 'info' : 'warn';
    deps.log[level](
      { ...report, drain: undefined, evicted: report.drain?.evicted.length },
      'spot interruption handled',
    );
    return report;
  };
  let node: string | undefined;
  try {
    node = await deps.nodes.findNodeByInstanceId(event.instanceId);
  } catch (error) {
    return finish({ ...base, node: undefined, outcome: 'failed', cordoned: false, errors: [String(error)] });
  }
  if (!node) return finish({ ...base, node: undefined, outcome: 'no_node', cordoned: false, errors: [] });
  const errors: string[] = [];
  const cordon = await settle(() => deps.nodes.cordon(node));
  if (!cordon.ok) errors.push(`cordon: ${cordon.error.message}`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const drain = await settle(() => deps.nodes.drain(node, { timeoutMs, signal: controller.signal }));
    if (!drain.ok) {
      errors.push(`drain: ${drain.error.message}`);
      return finish({ ...base, node, outcome: 'drain_incomplete', cordoned: cordon.ok, errors });
    }
    return finish({ ...base, node, outcome: 'drained', cordoned: cordon.ok, drain: drain.value, errors });
  } finally {
    clearTimeout(timer);
  }
}
