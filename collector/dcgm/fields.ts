/**
 * The DCGM fields gpuscope rolls up, keyed by exporter metric name, with the factor that turns the
 * exporter's unit into gpuscope's base unit (ratio 0–1, bytes, joules, hertz, watts, celsius).
 */
export type FieldId =
  | 'gpuUtil'
  | 'grEngineActive'
  | 'smActive'
  | 'tensorActive'
  | 'dramActive'
  | 'encoderUtil'
  | 'decoderUtil'
  | 'memoryUsed'
  | 'memoryFree'
  | 'memoryReserved'
  | 'memoryTotal'
  | 'power'
  | 'energyCounter'
  | 'gpuTemperature'
  | 'smClock'
  | 'xid'
  | 'clockEventReasons'
  | 'pcieTx'
  | 'pcieRx'
  | 'nvlinkTx'
  | 'nvlinkRx'
  | 'memoryTemperature'
  | 'powerLimit'
  | 'pcieReplayCounter'
  | 'eccSbeVolatileTotal'
  | 'eccDbeVolatileTotal'
  | 'rowRemapFailure'
  | 'uncorrectableRemappedRows'
  | 'correctableRemappedRows';

export interface FieldSpec {
  id: FieldId;
  /** Multiply the exporter's value by this to get the base unit. */
  scale: number;
  unit:
    | 'ratio'
    | 'bytes'
    | 'joules'
    | 'hertz'
    | 'watts'
    | 'celsius'
    | 'code'
    | 'bitmask'
    | 'bytes_per_second'
    | 'count'
    | 'boolean';
}

const MiB = 1024 * 1024;

const canonical: Record<string, FieldSpec> = {
  DCGM_FI_DEV_GPU_UTIL: { id: 'gpuUtil', scale: 0.01, unit: 'ratio' },
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: { id: 'grEngineActive', scale: 1, unit: 'ratio' },
  DCGM_FI_PROF_SM_ACTIVE: { id: 'smActive', scale: 1, unit: 'ratio' },
  DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: { id: 'tensorActive', scale: 1, unit: 'ratio' },
  DCGM_FI_PROF_DRAM_ACTIVE: { id: 'dramActive', scale: 1, unit: 'ratio' },
  DCGM_FI_DEV_ENC_UTIL: { id: 'encoderUtil', scale: 0.01, unit: 'ratio' },
  DCGM_FI_DEV_DEC_UTIL: { id: 'decoderUtil', scale: 0.01, unit: 'ratio' },
  DCGM_FI_DEV_FB_USED: { id: 'memoryUsed', scale: MiB, unit: 'bytes' },
  DCGM_FI_DEV_FB_FREE: { id: 'memoryFree', scale: MiB, unit: 'bytes' },
  DCGM_FI_DEV_FB_RESERVED: { id: 'memoryReserved', scale: MiB, unit: 'bytes' },
  DCGM_FI_DEV_FB_TOTAL: { id: 'memoryTotal', scale: MiB, unit: 'bytes' },
  DCGM_FI_DEV_POWER_USAGE: { id: 'power', scale: 1, unit: 'watts' },
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: { id: 'energyCounter', scale: 0.001, unit: 'joules' },
  DCGM_FI_DEV_GPU_TEMP: { id: 'gpuTemperature', scale: 1, unit: 'celsius' },
  DCGM_FI_DEV_SM_CLOCK: { id: 'smClock', scale: 1e6, unit: 'hertz' },
  DCGM_FI_DEV_XID_ERRORS: { id: 'xid', scale: 1, unit: 'code' },
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: { id: 'clockEventReasons', scale: 1, unit: 'bitmask' },
  DCGM_FI_DEV_CLOCKS_EVENT_REASONS: { id: 'clockEventReasons', scale: 1, unit: 'bitmask' },
  DCGM_FI_PROF_PCIE_TX_BYTES: { id: 'pcieTx', scale: 1, unit: 'bytes_per_second' },
  DCGM_FI_PROF_PCIE_RX_BYTES: { id: 'pcieRx', scale: 1, unit: 'bytes_per_second' },
  DCGM_FI_PROF_NVLINK_TX_BYTES: { id: 'nvlinkTx', scale: 1, unit: 'bytes_per_second' },
  DCGM_FI_PROF_NVLINK_RX_BYTES: { id: 'nvlinkRx', scale: 1, unit: 'bytes_per_second' },
  DCGM_FI_DEV_MEMORY_TEMP: { id: 'memoryTemperature', scale: 1, unit: 'celsius' },
  DCGM_FI_DEV_POWER_MGMT_LIMIT: { id: 'powerLimit', scale: 1, unit: 'watts' },
  DCGM_FI_DEV_PCIE_REPLAY_COUNTER: { id: 'pcieReplayCounter', scale: 1, unit: 'count' },
  DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: { id: 'eccSbeVolatileTotal', scale: 1, unit: 'count' },
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: { id: 'eccDbeVolatileTotal', scale: 1, unit: 'count' },
  DCGM_FI_DEV_ROW_REMAP_FAILURE: { id: 'rowRemapFailure', scale: 1, unit: 'boolean' },
  DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS: { id: 'uncorrectableRemappedRows', scale: 1, unit: 'count' },
  DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS: { id: 'correctableRemappedRows', scale: 1, unit: 'count' },
};

