import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import type { Result } from '../../../core/result.js';
import type { KubeActionMetrics } from './kube-action-metrics.js';
import type { KubeActionsClient, KubeApiError } from './kube-actions-client.js';
import type { Sleep } from './sleep.js';

export interface KubernetesActionsOptions {
  /**
   * A drain (cordon, evictions, pods gone) that takes longer is undone: uncordoned if gpuscope cordoned. Keep it
   * under the engine's lease (`actions.leaseMinutes`, renewed only at checkpoints; a PDB back-off saves none).
   */
  drainTimeoutMs: number;
  /** Between eviction rounds while a PodDisruptionBudget says no (429). */
  evictionBackoff: { initialMs: number; maxMs: number };
  /** How often an evicted pod is checked for being gone. */
  podGonePollMs: number;
  nodeReadyPollMs: number;
}

export const DEFAULT_KUBERNETES_ACTIONS_OPTIONS: KubernetesActionsOptions = {
  drainTimeoutMs: 10 * 60_000,
  evictionBackoff: { initialMs: 1_000, maxMs: 30_000 },
  podGonePollMs: 2_000,
  nodeReadyPollMs: 5_000,
};

export interface KubeActionDeps {
  client: KubeActionsClient;
  clock: Clock;
  sleep: Sleep;
  /** 0 ≤ x < 1, for back-off jitter. */
  random: () => number;
  log: Logger;
  metrics: KubeActionMetrics;
  options: KubernetesActionsOptions;
}

/** Counts a failed call by operation and status, so faults show in metrics whatever the caller does next. */
export function tracked<T>(
  deps: KubeActionDeps,
  operation: string,
  result: Result<T, KubeApiError>,
): Result<T, KubeApiError> {
  if (!result.ok) deps.metrics.apiErrors.inc({ operation, status: String(result.error.status ?? 'none') });
  return result;
}
