import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { poolName } from './detect-pool-capacity.js';
import { type DriftThresholds, HOUR, round } from './drift-thresholds.js';

/** One node's GPUs, aggregated per physical GPU in SQL. */
export interface NodeConfig {
  node: string;
  model: string;
  gpus: number;
  /** Distinct driver versions of its GPUs joined by ' / '; '' when none is known. */
  driver: string;
  migGpus: number;
  /** Per GPU the sorted MIG profiles joined by '+' (or 'full'), the GPUs sorted and joined by ','. */
  layout: string;
}

export async function loadNodeConfigs(db: Db, cluster: string, seenFrom: Date): Promise<NodeConfig[]> {
  return queryRows<NodeConfig>(
    db,
    sql`with g as (
        select n.name as node, g.uuid, max(g.model) as model,
          coalesce(max(g.driver_version) filter (where g.gpu_instance_id is null), max(g.driver_version)) as driver,
          coalesce(string_agg(g.mig_profile, '+' order by g.mig_profile) filter (where g.mig_profile is not null), 'full') as layout
        from gpus g join nodes n on n.id = g.node_id
        where n.cluster = ${cluster} and g.last_seen_at >= ${seenFrom}
        group by n.name, g.uuid)
      select node, string_agg(distinct coalesce(model, 'unknown'), ' / ' order by coalesce(model, 'unknown')) as model,
        count(*)::int as gpus, coalesce(string_agg(distinct driver, ' / ' order by driver), '') as driver,
        (count(*) filter (where layout <> 'full'))::int as "migGpus", string_agg(layout, ',' order by layout) as layout
      from g group by node order by node`,
  );
}

/** The most common value and its share; ties go to the lexically first value, so verdicts are stable. */
function majorityOf(values: readonly string[]): { value: string; share: number } {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const [value, n] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
  return { value, share: values.length === 0 ? 0 : n / values.length };
}

export interface ConfigVerdict {
  subject: { type: 'node' | 'pool'; id: string };
  pool: string;
  reasons: string[];
  values: Record<string, number | string | null>;
}

/** Pools are nodes with the same GPU model and GPU count; a node against its pool's majority is drift. */
export function judgeConfigDrift(nodes: readonly NodeConfig[], t: DriftThresholds): ConfigVerdict[] {
  const pools = new Map<string, NodeConfig[]>();
  for (const n of nodes) {
    const key = poolName(n.model, n.gpus);
    pools.set(key, [...(pools.get(key) ?? []), n]);
  }
  const out: ConfigVerdict[] = [];
  for (const [pool, members] of pools) {
    if (members.length < t.configMinPoolNodes) continue;
    const known = members.filter((n) => n.driver !== '');
    const driver = majorityOf(known.map((n) => n.driver));
    const layout = majorityOf(members.map((n) => n.layout));
    if (known.length >= t.configMinPoolNodes && driver.share <= 0.5) {
      out.push({
        subject: { type: 'pool', id: pool },
        pool,
        reasons: [
          `no driver version holds a majority (${[...new Set(known.map((n) => n.driver))].join(', ')})`,
        ],
        values: { pool, poolNodes: members.length, majorityShare: round(driver.share), driverVersion: null },
      });
    }
    for (const n of members) {
      const reasons: string[] = [];
      const values: Record<string, number | string | null> = { pool, poolNodes: members.length };
      if (
        known.length >= t.configMinPoolNodes &&
        driver.share > 0.5 &&
        n.driver !== '' &&
        n.driver !== driver.value
      ) {
        reasons.push(`driver ${n.driver} where the pool runs ${driver.value}`);
        Object.assign(values, {
          driverVersion: n.driver,
          majorityDriverVersion: driver.value,
          majorityShare: round(driver.share),
        });
      }
      const mixed = n.migGpus > 0 && n.migGpus < n.gpus;
      if (mixed && layout.share >= t.migLayoutShare && n.layout !== layout.value) {
        reasons.push(
          `${n.migGpus} of ${n.gpus} GPUs MIG-partitioned where the pool's layout is ${layout.value}`,
        );
        Object.assign(values, {
          migLayout: n.layout,
          majorityMigLayout: layout.value,
          layoutMajorityShare: round(layout.share),
        });
      }
      if (reasons.length > 0) out.push({ subject: { type: 'node', id: n.node }, pool, reasons, values });
    }
  }
  return out;
}

interface RunningJob {
  job_id: string;
  name: string;
  nodes: string[];
}

/** A multi-node job whose nodes run different drivers or GPU models. */
export function judgeJobConfig(job: RunningJob, byNode: ReadonlyMap<string, NodeConfig>): string[] {
  const seen = job.nodes.flatMap((n) => {
    const c = byNode.get(n);
    return c ? [c] : [];
  });
  const drivers = [...new Set(seen.filter((c) => c.driver !== '').map((c) => c.driver))].sort();
  const models = [...new Set(seen.map((c) => c.model))].sort();
  const reasons: string[] = [];
  if (drivers.length > 1) reasons.push(`drivers ${drivers.join(', ')}`);
  if (models.length > 1) reasons.push(`GPU models ${models.join(', ')}`);
  return reasons;
}

export async function detectConfigDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const from = new Date(at.getTime() - t.configSeenHours * HOUR);
  const nodes = await loadNodeConfigs(db, cluster, from);
  const window = { from: from.toISOString(), to: at.toISOString() };
  const metric = 'gpus.driver_version and MIG layout (gpus.mig_profile per GPU)';
  const method = 'majority comparison within pool (same GPU model and count)';
  const threshold = {
    majorityShareAbove: 0.5,
    migLayoutShare: t.migLayoutShare,
    minPoolNodes: t.configMinPoolNodes,
  };
  const detections = judgeConfigDrift(nodes, t).map(
    (v): Detection => ({
      kind: 'drift_config',
      subject: v.subject,
      severity: v.subject.type === 'pool' ? 'info' : 'warning',
      title: `Configuration drift on ${v.subject.type} ${v.subject.id}: ${v.reasons.join('; ')}`,
      evidence: { metric, window, values: v.values, threshold, method, samples: nodes.length },
      recommendation: `Bring ${v.subject.id} in line with pool ${v.pool}: mixed drivers or partitioning break gang jobs and scheduling.`,
    }),
  );
  const byNode = new Map(nodes.map((n) => [n.node, n]));
  const jobs = await queryRows<RunningJob>(
    db,
    sql`select job_id, name, nodes from jobs where cluster = ${cluster} and state = 'running'
      and cardinality(nodes) > 1 and (started_at is null or started_at < ${at}) order by job_id`,
  );
  for (const job of jobs) {
    const reasons = judgeJobConfig(job, byNode);
    if (reasons.length === 0) continue;
    const parts = job.nodes.map((n) => `${n}=${byNode.get(n)?.driver || '?'} ${byNode.get(n)?.model ?? '?'}`);
    detections.push({
      kind: 'drift_config',
      subject: { type: 'job', id: job.job_id },
      severity: 'warning',
      title: `Job ${job.job_id} (${job.name}) spans nodes with different ${reasons.join(' and ')}`,
      evidence: {
        metric,
        window,
        values: { nodes: parts.join('; '), distinct: reasons.join('; ') },
        threshold: { distinctAllowed: 1 },
        method: 'comparison across the nodes of one multi-node job',
        samples: job.nodes.length,
      },
      recommendation: `Pin job ${job.job_id} to nodes of one driver and GPU model (node features or a node selector).`,
    });
  }
  return detections;
}
