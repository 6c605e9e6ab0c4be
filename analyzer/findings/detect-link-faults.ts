import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';

export const LINK_KINDS = ['link_faulty', 'link_congested'] as const;
type LinkThresholds = AnalyzerConfig['links'];

/** One InfiniBand port or NVLink over the window. */
export interface LinkWindow {
  node: string;
  linkType: 'infiniband' | 'nvlink';
  device: string;
  port: number;
  minutes: number;
  linkDowned: number;
  errors: number;
  errorDeltas: Record<string, number>;
  flappingMinutes: number;
  stateChanges: number;
  xmitWaitPerSecondMean: number | null;
  utilizationMax: number | null;
}

export type LinkVerdict =
  | { kind: 'link_faulty'; severity: 'critical' | 'warning'; reason: string }
  | { kind: 'link_congested'; severity: 'warning'; reason: string };

/** Faulty (flapping or down: critical; errors rising: warning) comes before congested: errors cause waits too. */
export function judgeLink(l: LinkWindow, t: LinkThresholds): LinkVerdict | undefined {
  if (l.flappingMinutes > 0) {
    return { kind: 'link_faulty', severity: 'critical', reason: `flapping (${l.linkDowned} link downs)` };
  }
  if (l.linkDowned >= t.linkDowns) {
    return { kind: 'link_faulty', severity: 'critical', reason: `${l.linkDowned} link downs` };
  }
  if (l.minutes > 0 && l.errors / l.minutes >= t.errorsPerMinute) {
    return { kind: 'link_faulty', severity: 'warning', reason: `${l.errors} error-counter increases` };
  }
  if (l.linkType === 'infiniband' && (l.xmitWaitPerSecondMean ?? 0) >= t.xmitWaitPerSecond) {
    return {
      kind: 'link_congested',
      severity: 'warning',
      reason: 'port_xmit_wait high: the port waits for credits',
    };
  }
  return undefined;
}

async function loadLinkWindows(db: Db, cluster: string, from: Date, to: Date): Promise<LinkWindow[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select n.name as node, l.link_type, l.device, l.port, count(*)::int as minutes,
        sum(lr.link_downed)::int as link_downed, sum(lr.errors_total)::float8 as errors,
        (count(*) filter (where lr.flapping))::int as flapping_minutes, sum(lr.state_changes)::int as state_changes,
        avg(lr.xmit_wait_per_second) as xmit_wait, max(lr.utilization_max) as utilization_max,
        (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from (
          select e.key as k, sum(e.value::float8) as v from link_rollups lr2, jsonb_each_text(lr2.error_deltas) e
          where lr2.link_id = l.id and lr2.bucket >= ${from} and lr2.bucket < ${to} group by e.key) d) as error_deltas
      from link_rollups lr join links l on l.id = lr.link_id join nodes n on n.id = l.node_id
      where n.cluster = ${cluster} and lr.bucket >= ${from} and lr.bucket < ${to}
      group by l.id, n.name, l.link_type, l.device, l.port
      having sum(lr.link_downed) > 0 or sum(lr.errors_total) > 0 or bool_or(lr.flapping)
        or avg(lr.xmit_wait_per_second) > 0`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    node: String(r.node),
    linkType: r.link_type as LinkWindow['linkType'],
    device: String(r.device),
    port: Number(r.port),
    minutes: Number(r.minutes),
    linkDowned: Number(r.link_downed ?? 0),
    errors: Number(r.errors ?? 0),
    errorDeltas: (typeof r.error_deltas === 'string' ? JSON.parse(r.error_deltas) : r.error_deltas) as Record<
      string,
      number
    >,
    flappingMinutes: Number(r.flapping_minutes),
    stateChanges: Number(r.state_changes ?? 0),
    xmitWaitPerSecondMean: num(r.xmit_wait),
    utilizationMax: num(r.utilization_max),
  }));
}

/** Faulty and congested InfiniBand ports and NVLinks over the window. */
export async function detectLinkFaults(
  db: Db,
  cluster: string,
  at: Date,
  t: LinkThresholds,
): Promise<{ detections: Detection[]; judged: number }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const links = await loadLinkWindows(db, cluster, from, at);
  const detections: Detection[] = [];
  for (const l of links) {
    const v = judgeLink(l, t);
    if (!v) continue;
    // an NVLink's port -1 is the GPU's total over all its links
    const id = `${l.node}/${l.linkType}/${l.device}/${l.port}`;
    const name =
      l.linkType === 'infiniband'
        ? `IB port ${l.device}/${l.port}`
        : `NVLink ${l.port < 0 ? 'of' : `${l.port} of`} ${l.device}`;
    detections.push({
      kind: v.kind,
      subject: { type: 'link', id },
      severity: v.severity,
      title: `${name} on ${l.node} is ${v.kind === 'link_faulty' ? 'faulty' : 'congested'}: ${v.reason}`,
      evidence: {
        metric:
          l.linkType === 'infiniband'
            ? 'IB port counters: link_downed, symbol/recovery/receive errors, port_xmit_wait, state changes'
            : 'NVLink error counters (CRC flit/data, replay, recovery)',
        window: { from: from.toISOString(), to: at.toISOString() },
        values: {
          linkDowned: l.linkDowned,
          errors: l.errors,
          ...Object.fromEntries(Object.entries(l.errorDeltas).map(([k, n]) => [`errors.${k}`, n])),
          flappingMinutes: l.flappingMinutes,
          stateChanges: l.stateChanges,
          xmitWaitPerSecondMean: l.xmitWaitPerSecondMean,
          utilizationMax: l.utilizationMax,
        },
        threshold: {
          linkDowns: t.linkDowns,
          errorsPerMinute: t.errorsPerMinute,
          xmitWaitPerSecond: t.xmitWaitPerSecond,
        },
        samples: l.minutes,
      },
      recommendation:
        v.kind === 'link_congested'
          ? `Spread the traffic on ${l.node}: check the switch port, adaptive routing and the jobs that share it.`
          : `Reseat or replace the cable or transceiver of ${name} on ${l.node}; drain the node if the link keeps going down.`,
    });
  }
  return { detections, judged: links.length };
}
