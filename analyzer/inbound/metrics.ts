import { Counter, type Registry } from 'prom-client';

export type InboundSource = 'alertmanager' | 'aws_events';
export type InboundResult = 'accepted' | 'duplicate' | 'rejected' | 'invalid';
export type SpotOutcome = 'handled' | 'stale' | 'hook_failed' | 'no_hook';

export interface InboundMetrics {
  /** Alerts (per alert) and events received; rejected and invalid count requests, since their content is unknown. */
  events: Counter<'source' | 'result'>;
  spot: Counter<'kind' | 'outcome'>;
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createInboundMetrics(registry: Registry): InboundMetrics {
  return {
    events: counter(
      registry,
      'gpuscope_inbound_events_total',
      'Inbound alerts and events by source and result (accepted, duplicate, rejected by auth, invalid body).',
      ['source', 'result'],
    ),
    spot: counter(
      registry,
      'gpuscope_inbound_spot_events_total',
      'New EC2 spot interruption and rebalance events by what was done: handled, stale (too old to act on), hook_failed, no_hook.',
      ['kind', 'outcome'],
    ),
  };
}
