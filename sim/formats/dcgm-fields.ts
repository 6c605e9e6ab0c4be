import type { ActivitySample, GpuSample } from '../types.js';

/**
 * Where a field is printed:
 * - `device`: once per physical GPU, MIG or not;
 * - `device-whole`: once per GPU, left out for a MIG GPU (nvidia-smi reports N/A there);
 * - `activity`: once per whole GPU, or once per GPU instance of a MIG GPU.
 */
export type FieldScope = 'device' | 'device-whole' | 'activity';

export type PromType = 'gauge' | 'counter';

interface FieldBase {
  name: string;
  promType: PromType;
  help: string;
}

export type DcgmField =
  | (FieldBase & { scope: 'device' | 'device-whole'; format: (sample: GpuSample) => string })
  | (FieldBase & { scope: 'activity'; format: (sample: ActivitySample) => string });

/** DCGM double fields print with six decimals (`8.969000`), integer fields bare (`300`). */
export function formatFloat(value: number): string {
  return value.toFixed(6);
}

export function formatInteger(value: number): string {
  return String(Math.round(value));
}

const ratioHelp = {
  gr: 'Ratio of time the graphics engine is active.',
  sm: 'The ratio of cycles an SM has at least 1 warp assigned.',
  occupancy: 'The ratio of number of warps resident on an SM.',
  tensor: 'Ratio of cycles the tensor (HMMA) pipe is active.',
  dram: 'Ratio of cycles the device memory interface is active sending or receiving data.',
};

/**
 * The fields the simulator prints, in dcgm-exporter's order. Help strings are dcgm-exporter's
 * `etc/default-counters.csv` / `dcp-metrics-included.csv` ones (the ECC volatile totals are there but
 * commented out). Four fields are not in that CSV: the NVLink PROF fields (help from dcgm-exporter 2.x
 * `dcp-metrics-included.csv`), and CLOCK_THROTTLE_REASONS and POWER_MGMT_LIMIT (help from DCGM's
 * `dcgm_fields.h`, as custom counter files use it).
 */
export const dcgmFields: readonly DcgmField[] = [
  device('DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).', (s) => formatInteger(s.smClockMhz)),
  device('DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).', (s) =>
    formatInteger(s.memClockMhz),
  ),
  device('DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).', (s) =>
    formatInteger(s.memoryTempC),
  ),
  device('DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).', (s) => formatInteger(s.gpuTempC)),
  device('DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).', (s) => formatFloat(s.powerW)),
  device('DCGM_FI_DEV_POWER_MGMT_LIMIT', 'gauge', 'Current Power limit for the device', (s) =>
    formatFloat(s.powerLimitW),
  ),
  device(
    'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
    'counter',
    'Total energy consumption since boot (in mJ).',
    (s) => formatInteger(s.energyMj),
  ),
  device('DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'Total number of PCIe retries.', (s) =>
    formatInteger(s.pcieReplayCount),
  ),
  wholeGpu('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', (s) => formatInteger(s.gpuUtilPercent)),
  wholeGpu('DCGM_FI_DEV_MEM_COPY_UTIL', 'Memory utilization (in %).', (s) =>
    formatInteger(s.memCopyUtilPercent),
  ),
  device('DCGM_FI_DEV_ENC_UTIL', 'gauge', 'Encoder utilization (in %).', (s) =>
    formatInteger(s.encUtilPercent),
  ),
  device('DCGM_FI_DEV_DEC_UTIL', 'gauge', 'Decoder utilization (in %).', (s) =>
    formatInteger(s.decUtilPercent),
  ),
  device('DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Value of the last XID error encountered.', (s) =>
    formatInteger(s.xidCode),
  ),
  activity('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', (a) => formatInteger(a.fbFreeMib)),
  activity('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', (a) => formatInteger(a.fbUsedMib)),
  device('DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'counter', 'Total number of single-bit volatile ECC errors.', (s) =>
    formatInteger(s.eccSbeVolatileTotal),
  ),
  device('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'counter', 'Total number of double-bit volatile ECC errors.', (s) =>
    formatInteger(s.eccDbeVolatileTotal),
  ),
  device(
    'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS',
    'counter',
    'Number of remapped rows for uncorrectable errors',
    (s) => formatInteger(s.uncorrectableRemappedRows),
  ),
  device(
    'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS',
    'counter',
    'Number of remapped rows for correctable errors',
    (s) => formatInteger(s.correctableRemappedRows),
  ),
  device('DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge', 'Whether remapping of rows has failed', (s) =>
    formatInteger(s.rowRemapFailure),
  ),
  device(
    'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
    'gauge',
    'Current clock throttle reasons (bitmask of DCGM_CLOCKS_THROTTLE_REASON_*)',
    (s) => formatInteger(s.throttleReasonsMask),
  ),
  activity('DCGM_FI_PROF_GR_ENGINE_ACTIVE', ratioHelp.gr, (a) => formatFloat(a.grEngineActiveRatio)),
  activity('DCGM_FI_PROF_SM_ACTIVE', ratioHelp.sm, (a) => formatFloat(a.smActiveRatio)),
  activity('DCGM_FI_PROF_SM_OCCUPANCY', ratioHelp.occupancy, (a) => formatFloat(a.smOccupancyRatio)),
  activity('DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', ratioHelp.tensor, (a) => formatFloat(a.tensorActiveRatio)),
  activity('DCGM_FI_PROF_DRAM_ACTIVE', ratioHelp.dram, (a) => formatFloat(a.dramActiveRatio)),
  device(
    'DCGM_FI_PROF_PCIE_TX_BYTES',
    'gauge',
    'The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
    (s) => formatInteger(s.pcieTxBytesPerSecond),
  ),
  device(
    'DCGM_FI_PROF_PCIE_RX_BYTES',
    'gauge',
    'The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
    (s) => formatInteger(s.pcieRxBytesPerSecond),
  ),
  device(
    'DCGM_FI_PROF_NVLINK_TX_BYTES',
    'gauge',
    'The number of bytes of active NvLink tx (transmit) data including both header and payload.',
    (s) => formatInteger(s.nvlinkTxBytesPerSecond),
  ),
  device(
    'DCGM_FI_PROF_NVLINK_RX_BYTES',
    'gauge',
    'The number of bytes of active NvLink rx (read) data including both header and payload.',
    (s) => formatInteger(s.nvlinkRxBytesPerSecond),
  ),
];

/** Fields the simulator prints that dcgm-exporter's default-counters.csv does not list. */
export const fieldsOutsideDefaultCounters: readonly string[] = [
  'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
  'DCGM_FI_DEV_POWER_MGMT_LIMIT',
  'DCGM_FI_PROF_NVLINK_TX_BYTES',
  'DCGM_FI_PROF_NVLINK_RX_BYTES',
];

function device(name: string, promType: PromType, help: string, format: (s: GpuSample) => string): DcgmField {
  return { name, promType, help, scope: 'device', format };
}

function wholeGpu(name: string, help: string, format: (s: GpuSample) => string): DcgmField {
  return { name, promType: 'gauge', help, scope: 'device-whole', format };
}

function activity(name: string, help: string, format: (a: ActivitySample) => string): DcgmField {
  return { name, promType: 'gauge', help, scope: 'activity', format };
}
