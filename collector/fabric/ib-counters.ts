import type { CounterSpec } from './compute-counter-delta.js';

/** 32-bit word counters scaled to bytes: the reading a stuck legacy PMA data counter gives. */
const SATURATED_WORDS_AS_BYTES = 4294967295 * 4;

const data: CounterSpec = { widthBits: 64, saturatedAt: SATURATED_WORDS_AS_BYTES };

/**
 * Widths from the IBA PortCounters attribute; sysfs prints each at its width. Data and packet
 * counters are 64-bit where the HCA has PortCountersExtended (every mlx4/mlx5), which is what the
 * kernel then shows under `counters/`.
 */
export const IB_COUNTER_SPECS: Readonly<Record<string, CounterSpec>> = {
  port_xmit_data: data,
  port_rcv_data: data,
  port_xmit_data_64: { widthBits: 64 },
  port_rcv_data_64: { widthBits: 64 },
  port_xmit_wait: { widthBits: 32 },
  symbol_error: { widthBits: 16 },
  link_error_recovery: { widthBits: 8 },
  link_downed: { widthBits: 8 },
  port_rcv_errors: { widthBits: 16 },
  port_rcv_remote_physical_errors: { widthBits: 16 },
  port_rcv_switch_relay_errors: { widthBits: 16 },
  port_xmit_discards: { widthBits: 16 },
  port_rcv_discards: { widthBits: 16 },
  port_xmit_constraint_errors: { widthBits: 8 },
  port_rcv_constraint_errors: { widthBits: 8 },
  local_link_integrity_errors: { widthBits: 4 },
  excessive_buffer_overrun_errors: { widthBits: 4 },
  VL15_dropped: { widthBits: 16 },
};

/** Counters whose increments are faults; summed per minute into `errorDeltas`. */
export const IB_ERROR_COUNTERS: readonly string[] = [
  'symbol_error',
  'link_downed',
  'link_error_recovery',
  'port_rcv_errors',
  'port_rcv_remote_physical_errors',
  'port_rcv_switch_relay_errors',
  'port_xmit_discards',
  'port_rcv_discards',
  'port_xmit_constraint_errors',
  'port_rcv_constraint_errors',
  'local_link_integrity_errors',
  'excessive_buffer_overrun_errors',
  'VL15_dropped',
];

/** RoCE/RDMA `hw_counters` that count faults or congestion signals (mlx5 names). 64-bit software counters. */
export const IB_HW_ERROR_COUNTERS: readonly string[] = [
  'out_of_sequence',
  'packet_seq_err',
  'out_of_buffer',
  'local_ack_timeout_err',
  'implied_nak_seq_err',
  'duplicate_request',
  'rnr_nak_retry_err',
  'req_cqe_error',
  'resp_cqe_error',
  'req_remote_access_errors',
  'resp_remote_access_errors',
  'req_remote_invalid_request',
  'resp_local_length_error',
  'roce_adp_retrans',
  'roce_adp_retrans_to',
  'roce_slow_restart',
  'np_cnp_sent',
  'np_ecn_marked_roce_packets',
  'rp_cnp_handled',
  'rp_cnp_ignored',
];

export const HW_COUNTER_SPEC: CounterSpec = { widthBits: 64 };

/** The counter a port's bytes are taken from: the explicit 64-bit one where the driver has both. */
export function dataCounterName(
  counters: Readonly<Record<string, number>>,
  direction: 'xmit' | 'rcv',
): string {
  const wide = `port_${direction}_data_64`;
  return counters[wide] !== undefined ? wide : `port_${direction}_data`;
}
