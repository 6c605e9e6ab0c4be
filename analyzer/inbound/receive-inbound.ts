import type { Db } from '../../core/db.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { err, ok, type Result } from '../../core/result.js';
import type { InboundMetrics, SpotOutcome } from './metrics.js';
import { listNodeCandidates, parseAlertmanagerMessage, type ValidationIssue } from './parse-alertmanager.js';
import { parseSpotEvent, type SpotEvent } from './parse-aws-event.js';
import {
  findInstanceNode,
  insertInboundAlerts,
  insertSpotEvent,
  listKnownNodes,
  setSpotEventOutcome,
} from './queries.js';

export interface SpotInterruptionEvent {
  instanceId: string;
  kind: 'interruption' | 'rebalance';
  actionTime?: Date;
  region: string;
}

export type SpotInterruptionHook = (event: SpotInterruptionEvent) => Promise<void>;

export interface ReceiveDeps {
  db: Db;
  log: Logger;
  metrics: InboundMetrics;
  cluster: string;
}

export interface AlertmanagerReceipt {
  received: number;
  accepted: number;
  duplicates: number;
  truncatedAlerts: number;
}

/** Stores each alert of an Alertmanager notification once; a replayed notification stores nothing new. */
export async function receiveAlertmanagerNotification(
  deps: ReceiveDeps,
  body: unknown,
  now: Date,
): Promise<Result<AlertmanagerReceipt, ValidationIssue[]>> {
  const parsed = parseAlertmanagerMessage(body);
  if (!parsed.ok) {
    deps.metrics.events.inc({ source: 'alertmanager', result: 'invalid' });
    return parsed;
  }
  const { alerts, truncatedAlerts } = parsed.value;
  const candidates = alerts.map((a) => listNodeCandidates(a.labels));
  const known = await listKnownNodes(deps.db, deps.cluster, candidates.flat());
  const rows = alerts.map((a, i) => ({ ...a, node: candidates[i]?.find((n) => known.has(n)) ?? null }));
  const accepted = await insertInboundAlerts(deps.db, rows, now);
  const duplicates = alerts.length - accepted;
  if (accepted > 0) deps.metrics.events.inc({ source: 'alertmanager', result: 'accepted' }, accepted);
  if (duplicates > 0) deps.metrics.events.inc({ source: 'alertmanager', result: 'duplicate' }, duplicates);
  if (truncatedAlerts > 0) {
    deps.log.warn(
      { truncatedAlerts },
      'alertmanager truncated its notification (max_alerts); some alerts not received',
    );
  }
  return ok({ received: alerts.length, accepted, duplicates, truncatedAlerts });
}

export interface SpotEventReceipt {
  id: string;
  kind: 'interruption' | 'rebalance';
  instanceId: string;
  duplicate: boolean;
  outcome: SpotOutcome | 'duplicate';
}

export interface SpotReceiveOptions {
  maxEventAgeSeconds: number;
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
  const outcome = await actOnSpotEvent(deps, event, node, now, options);
  await setSpotEventOutcome(deps.db, event.id, outcome);
  deps.metrics.spot.inc({ kind: event.kind, outcome });
  return ok({ ...base, duplicate: false, outcome });
}

async function actOnSpotEvent(
  deps: ReceiveDeps,
  event: SpotEvent,
  node: string | null,
  now: Date,
  options: SpotReceiveOptions,
): Promise<SpotOutcome> {
  const ageSeconds = (now.getTime() - event.eventTime.getTime()) / 1000;
  const context = { eventId: event.id, kind: event.kind, instanceId: event.instanceId, node };
  if (ageSeconds > options.maxEventAgeSeconds) {
    deps.log.warn({ ...context, ageSeconds }, 'spot event too old to act on; recorded only');
    return 'stale';
  }
  if (!options.onSpotInterruption) {
    deps.log.info(context, 'spot event recorded; no handler configured');
    return 'no_hook';
  }
  try {
    await options.onSpotInterruption({
      instanceId: event.instanceId,
      kind: event.kind,
      region: event.region,
      ...(event.actionTime ? { actionTime: event.actionTime } : {}),
    });
    deps.log.info(context, 'spot event handled');
    return 'handled';
  } catch (error) {
    deps.log.error({ ...context, err: describeError(error) }, 'spot event handler failed; event kept');
    return 'hook_failed';
  }
}