/** Monotonic counters: rolled up as the increase between readings, never as mean or max. */
export const counterFieldIds: ReadonlySet<FieldId> = new Set<FieldId>([
  'energyCounter',
  'pcieReplayCounter',
  'eccSbeVolatileTotal',
  'eccDbeVolatileTotal',
]);

/** dcgm-exporter 1.x names (`dcgm_*`), still seen on old installations. */
const legacyAliases: Record<string, string> = {
  DCGM_GPU_UTILIZATION: 'DCGM_FI_DEV_GPU_UTIL',
  DCGM_FB_USED: 'DCGM_FI_DEV_FB_USED',
  DCGM_FB_FREE: 'DCGM_FI_DEV_FB_FREE',
  DCGM_POWER_USAGE: 'DCGM_FI_DEV_POWER_USAGE',
  DCGM_TOTAL_ENERGY_CONSUMPTION: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
  DCGM_GPU_TEMP: 'DCGM_FI_DEV_GPU_TEMP',
  DCGM_SM_CLOCK: 'DCGM_FI_DEV_SM_CLOCK',
  DCGM_XID_ERRORS: 'DCGM_FI_DEV_XID_ERRORS',
  DCGM_ENC_UTILIZATION: 'DCGM_FI_DEV_ENC_UTIL',
  DCGM_DEC_UTILIZATION: 'DCGM_FI_DEV_DEC_UTIL',
};

const byName = new Map<string, FieldSpec | null>();

/**
 * The field for an exporter metric name, or undefined. Accepts the upper-case names, the lower-case
 * ones `--use-old-namespace` prints, and 1.x `dcgm_*` names. Results are memoised per name.
 */
export function lookupField(metricName: string): FieldSpec | undefined {
  let spec = byName.get(metricName);
  if (spec === undefined) {
    const upper = metricName.toUpperCase();
    spec = canonical[upper] ?? canonical[legacyAliases[upper] ?? ''] ?? null;
    if (byName.size < 10_000) byName.set(metricName, spec);
  }
  return spec ?? undefined;
}

/** The PromQL metric names to query for each field, first the modern name. */
export function metricNamesByField(): Map<FieldId, string[]> {
  const out = new Map<FieldId, string[]>();
  for (const [name, spec] of Object.entries(canonical)) {
    const names = out.get(spec.id) ?? [];
    names.push(name);
    out.set(spec.id, names);
  }
  return out;
}

/**
 * DCGM prints "blank" sentinels for values it has not got (DCGM_INT64_BLANK ~ 9.22e18 and its
 * neighbours, DCGM_INT32_BLANK 0x7ffffff0, DCGM_FP64_BLANK 140737488355328). They are not readings.
 */
export function isDcgmBlank(value: number, field: FieldId): boolean {
  if (!Number.isFinite(value) || value >= 9.2e18 || value === 140737488355328) return true;
  // A 64-bit counter legitimately passes through the int32 sentinel range; gauges never do.
  return !counterFieldIds.has(field) && value >= 2147483632 && value <= 2147483647;
}
