import { ok, type Result } from '../../core/result.js';
import { listNodeCandidates, parseAlertmanagerMessage, type ValidationIssue } from './parse-alertmanager.js';
import { insertInboundAlerts, listKnownNodes } from './queries.js';
import type { ReceiveDeps } from './types.js';

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
