import type { DashboardSpec } from '../lib/spec.js';
import { linkSel } from './selectors.js';

const ib = linkSel('infiniband');
const nv = linkSel('nvlink');
const nodeIb = 'cluster=~"$cluster", node=~"$node"';

export const fabric: DashboardSpec = {
  uid: 'gpuscope-fabric',
  file: 'fabric',
  title: 'Fabric: NVLink and InfiniBand',
  description:
    'Throughput, utilization, congestion and errors of InfiniBand ports (node_exporter or sysfs) and NVLinks (DCGM), as gpuscope computes them.',
  tags: ['fabric', 'infiniband', 'nvlink'],
  variables: ['cluster', 'node'],
  from: 'now-3h',
  rows: [
    {
      title: 'InfiniBand',
      panels: [
        {
          kind: 'stat',
          title: 'Ports read',
          description: 'InfiniBand ports gpuscope read in its last fabric cycle.',
          unit: 'short',
          queries: [{ expr: 'sum(gpuscope_fabric_ports{cluster=~"$cluster"})' }],
        },
        {
          kind: 'stat',
          title: 'Busiest port',
          description: "The busier direction's share of the port rate, on the busiest port.",
          unit: 'percentunit',
          thresholds: [
            { value: 0.7, color: 'orange' },
            { value: 0.9, color: 'red' },
          ],
          queries: [{ expr: `max(gpuscope_link_utilization_ratio{${ib}})` }],
        },
        {
          kind: 'stat',
          title: 'Ports not active',
          description: 'Ports whose state is not ACTIVE (state id 4) per node_exporter.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [{ expr: `sum(node_infiniband_state_id{${nodeIb}} != bool 4)` }],
        },
        {
          kind: 'stat',
          title: 'Fabric throughput',
          description: 'Bytes per second sent over all selected InfiniBand ports.',
          unit: 'Bps',
          queries: [{ expr: `sum(gpuscope_link_transmit_bytes_per_second{${ib}})` }],
          width: 12,
        },
        {
          kind: 'timeseries',
          title: 'InfiniBand throughput by node',
          description: 'Bytes per second sent and received per node (gpuscope, from port counters).',
          unit: 'Bps',
          queries: [
            { expr: `sum by (node) (gpuscope_link_transmit_bytes_per_second{${ib}})`, legend: '{{node}} tx' },
            { expr: `sum by (node) (gpuscope_link_receive_bytes_per_second{${ib}})`, legend: '{{node}} rx' },
          ],
        },
        {
          kind: 'timeseries',
          title: 'InfiniBand throughput (node_exporter)',
          description: 'The same traffic from the raw node_exporter counters, as a cross-check.',
          unit: 'Bps',
          queries: [
            {
              expr: `sum by (node) (rate(node_infiniband_port_data_transmitted_bytes_total{${nodeIb}}[$__rate_interval]))`,
              legend: '{{node}} tx',
            },
            {
              expr: `sum by (node) (rate(node_infiniband_port_data_received_bytes_total{${nodeIb}}[$__rate_interval]))`,
              legend: '{{node}} rx',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Busiest ports',
          description: 'The ten ports with the highest utilization against their rate.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [
            {
              expr: `topk(10, gpuscope_link_utilization_ratio{${ib}})`,
              legend: '{{node}} {{device}}/{{port}}',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Congestion (port_xmit_wait)',
          description:
            'Ticks per second a port had data to send and no credits: the ten most congested ports.',
          unit: 'short',
          queries: [
            {
              expr: `topk(10, gpuscope_link_xmit_wait_ticks_per_second{${ib}})`,
              legend: '{{node}} {{device}}/{{port}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Errors',
      panels: [
        {
          kind: 'table',
          title: 'Link errors in range',
          description:
            'Error counter increases gpuscope saw per link and counter (symbol_error, link_downed, crc_flit, ...).',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (link_type, node, device, counter) (increase(gpuscope_link_errors_total{cluster=~"$cluster", node=~"$node"}[$__range]))',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Link errors per second',
          description: 'Error rate by link type and counter.',
          unit: 'short',
          queries: [
            {
              expr: 'sum by (link_type, counter) (rate(gpuscope_link_errors_total{cluster=~"$cluster", node=~"$node"}[$__rate_interval]))',
              legend: '{{link_type}} {{counter}}',
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Port state changes',
          description: 'InfiniBand port state changes (a flapping link shows as repeated changes).',
          unit: 'short',
          queries: [
            {
              expr: `sum by (node, device) (increase(gpuscope_link_state_changes_total{${ib}}[$__rate_interval]))`,
              legend: '{{node}} {{device}}',
              expectEmptyInSim:
                'a state change is counted only when gpuscope sees a port change state, and the simulated flapping port stops flapping before the live run starts',
            },
          ],
        },
      ],
    },
    {
      title: 'NVLink',
      panels: [
        {
          kind: 'stat',
          title: 'Suspect NVLinks',
          description:
            'GPUs whose NVLink reads zero traffic while busy in a multi-GPU job: the counter is not believed.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'orange' }],
          queries: [{ expr: `sum(gpuscope_link_suspect{${nv}})` }],
        },
        {
          kind: 'timeseries',
          title: 'NVLink throughput by node',
          description: 'NVLink bytes per second sent and received per node.',
          unit: 'Bps',
          queries: [
            { expr: `sum by (node) (gpuscope_link_transmit_bytes_per_second{${nv}})`, legend: '{{node}} tx' },
            { expr: `sum by (node) (gpuscope_link_receive_bytes_per_second{${nv}})`, legend: '{{node}} rx' },
          ],
          width: 10,
        },
        {
          kind: 'timeseries',
          title: 'Busiest NVLinks',
          description: "The ten GPUs with the highest NVLink utilization against the model's link speed.",
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [
            { expr: `topk(10, gpuscope_link_utilization_ratio{${nv}})`, legend: '{{node}} {{device}}' },
          ],
          width: 10,
        },
      ],
    },
  ],
};
