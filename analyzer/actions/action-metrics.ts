import { Counter, Gauge, type Registry } from 'prom-client';

export interface ActionMetrics {
  /** Every state an action entered, by kind (bounded: 9 kinds × 8 states). */
  transitions: Counter<'kind' | 'state'>;
  failed: Counter<'kind'>;
  paused: Gauge;
  realizedSavingsUsd: Counter;
}

/**
 * The action metrics on a registry; a second call on the same registry returns the same metrics, so the engine and
 * the API routes of one process share them.
 */
export function createActionMetrics(registry: Registry): ActionMetrics {
  const existing = registry.getSingleMetric('gpuscope_actions_total');
  if (existing) {
    return {
      transitions: existing as Counter<'kind' | 'state'>,
      failed: registry.getSingleMetric('gpuscope_actions_failed_total') as Counter<'kind'>,
      paused: registry.getSingleMetric('gpuscope_actions_paused') as Gauge,
      realizedSavingsUsd: registry.getSingleMetric('gpuscope_action_realized_savings_usd_total') as Counter,
    };
  }
  return {
    transitions: new Counter({
      name: 'gpuscope_actions_total',
      help: 'Action state transitions, by action kind and the state entered.',
      labelNames: ['kind', 'state'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'gpuscope_actions_failed_total',
      help: 'Actions that entered the failed state, by action kind.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'gpuscope_actions_paused',
      help: '1 while the global action pause switch is on, else 0.',
      registers: [registry],
    }),
    realizedSavingsUsd: new Counter({
      name: 'gpuscope_action_realized_savings_usd_total',
      help: 'Realized savings of done actions in US dollars (cost before minus after over equal windows).',
      registers: [registry],
    }),
  };
}
