import type { Sample } from '../dcgm/parse.js';
import type { FabricIssue, IbPortSnapshot, PortState } from './types.js';

const PREFIX = 'node_infiniband_';

/**
 * node_exporter's `node_infiniband_<name>` → the sysfs counter it reads (collector/infiniband_linux.go).
 * node_exporter already multiplies the data counters by 4, so they arrive in bytes like ours.
 */
const COUNTER_BY_METRIC: Readonly<Record<string, string>> = {
  port_data_transmitted_bytes_total: 'port_xmit_data',
  port_data_received_bytes_total: 'port_rcv_data',
  legacy_data_transmitted_bytes_total: 'port_xmit_data_64',
  legacy_data_received_bytes_total: 'port_rcv_data_64',
  port_packets_transmitted_total: 'port_xmit_packets',
  port_packets_received_total: 'port_rcv_packets',
  unicast_packets_transmitted_total: 'unicast_xmit_packets',
  unicast_packets_received_total: 'unicast_rcv_packets',
  multicast_packets_transmitted_total: 'multicast_xmit_packets',
  multicast_packets_received_total: 'multicast_rcv_packets',
  port_transmit_wait_total: 'port_xmit_wait',
  symbol_error_total: 'symbol_error',
  link_downed_total: 'link_downed',
  link_error_recovery_total: 'link_error_recovery',
  port_errors_received_total: 'port_rcv_errors',
  port_receive_remote_physical_errors_total: 'port_rcv_remote_physical_errors',
  port_receive_switch_relay_errors_total: 'port_rcv_switch_relay_errors',
  port_discards_transmitted_total: 'port_xmit_discards',
  port_discards_received_total: 'port_rcv_discards',
  port_constraint_errors_transmitted_total: 'port_xmit_constraint_errors',
  port_constraint_errors_received_total: 'port_rcv_constraint_errors',
  local_link_integrity_errors_total: 'local_link_integrity_errors',
  excessive_buffer_overrun_errors_total: 'excessive_buffer_overrun_errors',
  vl15_dropped_total: 'VL15_dropped',
};

/** node_exporter exports only the state ids; the names are the kernel's. */
const STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'DOWN',
  2: 'INIT',
  3: 'ARMED',
  4: 'ACTIVE',
  5: 'ACTIVE_DEFER',
};
const PHYS_STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'Sleep',
  2: 'Polling',
  3: 'Disabled',
  4: 'PortConfigurationTraining',
  5: 'LinkUp',
  6: 'LinkErrorRecovery',
  7: 'Phy Test',
};

export interface NodeExporterIbOptions {
  node: string;
  timestampMs: number;
  /** Names the scrape in issues. */
  source: string;
}

interface PortBuilder {
  snapshot: IbPortSnapshot;
  counters: Record<string, number>;
}

/** Port snapshots from the samples of one node_exporter scrape; other metrics are ignored. */
export function parseNodeExporterIb(
  samples: readonly Sample[],
  options: NodeExporterIbOptions,
): { snapshots: IbPortSnapshot[]; issues: FabricIssue[] } {
  const ports = new Map<string, PortBuilder>();
  const issues: FabricIssue[] = [];
  for (const sample of samples) {
    if (!sample.name.startsWith(PREFIX)) continue;
    const metric = sample.name.slice(PREFIX.length);
    if (metric === 'info') continue;
    const device = sample.labels.device;
    const port = Number(sample.labels.port);
    if (device === undefined || device === '' || !Number.isInteger(port)) {
      issues.push({
        source: options.source,
        line: sample.line,
        field: sample.name,
        reason: 'no device/port labels',
      });
      continue;
    }
    if (!Number.isFinite(sample.value) || sample.value < 0) {
      issues.push({
        source: options.source,
        line: sample.line,
        field: sample.name,
        reason: `bad value ${sample.value}`,
      });
      continue;
    }
    applySample(portFor(ports, device, port, options), metric, sample.value);
  }
  return { snapshots: [...ports.values()].map((p) => p.snapshot), issues };
}

function portFor(
  ports: Map<string, PortBuilder>,
  device: string,
  port: number,
  options: NodeExporterIbOptions,
): PortBuilder {
  const key = `${device}\u0000${port}`;
  let builder = ports.get(key);
  if (!builder) {
    const counters: Record<string, number> = {};
    builder = {
      counters,
      snapshot: {
        node: options.node,
        device,
        port,
        timestampMs: options.timestampMs,
        source: 'node_exporter',
        rateBitsPerSecond: null,
        state: null,
        physState: null,
        linkLayer: null,
        counters,
        hwCounters: {},
      },
    };
    ports.set(key, builder);
  }
  return builder;
}

function applySample(builder: PortBuilder, metric: string, value: number): void {
  const counter = COUNTER_BY_METRIC[metric];
  if (counter !== undefined) {
    builder.counters[counter] = value;
  } else if (metric === 'rate_bytes_per_second') {
    builder.snapshot.rateBitsPerSecond = value * 8;
  } else if (metric === 'state_id') {
    builder.snapshot.state = named(value, STATE_NAMES);
  } else if (metric === 'physical_state_id') {
    builder.snapshot.physState = named(value, PHYS_STATE_NAMES);
  }
}

function named(id: number, names: Readonly<Record<number, string>>): PortState {
  return { id, name: names[id] ?? `state ${id}` };
}
