import { Counter, Gauge, type Registry } from 'prom-client';
import type { PortRates } from './compute-port-rates.js';
import type { LinkObservation } from './types.js';

export type FabricMetrics = ReturnType<typeof createFabricMetrics>;

const linkLabels = ['link_type', 'node', 'device', 'port'] as const;

/**
 * Per-link gauges from the newest reading, and error counters. Labels are bounded by the hardware
 * (node, HCA or GPU, port); error counter names come from a fixed list.
 */
export function createFabricMetrics(registry: Registry) {
  const registers = [registry];
  return {
    transmitBytes: new Gauge({
      name: 'gpuscope_link_transmit_bytes_per_second',
      help: 'Bytes per second sent on the link at the newest reading.',
      labelNames: linkLabels,
      registers,
    }),
    receiveBytes: new Gauge({
      name: 'gpuscope_link_receive_bytes_per_second',
      help: 'Bytes per second received on the link at the newest reading.',
      labelNames: linkLabels,
      registers,
    }),
    utilization: new Gauge({
      name: 'gpuscope_link_utilization_ratio',
      help: "The busier direction's share of the link speed (0-1) at the newest reading.",
      labelNames: linkLabels,
      registers,
    }),
    xmitWait: new Gauge({
      name: 'gpuscope_link_xmit_wait_ticks_per_second',
      help: 'InfiniBand port_xmit_wait ticks per second: time with data to send and no credits (congestion).',
      labelNames: linkLabels,
      registers,
    }),
    errors: new Counter({
      name: 'gpuscope_link_errors_total',
      help: 'Link error counter increases seen by gpuscope, by counter name (symbol_error, link_downed, crc_flit, ...).',
      labelNames: [...linkLabels, 'counter'],
      registers,
    }),
    stateChanges: new Counter({
      name: 'gpuscope_link_state_changes_total',
      help: 'Changes of an InfiniBand port state or physical state between readings.',
      labelNames: linkLabels,
      registers,
    }),
    suspect: new Gauge({
      name: 'gpuscope_link_suspect',
      help: '1 when the newest NVLink reading is zero traffic on a busy GPU of a multi-GPU job (not believed), else 0.',
      labelNames: linkLabels,
      registers,
    }),
    ports: new Gauge({
      name: 'gpuscope_fabric_ports',
      help: 'InfiniBand ports read in the last fabric cycle, by source (sysfs, node_exporter).',
      labelNames: ['source'],
      registers,
    }),
    readIssues: new Counter({
      name: 'gpuscope_fabric_read_issues_total',
      help: 'sysfs files or exposition lines that could not be used (missing, unreadable, N/A, malformed).',
      labelNames: ['source'],
      registers,
    }),
  };
}

export function recordLinkObservation(metrics: FabricMetrics, o: LinkObservation | PortRates): void {
  const labels = { link_type: o.linkType, node: o.node, device: o.device, port: String(o.port) };
  if (o.txBytesPerSecond !== null) metrics.transmitBytes.set(labels, o.txBytesPerSecond);
  if (o.rxBytesPerSecond !== null) metrics.receiveBytes.set(labels, o.rxBytesPerSecond);
  if (o.utilizationRatio !== null) metrics.utilization.set(labels, o.utilizationRatio);
  if (o.xmitWaitTicksPerSecond !== null) metrics.xmitWait.set(labels, o.xmitWaitTicksPerSecond);
  for (const [counter, delta] of Object.entries(o.errorDeltas)) {
    if (delta > 0) metrics.errors.inc({ ...labels, counter }, delta);
  }
  if (o.stateChanged) metrics.stateChanges.inc(labels);
  if (o.linkType === 'nvlink') metrics.suspect.set(labels, o.suspect ? 1 : 0);
}
