import { Counter, type Registry } from 'prom-client';

export interface KubeActionMetrics {
  /** Eviction calls by outcome: evicted, gone (404), pdb_blocked (429), error. */
  evictions: Counter<'outcome'>;
  /** Finished drains by outcome: done, pdb_blocked, timeout, opted_out, failed, aborted. */
  drains: Counter<'outcome'>;
  /** Failed Kubernetes calls of the executors, by operation and HTTP status (`none` for network faults). */
  apiErrors: Counter<'operation' | 'status'>;
}

const NAMES = {
  evictions: 'gpuscope_kube_action_evictions_total',
  drains: 'gpuscope_kube_action_drains_total',
  apiErrors: 'gpuscope_kube_action_api_errors_total',
} as const;

/** On a registry; a second call on the same registry returns the metrics already there. */
export function createKubeActionMetrics(registry: Registry): KubeActionMetrics {
  const existing = registry.getSingleMetric(NAMES.evictions);
  if (existing) {
    return {
      evictions: existing as Counter<'outcome'>,
      drains: registry.getSingleMetric(NAMES.drains) as Counter<'outcome'>,
      apiErrors: registry.getSingleMetric(NAMES.apiErrors) as Counter<'operation' | 'status'>,
    };
  }
  const registers = [registry];
  return {
    evictions: new Counter({
      name: NAMES.evictions,
      help: 'Pod eviction requests, by outcome (evicted, gone, pdb_blocked, error).',
      labelNames: ['outcome'],
      registers,
    }),
    drains: new Counter({
      name: NAMES.drains,
      help: 'Node drains finished, by outcome (done, pdb_blocked, timeout, opted_out, failed, aborted).',
      labelNames: ['outcome'],
      registers,
    }),
    apiErrors: new Counter({
      name: NAMES.apiErrors,
      help: 'Failed Kubernetes API calls of the action executors, by operation and HTTP status.',
      labelNames: ['operation', 'status'],
      registers,
    }),
  };
}
