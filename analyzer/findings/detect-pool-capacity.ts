import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import { numberToDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import { loadNodeGpuHourUsd } from './detect-idle-gpus.js';

export const POOL_KINDS = ['pool_scale_down', 'pool_scale_up'] as const;
type Thresholds = AnalyzerConfig['capacity'];

/**
 * A pool is the cluster's nodes of one GPU model and GPU count: the unit an autoscaler adds or removes (no
 * node-pool labels are stored, and nodes of one shape are interchangeable to a scheduler).
 */
/** A pool's name: its GPU model and GPU count per node (also the unit configuration drift compares within). */
export function poolName(model: string | null, gpusPerNode: number): string {
  return `${model} x${gpusPerNode}`;
}

export interface PoolWindow {
  pool: string;
  nodes: number;
  /** Nodes whose every GPU was unallocated and idle for the whole window. */
  idleNodes: string[];
  gpusPerNode: number;
  freeGpus: number;
  /** GPUs requested by jobs pending longer than the window that fit this pool's model (or name none). */
  pendingGpus: number;
  pendingJobs: number;
}

export type PoolVerdict =
  | { kind: 'pool_scale_down'; by: number }
  | { kind: 'pool_scale_up'; by: number }
  | undefined;

/**
 * Scale down by the idle whole nodes beyond the headroom kept; scale up when pending demand exceeds the free GPUs.
 * Never both: pending work that idle nodes could run is a scheduling problem, not a capacity one.
 */
export function judgePool(p: PoolWindow, t: Thresholds): PoolVerdict {
  if (p.pendingGpus > p.freeGpus && p.pendingJobs > 0) {
    return {
      kind: 'pool_scale_up',
      by: Math.ceil((p.pendingGpus - p.freeGpus) / Math.max(1, p.gpusPerNode)),
    };
  }
  const surplus = p.idleNodes.length - t.headroomNodes;
  if (p.pendingJobs === 0 && surplus > 0) return { kind: 'pool_scale_down', by: surplus };
  return undefined;
}

async function loadPools(
  db: Db,
  cluster: string,
  from: Date,
  to: Date,
  t: Thresholds,
): Promise<PoolWindow[]> {
  const nodes = await queryRows<{
    node: string;
    model: string;
    gpus: number;
    idle: boolean;
    free_gpus: number;
  }>(
    db,
    sql`with per_gpu as (
        select g.node_id, g.uuid, max(g.model) as model, count(*) as minutes,
          bool_and(r.job_ref is null and r.owner_kind is null) as unallocated,
          max(r.activity_max) < ${t.idleActivityMax} as idle
        from gpu_rollups r join gpus g on g.id = r.gpu_id
        where r.bucket >= ${from} and r.bucket < ${to} and g.gpu_instance_id is null
        group by g.node_id, g.uuid)
      select n.name as node, max(p.model) as model, count(*)::int as gpus,
        bool_and(p.unallocated and coalesce(p.idle, false) and p.minutes >= ${t.minMinutes}) as idle,
        (count(*) filter (where p.unallocated))::int as free_gpus
      from per_gpu p join nodes n on n.id = p.node_id
      where n.cluster = ${cluster}
      group by n.name`,
  );
  const pending = await queryRows<{ gpu_type: string | null; gpus: number; jobs: number }>(
    db,
    sql`select gpu_type, sum(coalesce(gpus_requested, gpus_allocated, 0))::int as gpus, count(*)::int as jobs
      from jobs
      where cluster = ${cluster} and state = 'pending' and submitted_at < ${from}
        and coalesce(gpus_requested, gpus_allocated, 0) > 0
      group by gpu_type`,
  );
  const pools = new Map<string, PoolWindow>();
  for (const n of nodes) {
    const pool = poolName(n.model, n.gpus);
    const p = pools.get(pool) ?? {
      pool,
      nodes: 0,
      idleNodes: [],
      gpusPerNode: n.gpus,
      freeGpus: 0,
      pendingGpus: 0,
      pendingJobs: 0,
    };
    p.nodes++;
    p.freeGpus += n.free_gpus;
    if (n.idle) p.idleNodes.push(n.node);
    pools.set(pool, p);
  }
  // pending demand goes to the pools whose model its GPU type names (Slurm gres type, e.g. "h100"); with none named,
  // to every pool, since any of them could run it
  for (const d of pending) {
    for (const p of pools.values()) {
      const type = d.gpu_type?.toLowerCase();
      if (type && !p.pool.toLowerCase().includes(type)) continue;
      p.pendingGpus += d.gpus;
      p.pendingJobs += d.jobs;
    }
  }
  return [...pools.values()];
}

/** Pools with whole nodes idle and unallocated (scale down) or pending demand over the free GPUs (scale up). */
export async function detectPoolCapacity(
  db: Db,
  cluster: string,
  at: Date,
  t: Thresholds,
): Promise<{ detections: Detection[] }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const [pools, prices] = await Promise.all([
    loadPools(db, cluster, from, at, t),
    loadNodeGpuHourUsd(db, cluster, from, at),
  ]);
  const detections: Detection[] = [];
  for (const p of pools) {
    const v = judgePool(p, t);
    if (!v) continue;
    const down = v.kind === 'pool_scale_down';
    const nodePrices = p.idleNodes.flatMap((n) => (prices.has(n) ? [prices.get(n) as number] : []));
    const nodeMonthly =
      nodePrices.length === 0
        ? null
        : (nodePrices.reduce((a, b) => a + b, 0) / nodePrices.length) * p.gpusPerNode * 730;
    const savings = down && nodeMonthly !== null ? nodeMonthly * v.by : null;
    detections.push({
      kind: v.kind,
      subject: { type: 'pool', id: p.pool },
      severity: down ? 'info' : 'warning',
      title: down
        ? `Pool ${p.pool}: ${p.idleNodes.length} of ${p.nodes} nodes idle and unallocated; scale down by ${v.by}`
        : `Pool ${p.pool}: ${p.pendingGpus} GPUs pending against ${p.freeGpus} free; scale up by ${v.by} node(s)`,
      evidence: {
        metric: 'whole nodes with every GPU unallocated and idle; GPUs requested by pending jobs',
        window: { from: from.toISOString(), to: at.toISOString() },
        values: {
          nodes: p.nodes,
          idleNodes: p.idleNodes.length,
          idleNodeNames: p.idleNodes.sort().slice(0, 20).join(','),
          freeGpus: p.freeGpus,
          pendingGpus: p.pendingGpus,
          pendingJobs: p.pendingJobs,
        },
        threshold: {
          headroomNodes: t.headroomNodes,
          idleActivityMax: t.idleActivityMax,
          minMinutes: t.minMinutes,
        },
      },
      impactMonthlyUsd: savings === null ? null : numberToDecimal(Math.round(savings * 100) / 100),
      recommendation: down
        ? `Remove ${v.by} idle node(s) from ${p.pool} (keeping ${t.headroomNodes} as headroom).`
        : `Add ${v.by} node(s) to ${p.pool}: jobs have waited over ${t.windowMinutes} minutes for GPUs.`,
      recommend: {
        action: down ? 'scale_down' : 'scale_up',
        expectedMonthlySavingsUsd: savings === null ? null : numberToDecimal(Math.round(savings * 100) / 100),
        risk: down ? 'low' : 'medium',
        details: { pool: p.pool, by: v.by, nodes: down ? p.idleNodes.sort().slice(0, v.by) : [] },
        ttlHours: 1,
      },
    });
  }
  return { detections };
}
