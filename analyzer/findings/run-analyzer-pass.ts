import { sql } from 'drizzle-orm';
import type { AnalyzerConfig } from '../../core/config.js';
import { type Db, queryRows } from '../../core/db.js';
import type { AnalyzerMetrics } from './analyzer-metrics.js';
import { applyDetections } from './apply-detections.js';
import { BOTTLENECK_KINDS, detectBottlenecks } from './detect-bottlenecks.js';
import { detectGpuHealth, HEALTH_KINDS } from './detect-gpu-health.js';
import { detectIdleGpus, IDLE_KINDS } from './detect-idle-gpus.js';
import { detectLinkFaults, LINK_KINDS } from './detect-link-faults.js';

/**
 * One analyzer pass as of `at` (the clock is the caller's, so `gpuscope analyze --at` over backfilled history is
 * deterministic): every detector, then the findings lifecycle, then the gauges.
 */
export async function runAnalyzerPass(
  deps: { db: Db; cluster: string; config: AnalyzerConfig; metrics: AnalyzerMetrics },
  at: Date,
) {
  const { db, cluster, metrics, config } = deps;
  // one after another: each aggregates in SQL, and on a small machine they would only compete for the same cores
  const idle = await detectIdleGpus(db, cluster, at, config.idle);
  const bottlenecks = await detectBottlenecks(db, cluster, at, config.bottleneck);
  const links = await detectLinkFaults(db, cluster, at, config.links);
  const health = await detectGpuHealth(db, cluster, at, config.health);
  const applied = await applyDetections(db, {
    cluster,
    at,
    kinds: [...IDLE_KINDS, ...BOTTLENECK_KINDS, ...LINK_KINDS, ...HEALTH_KINDS],
    detections: [...idle.detections, ...bottlenecks.detections, ...links.detections, ...health.detections],
  });

  metrics.idleGpus.reset();
  for (const kind of IDLE_KINDS) {
    metrics.idleGpus.set(
      { cluster, kind: kind.replace(/^idle_gpu_/, '') },
      idle.detections.filter((d) => d.kind === kind).length,
    );
  }
  metrics.suspectGpus.set({ cluster }, idle.suspect);
  const open = await queryRows<{ kind: string; severity: string; n: number }>(
    db,
    sql`select kind, severity, count(*)::int as n from findings
      where cluster = ${cluster} and status <> 'resolved' group by 1, 2`,
  );
  metrics.findings.reset();
  for (const o of open) metrics.findings.set({ cluster, kind: o.kind, severity: o.severity }, o.n);
  metrics.lastPass.set({ cluster }, at.getTime() / 1000);
  return {
    at: at.toISOString(),
    judgedGpus: idle.judged,
    suspectGpus: idle.suspect,
    classifiedGpus: bottlenecks.classified,
    ...applied,
  };
}
