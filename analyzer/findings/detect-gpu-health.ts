import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { THROTTLE_BITS } from './classify-bottleneck.js';

export const HEALTH_KINDS = ['gpu_xid', 'gpu_thermal'] as const;
type HealthThresholds = AnalyzerConfig['health'];

/**
 * Max operating temperature by model, read off real `nvidia-smi -q` captures (current temperature plus the
 * "GPU T.Limit Temp" margin, driver 590/595): H100 80GB HBM3 41 + 46, H200 28 + 59, L40S 64 + 24.
 */
const MAX_OPERATING_CELSIUS: readonly (readonly [RegExp, number])[] = [
  [/\bH100\b/i, 87],
  [/\bH200\b/i, 87],
  [/\bL40S\b/i, 88],
];

export function maxOperatingCelsius(model: string | null, t: HealthThresholds): number {
  for (const [pattern, limit] of Object.entries(t.maxOperatingCelsius)) {
    if (model && new RegExp(pattern, 'i').test(model)) return limit;
  }
  for (const [pattern, limit] of MAX_OPERATING_CELSIUS) if (model && pattern.test(model)) return limit;
  return t.defaultMaxCelsius;
}

const THERMAL_MASK = THROTTLE_BITS.swThermal | THROTTLE_BITS.hwThermal;

export interface GpuHealthWindow {
  uuid: string;
  node: string;
  model: string | null;
  minutes: number;
  xidCodes: number[];
  xidMinutes: number;
  thermalMinutes: number;
  temperatureMax: number | null;
  jobId: string | null;
}

export type HealthVerdict = {
  kind: (typeof HEALTH_KINDS)[number];
  severity: Detection['severity'];
  reason: string;
};

export function judgeHealth(w: GpuHealthWindow, t: HealthThresholds): HealthVerdict[] {
  const out: HealthVerdict[] = [];
  if (w.xidCodes.length > 0) {
    const critical = w.xidCodes.filter((c) => t.criticalXids.includes(c));
    out.push({
      kind: 'gpu_xid',
      severity: critical.length > 0 ? 'critical' : 'warning',
      reason:
        critical.length > 0
          ? `XID ${critical.join(', ')} (hardware or reset needed)`
          : `XID ${w.xidCodes.join(', ')} (application errors)`,
    });
  }
  const limit = maxOperatingCelsius(w.model, t);
  const share = w.minutes === 0 ? 0 : w.thermalMinutes / w.minutes;
  const hot = w.temperatureMax !== null && w.temperatureMax >= limit;
  if (share >= t.thermalShare || hot) {
    out.push({
      kind: 'gpu_thermal',
      severity: hot && share >= t.thermalShare ? 'critical' : 'warning',
      reason: `${hot ? `${w.temperatureMax} C against a ${limit} C limit` : `at most ${w.temperatureMax} C`}, thermal clock events in ${Math.round(share * 100)}% of minutes`,
    });
  }
  return out;
}

async function loadHealthWindows(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  t: HealthThresholds,
): Promise<GpuHealthWindow[]> {
  // per physical GPU: XIDs, clocks and temperatures are device fields, repeated on every MIG instance
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select g.uuid, n.name as node, max(g.model) as model, count(distinct r.bucket)::int as minutes,
        coalesce(array_agg(distinct x) filter (where x is not null), '{}') as xid_codes,
        (count(distinct r.bucket) filter (where x is not null))::int as xid_minutes,
        (count(distinct r.bucket) filter (where r.clock_event_reasons & ${THERMAL_MASK} <> 0))::int as thermal_minutes,
        max(r.temperature_max_celsius) as temp_max, max(j.job_id) as job_id
      from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
        left join jobs j on j.id = r.job_ref
        left join lateral unnest(r.xid_codes) x on true
      where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to}
      group by g.uuid, n.name
      having cardinality(coalesce(array_agg(distinct x) filter (where x is not null), '{}')) > 0
        or count(*) filter (where r.clock_event_reasons & ${THERMAL_MASK} <> 0) > 0
        or max(r.temperature_max_celsius) >= ${lowestLimit(t)}`,
  );
  return rows.map((r) => ({
    uuid: String(r.uuid),
    node: String(r.node),
    model: (r.model as string | null) ?? null,
    minutes: Number(r.minutes),
    xidCodes: ((r.xid_codes as number[] | null) ?? []).map(Number).sort((a, b) => a - b),
    xidMinutes: Number(r.xid_minutes),
    thermalMinutes: Number(r.thermal_minutes),
    temperatureMax: r.temp_max === null ? null : Number(r.temp_max),
    jobId: (r.job_id as string | null) ?? null,
  }));
}

/** A GPU cooler than every model's limit cannot be hot: the query skips it. */
function lowestLimit(t: HealthThresholds): number {
  return Math.min(
    t.defaultMaxCelsius,
    ...Object.values(t.maxOperatingCelsius),
    ...MAX_OPERATING_CELSIUS.map(([, c]) => c),
  );
}

/** XIDs and thermal trouble per physical GPU over the window. */
export async function detectGpuHealth(
  db: Db,
  cluster: string,
  at: Date,
  t: HealthThresholds,
): Promise<{ detections: Detection[]; judged: number }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const windows = await loadHealthWindows(db, cluster, from, at, t);
  const detections: Detection[] = [];
  for (const w of windows) {
    for (const v of judgeHealth(w, t)) {
      detections.push({
        kind: v.kind,
        subject: { type: 'gpu', id: w.uuid },
        severity: v.severity,
        title: `GPU ${w.uuid} on ${w.node}: ${v.reason}`,
        evidence: {
          metric:
            v.kind === 'gpu_xid'
              ? 'DCGM_FI_DEV_XID_ERRORS'
              : 'DCGM_FI_DEV_GPU_TEMP against the model limit, DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (SW/HW thermal)',
          window: { from: from.toISOString(), to: at.toISOString() },
          values: {
            xidCodes: w.xidCodes.join(','),
            xidMinutes: w.xidMinutes,
            thermalMinutes: w.thermalMinutes,
            temperatureMaxCelsius: w.temperatureMax,
            model: w.model,
            node: w.node,
            job: w.jobId,
          },
          threshold:
            v.kind === 'gpu_xid'
              ? { criticalXids: t.criticalXids.join(',') }
              : { maxOperatingCelsius: maxOperatingCelsius(w.model, t), thermalShare: t.thermalShare },
          samples: w.minutes,
        },
        recommendation:
          v.kind === 'gpu_xid'
            ? v.severity === 'critical'
              ? `Drain ${w.node} and reset or replace GPU ${w.uuid}; check dmesg for the XID details.`
              : 'Application-level XIDs: look at the job that held the GPU.'
            : `Check airflow, fans and inlet temperature of ${w.node}; the GPU runs hot and slows down.`,
      });
    }
  }
  return { detections, judged: windows.length };
}
