import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { THROTTLE_BITS } from './classify-bottleneck.js';

export const HEALTH_KINDS = ['gpu_xid', 'gpu_thermal', 'gpu_memory_errors', 'gpu_pcie_replays'] as const;
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
  /** Counter increases over the window (DCGM volatile ECC totals, PCIe replays) and row-remapping state. */
  eccSbe: number;
  eccDbe: number;
  pcieReplays: number;
  rowRemapFailure: boolean;
  uncorrectableRowsIncrease: number;
  correctableRowsIncrease: number;
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
  // double-bit ECC, a failed row remap or new uncorrectable rows: memory the GPU can no longer trust (drain, reset,
  // RMA); single-bit errors and correctable remaps at a rate: memory on its way there
  const perHour = (n: number) => (w.minutes === 0 ? 0 : (n * 60) / w.minutes);
  if (w.eccDbe > 0 || w.rowRemapFailure || w.uncorrectableRowsIncrease > 0) {
    out.push({
      kind: 'gpu_memory_errors',
      severity: 'critical',
      reason: `${w.eccDbe} double-bit ECC errors${w.rowRemapFailure ? ', a row remap failed' : ''}${w.uncorrectableRowsIncrease > 0 ? `, ${w.uncorrectableRowsIncrease} rows remapped as uncorrectable` : ''}`,
    });
  } else if (perHour(w.eccSbe) >= t.sbePerHour || w.correctableRowsIncrease > 0) {
    out.push({
      kind: 'gpu_memory_errors',
      severity: 'warning',
      reason: `${w.eccSbe} single-bit ECC errors (${Math.round(perHour(w.eccSbe))}/h)${w.correctableRowsIncrease > 0 ? `, ${w.correctableRowsIncrease} rows remapped` : ''}`,
    });
  }
  if (perHour(w.pcieReplays) >= t.pcieReplaysPerHour) {
    out.push({
      kind: 'gpu_pcie_replays',
      severity: 'warning',
      reason: `${w.pcieReplays} PCIe replays (${Math.round(perHour(w.pcieReplays))}/h): a marginal slot, riser or link`,
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
  // per physical GPU and minute first: XIDs, clocks, temperatures and ECC are device fields, repeated on every
  // MIG instance; then per GPU, keeping only those with anything to say
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with m as (
        select g.uuid, max(n.name) as node, max(g.model) as model, r.bucket,
          bool_or(cardinality(r.xid_codes) > 0) as xid, bool_or(r.clock_event_reasons & ${THERMAL_MASK} <> 0) as thermal,
          max(r.temperature_max_celsius) as temp, max(r.ecc_sbe_volatile_delta) as sbe,
          max(r.ecc_dbe_volatile_delta) as dbe, max(r.pcie_replay_delta) as replays,
          max(r.row_remap_failure) as remap_failure, max(r.uncorrectable_remapped_rows) as uncorrectable,
          max(r.correctable_remapped_rows) as correctable, max(j.job_id) as job_id
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
          left join jobs j on j.id = r.job_ref
        where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to}
        group by g.uuid, r.bucket),
      x as (
        select g.uuid, array_agg(distinct c) as codes
        from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id, unnest(r.xid_codes) c
        where n.cluster = ${cluster} and r.bucket >= ${from} and r.bucket < ${to} and cardinality(r.xid_codes) > 0
        group by g.uuid)
      select m.uuid, max(m.node) as node, max(m.model) as model, count(*)::int as minutes,
        coalesce(max(x.codes), '{}') as xid_codes, (count(*) filter (where m.xid))::int as xid_minutes,
        (count(*) filter (where m.thermal))::int as thermal_minutes, max(m.temp) as temp_max,
        sum(m.sbe)::float8 as sbe, sum(m.dbe)::float8 as dbe, sum(m.replays)::float8 as replays,
        coalesce(max(m.remap_failure), 0)::int as remap_failure,
        (max(m.uncorrectable) - min(m.uncorrectable))::float8 as uncorrectable_increase,
        (max(m.correctable) - min(m.correctable))::float8 as correctable_increase, max(m.job_id) as job_id
      from m left join x on x.uuid = m.uuid
      group by m.uuid
      having bool_or(m.xid) or bool_or(m.thermal) or max(m.temp) >= ${lowestLimit(t)}
        or coalesce(sum(m.sbe), 0) + coalesce(sum(m.dbe), 0) + coalesce(sum(m.replays), 0) > 0
        or max(m.remap_failure) > 0 or max(m.uncorrectable) > min(m.uncorrectable) or max(m.correctable) > min(m.correctable)`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  return rows.map((r) => ({
    uuid: String(r.uuid),
    node: String(r.node),
    model: (r.model as string | null) ?? null,
    minutes: Number(r.minutes),
    xidCodes: ((r.xid_codes as number[] | null) ?? []).map(Number).sort((a, b) => a - b),
    xidMinutes: Number(r.xid_minutes),
    thermalMinutes: Number(r.thermal_minutes),
    temperatureMax: r.temp_max === null ? null : Number(r.temp_max),
    eccSbe: num(r.sbe),
    eccDbe: num(r.dbe),
    pcieReplays: num(r.replays),
    rowRemapFailure: Number(r.remap_failure) > 0,
    uncorrectableRowsIncrease: num(r.uncorrectable_increase),
    correctableRowsIncrease: num(r.correctable_increase),
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

const METRIC: Record<HealthVerdict['kind'], string> = {
  gpu_xid: 'DCGM_FI_DEV_XID_ERRORS',
  gpu_thermal:
    'DCGM_FI_DEV_GPU_TEMP against the model limit, DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (SW/HW thermal)',
  gpu_memory_errors:
    'DCGM_FI_DEV_ECC_{SBE,DBE}_VOL_TOTAL increases, DCGM_FI_DEV_ROW_REMAP_FAILURE, DCGM_FI_DEV_{UN,}CORRECTABLE_REMAPPED_ROWS',
  gpu_pcie_replays: 'DCGM_FI_DEV_PCIE_REPLAY_COUNTER increase',
};

function thresholdOf(
  kind: HealthVerdict['kind'],
  w: GpuHealthWindow,
  t: HealthThresholds,
): Record<string, string | number> {
  if (kind === 'gpu_xid') return { criticalXids: t.criticalXids.join(',') };
  if (kind === 'gpu_thermal')
    return { maxOperatingCelsius: maxOperatingCelsius(w.model, t), thermalShare: t.thermalShare };
  if (kind === 'gpu_memory_errors') return { sbePerHour: t.sbePerHour, dbe: 1 };
  return { pcieReplaysPerHour: t.pcieReplaysPerHour };
}

function adviceOf(v: HealthVerdict, w: GpuHealthWindow): string {
  if (v.kind === 'gpu_xid') {
    return v.severity === 'critical'
      ? `Drain ${w.node} and reset or replace GPU ${w.uuid}; check dmesg for the XID details.`
      : 'Application-level XIDs: look at the job that held the GPU.';
  }
  if (v.kind === 'gpu_memory_errors') {
    return v.severity === 'critical'
      ? `Drain ${w.node}, reset GPU ${w.uuid} to apply pending row remaps, and run DCGM diagnostics; replace it if errors return.`
      : `Watch GPU ${w.uuid}: correctable memory errors are rising; schedule a reset and a DCGM diagnostic run.`;
  }
  if (v.kind === 'gpu_pcie_replays')
    return `Reseat or check the PCIe slot, riser and cabling of GPU ${w.uuid} on ${w.node}.`;
  return `Check airflow, fans and inlet temperature of ${w.node}; the GPU runs hot and slows down.`;
}

/** XIDs, heat, memory errors and PCIe replays per physical GPU over the window. */
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
          metric: METRIC[v.kind],
          window: { from: from.toISOString(), to: at.toISOString() },
          values: {
            xidCodes: w.xidCodes.join(','),
            xidMinutes: w.xidMinutes,
            thermalMinutes: w.thermalMinutes,
            temperatureMaxCelsius: w.temperatureMax,
            eccSbe: w.eccSbe,
            eccDbe: w.eccDbe,
            rowRemapFailure: w.rowRemapFailure ? 1 : 0,
            uncorrectableRowsIncrease: w.uncorrectableRowsIncrease,
            correctableRowsIncrease: w.correctableRowsIncrease,
            pcieReplays: w.pcieReplays,
            model: w.model,
            node: w.node,
            job: w.jobId,
          },
          threshold: thresholdOf(v.kind, w, t),
          samples: w.minutes,
        },
        recommendation: adviceOf(v, w),
      });
    }
  }
  return { detections, judged: windows.length };
}
