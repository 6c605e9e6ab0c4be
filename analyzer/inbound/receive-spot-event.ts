import { describeError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { SpotOutcome } from './metrics.js';
import type { ValidationIssue } from './parse-alertmanager.js';
import { parseSpotEvent, type SpotEvent } from './parse-aws-event.js';
import { findInstanceNode, insertSpotEvent, setSpotEventOutcome } from './queries.js';
import type { ReceiveDeps, SpotInterruptionHook } from './types.js';

export interface SpotEventReceipt {
  id: string;
  kind: 'interruption' | 'rebalance';
  instanceId: string;
  duplicate: boolean;
  /** `pending`: the hook still runs after `hookWaitSeconds`; its outcome is stored when it ends. */
  outcome: SpotOutcome | 'pending' | 'duplicate';
}

export interface SpotReceiveOptions {
  maxEventAgeSeconds: number;
  /** How long the answer waits for the hook: EventBridge API destinations time out (and retry) after 5 s. */
  hookWaitSeconds: number;
  onSpotInterruption?: SpotInterruptionHook | undefined;
}

/**
 * Stores an EC2 spot interruption or rebalance event once by its id and calls the hook for a new, fresh one. The
 * event is stored before the hook runs, so a hook failure (logged, counted, kept as the outcome) never loses it.
 */
export async function receiveSpotEvent(
  deps: ReceiveDeps,
  body: unknown,
  now: Date,
  options: SpotReceiveOptions,
): Promise<Result<SpotEventReceipt, ValidationIssue[]>> {
  const parsed = parseSpotEvent(body);
  if (!parsed.ok) {
    deps.metrics.events.inc({ source: 'aws_events', result: 'invalid' });
    return err(parsed.error);
  }
  const event = parsed.value;
  const base = { id: event.id, kind: event.kind, instanceId: event.instanceId };
  const node = await findInstanceNode(deps.db, event.instanceId);
  if (!(await insertSpotEvent(deps.db, event, node, now))) {
    deps.metrics.events.inc({ source: 'aws_events', result: 'duplicate' });
    return ok({ ...base, duplicate: true, outcome: 'duplicate' });
  }
  deps.metrics.events.inc({ source: 'aws_events', result: 'accepted' });
  const context = { eventId: event.id, kind: event.kind, instanceId: event.instanceId, node };
  const ageSeconds = (now.getTime() - event.eventTime.getTime()) / 1000;
  if (ageSeconds > options.maxEventAgeSeconds) {
    deps.log.warn({ ...context, ageSeconds }, 'spot event too old to act on; recorded only');
    return ok({ ...base, duplicate: false, outcome: await recordOutcome(deps, event, 'stale') });
  }
  const hook = options.onSpotInterruption;
  if (!hook) {
    deps.log.info(context, 'spot event recorded; no handler configured');
    return ok({ ...base, duplicate: false, outcome: await recordOutcome(deps, event, 'no_hook') });
  }
  const settled = runHook(deps, hook, event, context);
  return ok({ ...base, duplicate: false, outcome: await waitAtMost(settled, options.hookWaitSeconds) });
}

async function recordOutcome(
  deps: ReceiveDeps,
  event: SpotEvent,
  outcome: SpotOutcome,
): Promise<SpotOutcome> {
  await setSpotEventOutcome(deps.db, event.id, outcome);
  deps.metrics.spot.inc({ kind: event.kind, outcome });
  return outcome;
}

/** Runs the hook and stores its outcome; never rejects, since it may finish after the answer went out. */
async function runHook(
  deps: ReceiveDeps,
  hook: SpotInterruptionHook,
  event: SpotEvent,
  context: Record<string, unknown>,
): Promise<SpotOutcome> {
  let outcome: SpotOutcome;
  try {
    await hook({
      instanceId: event.instanceId,
      kind: event.kind,
      region: event.region,
      ...(event.actionTime ? { actionTime: event.actionTime } : {}),
    });
    deps.log.info(context, 'spot event handled');
    outcome = 'handled';
  } catch (error) {
    deps.log.error({ ...context, err: describeError(error) }, 'spot event handler failed; event kept');
    outcome = 'hook_failed';
  }
  try {
    return await recordOutcome(deps, event, outcome);
  } catch (error) {
    deps.log.error(
      { ...context, outcome, err: describeError(error) },
      'could not store the spot event outcome',
    );
    return outcome;
  }
}

async function waitAtMost(settled: Promise<SpotOutcome>, seconds: number): Promise<SpotOutcome | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), seconds * 1000);
  });
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
