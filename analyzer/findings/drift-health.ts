import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { testPoissonRateIncrease } from './drift-statistics.js';
import { type DriftThresholds, HOUR, round, sig } from './drift-thresholds.js';

export const HEALTH_DRIFT_METRICS = [
  { key: 'xid', label: 'minutes with an XID', critical: false },
  { key: 'eccSbe', label: 'volatile ECC single-bit errors', critical: false },
  { key: 'eccDbe', label: 'volatile ECC double-bit errors', critical: true },
  { key: 'pcieReplay', label: 'PCIe replays', critical: false },
  { key: 'rowRemapFailure', label: 'minutes with a row-remap failure', critical: true },
  { key: 'remappedRows', label: 'rows remapped', critical: false },
  { key: 'thermal', label: 'minutes of thermal slowdown', critical: false },
] as const;
export type HealthDriftMetric = (typeof HEALTH_DRIFT_METRICS)[number]['key'];

/** One physical GPU over one window: event counts and the minutes observed. */
export interface HealthCounts {
  uuid: string;
  node: string;
  minutes: number;
  counts: Record<Exclude<HealthDriftMetric, 'remappedRows'>, number>;
  /** Correctable + uncorrectable remapped rows (a gauge): its range over the window. */
  remappedMax: number | null;
  remappedMin: number | null;
}

