import type { IbCounterName, IbPortSample } from '../fabric/ib-ports.js';
import { formatGoFloat } from './go-float.js';

/** What `/sys/class/infiniband/<dev>` says about a ConnectX-7 HCA. */
export const connectX7 = {
  hcaType: 'MT4129',
  boardId: 'MT_0000000838',
  firmwareVersion: '28.39.2048',
} as const;

interface CounterFamily {
  suffix: string;
  help: string;
  file: IbCounterName;
  /** node_exporter multiplies the 4-byte-word data counters into octets. */
  scale: number;
}

const counter = (suffix: string, file: IbCounterName, help: string, scale = 1): CounterFamily => ({
  suffix,
  file,
  help,
  scale,
});

/**
 * node_exporter's infiniband collector families for the files an mlx5 port has, HELP texts copied
 * from its e2e fixture. `port_discards_received_total` is absent: mlx5 has no `port_rcv_discards`.
 */
const counterFamilies: readonly CounterFamily[] = [
  counter(
    'link_downed_total',
    'link_downed',
    'Number of times the link failed to recover from an error state and went down',
  ),
  counter(
    'link_error_recovery_total',
    'link_error_recovery',
    'Number of times the link successfully recovered from an error state',
  ),
  counter(
    'multicast_packets_received_total',
    'multicast_rcv_packets',
    'Number of multicast packets received (including errors)',
  ),
  counter(
    'multicast_packets_transmitted_total',
    'multicast_xmit_packets',
    'Number of multicast packets transmitted (including errors)',
  ),
  counter(
    'port_constraint_errors_received_total',
    'port_rcv_constraint_errors',
    'Number of packets received on the switch physical port that are discarded',
  ),
  counter(
    'port_constraint_errors_transmitted_total',
    'port_xmit_constraint_errors',
    'Number of packets not transmitted from the switch physical port',
  ),
  counter(
    'port_data_received_bytes_total',
    'port_rcv_data',
    'Number of data octets received on all links',
    4,
  ),
  counter(
    'port_data_transmitted_bytes_total',
    'port_xmit_data',
    'Number of data octets transmitted on all links',
    4,
  ),
  counter(
    'port_discards_transmitted_total',
    'port_xmit_discards',
    'Number of outbound packets discarded by the port because the port is down or congested',
  ),
  counter(
    'port_errors_received_total',
    'port_rcv_errors',
    'Number of packets containing an error that were received on this port',
  ),
  counter(
    'port_packets_received_total',
    'port_rcv_packets',
    'Number of packets received on all VLs by this port (including errors)',
  ),
  counter(
    'port_packets_transmitted_total',
    'port_xmit_packets',
    'Number of packets transmitted on all VLs from this port (including errors)',
  ),
  counter(
    'port_transmit_wait_total',
    'port_xmit_wait',
    'Number of ticks during which the port had data to transmit but no data was sent during the entire tick',
  ),
  counter(
    'unicast_packets_received_total',
    'unicast_rcv_packets',
    'Number of unicast packets received (including errors)',
  ),
  counter(
    'unicast_packets_transmitted_total',
    'unicast_xmit_packets',
    'Number of unicast packets transmitted (including errors)',
  ),
];

interface GaugeFamily {
  suffix: string;
  help: string;
  read: (port: IbPortSample) => number;
}

const gaugeFamilies: readonly GaugeFamily[] = [
  {
    suffix: 'physical_state_id',
    help: 'Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)',
    read: (port) => port.physStateId,
  },
  {
    suffix: 'rate_bytes_per_second',
    help: 'Maximum signal transfer rate',
    read: (port) => port.rateBytesPerSecond,
  },
  {
    suffix: 'state_id',
    help: 'State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)',
    read: (port) => port.stateId,
  },
];

type Family = {
  suffix: string;
  help: string;
  type: 'counter' | 'gauge';
  read: (port: IbPortSample) => number;
};

/** Every family in the name order client_golang's registry gathers them in. */
const families: readonly Family[] = [
  ...counterFamilies.map(
    (f): Family => ({
      suffix: f.suffix,
      help: f.help,
      type: 'counter',
      read: (port) => port.counters[f.file] * f.scale,
    }),
  ),
  ...gaugeFamilies.map((f): Family => ({ ...f, type: 'gauge' })),
].sort((a, b) => (a.suffix < b.suffix ? -1 : 1));

function renderInfo(ports: readonly IbPortSample[]): string {
  const name = 'node_infiniband_info';
  let text = `# HELP ${name} Non-numeric data from /sys/class/infiniband/<device>, value is always 1.\n# TYPE ${name} gauge\n`;
  for (const port of ports) {
    text += `${name}{board_id="${connectX7.boardId}",device="${port.device}",firmware_version="${connectX7.firmwareVersion}",hca_type="${connectX7.hcaType}"} 1\n`;
  }
  return text;
}

/** The `node_infiniband_*` part of a node_exporter `/metrics` body for the node's HCA ports. */
export function renderNodeExporterIbText(ports: readonly IbPortSample[]): string {
  const sorted = [...ports].sort((a, b) =>
    a.device < b.device ? -1 : a.device > b.device ? 1 : a.port - b.port,
  );
  let text = renderInfo(sorted);
  for (const family of families) {
    const name = `node_infiniband_${family.suffix}`;
    text += `# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n`;
    for (const port of sorted) {
      text += `${name}{device="${port.device}",port="${port.port}"} ${formatGoFloat(family.read(port))}\n`;
    }
  }
  return text;
}
