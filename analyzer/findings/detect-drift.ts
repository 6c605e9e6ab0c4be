import type { Db } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { detectConfigDrift } from './drift-config.js';
import { detectHealthDrift } from './drift-health.js';
import { detectJobDrift } from './drift-job-efficiency.js';
import { detectSpendDrift } from './drift-spend.js';
import type { DriftThresholds } from './drift-thresholds.js';

export * from './drift-config.js';
export * from './drift-health.js';
export * from './drift-job-efficiency.js';
export * from './drift-spend.js';
export * from './drift-thresholds.js';

/** Config, recurring-job efficiency, spend and health drift as of `at`, each finding with its test and strength. */
export async function detectDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<{ detections: Detection[] }> {
  const config = await detectConfigDrift(db, cluster, at, t);
  const jobs = await detectJobDrift(db, cluster, at, t);
  const spend = await detectSpendDrift(db, cluster, at, t);
  const health = await detectHealthDrift(db, cluster, at, t);
  return { detections: [...config, ...jobs, ...spend, ...health] };
}