/** Per physical GPU (MIG instances repeat device fields: one value per GPU and minute). */
async function loadHealthCounts(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  only: { uuids: string[] } | { minEvents: number },
): Promise<HealthCounts[]> {
  // the candidate search reads only minutes with an event: grouping every minute of every GPU costs seconds at
  // 10,000 GPUs, and the candidates' full counts are read afterwards
  const filter =
    'uuids' in only
      ? sql`and g.uuid = any(${sql.param(only.uuids)}::text[])`
      : sql`and (cardinality(r.xid_codes) > 0 or r.clock_event_reasons & 96 <> 0
          or coalesce(r.ecc_sbe_volatile_delta, 0) > 0 or coalesce(r.ecc_dbe_volatile_delta, 0) > 0
          or coalesce(r.pcie_replay_delta, 0) > 0 or coalesce(r.row_remap_failure, 0) > 0
          or coalesce(r.correctable_remapped_rows, 0) + coalesce(r.uncorrectable_remapped_rows, 0) > 0)`;
  const having =
    'minEvents' in only
      ? sql`having greatest(count(*) filter (where xid), count(*) filter (where thermal), sum(sbe), sum(dbe),
          sum(replay), count(*) filter (where remap_failure > 0)) >= ${only.minEvents} or max(remapped) > 0`
      : sql``;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with m as (
        select g.uuid, max(n.name) as node, r.bucket, bool_or(cardinality(r.xid_codes) > 0) as xid,
          bool_or(r.clock_event_reasons & 96 <> 0) as thermal, max(r.ecc_sbe_volatile_delta) as sbe,
          max(r.ecc_dbe_volatile_delta) as dbe, max(r.pcie_replay_delta) as replay, max(r.row_remap_failure) as remap_failure,
          max(coalesce(r.correctable_remapped_rows, 0) + coalesce(r.uncorrectable_remapped_rows, 0))
            filter (where r.correctable_remapped_rows is not null or r.uncorrectable_remapped_rows is not null) as remapped
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
        where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to} ${filter}
        group by g.uuid, r.bucket)
      select uuid, max(node) as node, count(*)::int as minutes, (count(*) filter (where xid))::int as xid,
        (count(*) filter (where thermal))::int as thermal, coalesce(sum(sbe), 0)::float8 as sbe,
        coalesce(sum(dbe), 0)::float8 as dbe, coalesce(sum(replay), 0)::float8 as replay,
        (count(*) filter (where remap_failure > 0))::int as remap_failure,
        max(remapped)::float8 as remapped_max, min(remapped)::float8 as remapped_min
      from m group by uuid ${having} order by uuid`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    uuid: String(r.uuid),
    node: String(r.node),
    minutes: Number(r.minutes),
    counts: {
      xid: Number(r.xid),
      eccSbe: Number(r.sbe),
      eccDbe: Number(r.dbe),
      pcieReplay: Number(r.replay),
      rowRemapFailure: Number(r.remap_failure),
      thermal: Number(r.thermal),
    },
    remappedMax: num(r.remapped_max),
    remappedMin: num(r.remapped_min),
  }));
}

export interface HealthDriftHit {
  metric: HealthDriftMetric;
  recent: number;
  baseline: number;
  recentPerHour: number;
  baselinePerHour: number;
  pValue: number;
}

/** Each metric whose recent rate is at least `healthRateRatio` × the baseline's and significantly higher. */
export function judgeHealthDrift(
  recent: HealthCounts,
  baseline: HealthCounts | undefined,
  t: DriftThresholds,
): HealthDriftHit[] {
  const baseMinutes = baseline?.minutes ?? 0;
  if (recent.minutes === 0 || baseMinutes === 0) return [];
  const hits: HealthDriftHit[] = [];
  for (const { key } of HEALTH_DRIFT_METRICS) {
    let kRecent: number;
    let kBase: number;
    if (key === 'remappedRows') {
      if (recent.remappedMax === null) continue;
      const before = baseline?.remappedMax ?? recent.remappedMin ?? recent.remappedMax;
      kRecent = Math.max(0, recent.remappedMax - before);
      kBase = Math.max(0, (baseline?.remappedMax ?? 0) - (baseline?.remappedMin ?? 0));
    } else {
      kRecent = recent.counts[key];
      kBase = baseline?.counts[key] ?? 0;
    }
    if (kRecent < t.healthMinEvents) continue;
    const test = testPoissonRateIncrease(kRecent, recent.minutes, kBase, baseMinutes);
    if (test.pValue >= t.pValue || test.recentRate < t.healthRateRatio * test.baselineRate) continue;
    hits.push({
      metric: key,
      recent: kRecent,
      baseline: kBase,
      recentPerHour: test.recentRate * 60,
      baselinePerHour: test.baselineRate * 60,
      pValue: test.pValue,
    });
  }
  return hits;
}

export async function detectHealthDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const recentFrom = new Date(at.getTime() - t.healthRecentHours * HOUR);
  const baseFrom = new Date(recentFrom.getTime() - (t.healthBaselineHours - t.healthRecentHours) * HOUR);
  const candidates = await loadHealthCounts(db, cluster, recentFrom, at, { minEvents: t.healthMinEvents });
  if (candidates.length === 0) return [];
  const recent = await loadHealthCounts(db, cluster, recentFrom, at, {
    uuids: candidates.map((c) => c.uuid),
  });
  const baseline = new Map(
    (await loadHealthCounts(db, cluster, baseFrom, recentFrom, { uuids: recent.map((r) => r.uuid) })).map(
      (b) => [b.uuid, b],
    ),
  );
  const detections: Detection[] = [];
  for (const r of recent) {
    const b = baseline.get(r.uuid);
    const hits = judgeHealthDrift(r, b, t);
    if (hits.length === 0) continue;
    const critical = hits.some((h) => HEALTH_DRIFT_METRICS.find((m) => m.key === h.metric)?.critical);
    const values: Record<string, number | string | null> = {
      node: r.node,
      recentMinutes: r.minutes,
      baselineMinutes: b?.minutes ?? 0,
      pValue: sig(Math.min(...hits.map((h) => h.pValue))),
    };
    for (const h of hits) {
      values[`${h.metric}Recent`] = h.recent;
      values[`${h.metric}Baseline`] = h.baseline;
      values[`${h.metric}RecentPerHour`] = round(h.recentPerHour);
      values[`${h.metric}BaselinePerHour`] = round(h.baselinePerHour);
      values[`${h.metric}P`] = sig(h.pValue);
    }
    const labels = hits.map((h) => HEALTH_DRIFT_METRICS.find((m) => m.key === h.metric)?.label ?? h.metric);
    detections.push({
      kind: 'drift_health',
      subject: { type: 'gpu', id: r.uuid },
      severity: critical ? 'critical' : 'warning',
      title: `GPU ${r.uuid} on ${r.node}: rising ${labels.join(', ')} over the last ${t.healthRecentHours} h`,
      evidence: {
        metric: 'XIDs, volatile ECC SBE/DBE, PCIe replays, row remaps, thermal clock events (gpu_rollups)',
        window: { from: baseFrom.toISOString(), to: at.toISOString() },
        values,
        threshold: { pValue: t.pValue, rateRatio: t.healthRateRatio, minEvents: t.healthMinEvents },
        method: 'one-sided Poisson rate test (conditional binomial), recent window against baseline',
        samples: r.minutes + (b?.minutes ?? 0),
      },
      recommendation: critical
        ? `Drain ${r.node} and have GPU ${r.uuid} checked (dcgmi diag -r 3); uncorrectable memory errors corrupt results.`
        : `Watch GPU ${r.uuid} on ${r.node}; run dcgmi diag at the next drain if the rate keeps rising.`,
    });
  }
  return detections;
}
