/** Where a capture or exposition could not be read: the file, the section (`idle :: dmon …`), the line, the field. */
export interface NvidiaSmiParseError {
  source: string;
  section: string | null;
  /** 1-based line in the whole file. */
  line: number;
  field: string | null;
  reason: string;
  /** All of the above in one sentence, for logs and test messages. */
  message: string;
}

export function createParseError(
  at: { source: string; section?: string | null; line: number; field?: string | null },
  reason: string,
): NvidiaSmiParseError {
  const section = at.section ?? null;
  const field = at.field ?? null;
  const where = `${at.source}:${at.line}${section === null ? '' : ` (${section})`}`;
  return {
    source: at.source,
    section,
    line: at.line,
    field,
    reason,
    message: `${where}: ${field === null ? '' : `${field}: `}${reason}`,
  };
}

/** Thrown inside a parser and turned into a Result at its public boundary. */
export class NvidiaSmiParseFailure extends Error {
  readonly detail: NvidiaSmiParseError;
  constructor(detail: NvidiaSmiParseError) {
    super(detail.message);
    this.name = 'NvidiaSmiParseFailure';
    this.detail = detail;
  }
}

/** One `nvidia-smi --query-gpu=… --format=csv` row. Units are converted: ratios 0–1, bytes, Hz, W. */
export interface QueryGpuReading {
  line: number;
  timestamp: string | null;
  index: number | null;
  uuid: string | null;
  name: string | null;
  utilizationGpuRatio: number | null;
  utilizationMemoryRatio: number | null;
  encoderUtilizationRatio: number | null;
  decoderUtilizationRatio: number | null;
  encoderSessionCount: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  powerDrawWatts: number | null;
  powerLimitWatts: number | null;
  smClockHz: number | null;
  smClockMaxHz: number | null;
  /** `clocks_event_reasons.gpu_idle`: the driver holds clocks down because nothing runs. */
  gpuIdleClockEvent: boolean | null;
  migModeEnabled: boolean | null;
  pcieLinkGen: number | null;
  pcieLinkWidth: number | null;
  /** Every column by its name without the unit (`power.draw`), as printed; null for `[N/A]` and other `[…]`. */
  fields: ReadonlyMap<string, string | null>;
}

/** One `nvidia-smi dmon` row (one GPU, one second). Null where the column is absent or printed `-`. */
export interface DmonReading {
  line: number;
  gpu: number;
  powerWatts: number | null;
  gpuTemperatureCelsius: number | null;
  memoryTemperatureCelsius: number | null;
  smRatio: number | null;
  memoryRatio: number | null;
  encoderRatio: number | null;
  decoderRatio: number | null;
  memoryClockHz: number | null;
  smClockHz: number | null;
  framebufferUsedBytes: number | null;
  pcieRxBytesPerSecond: number | null;
  pcieTxBytesPerSecond: number | null;
  /** Every column by its header name, converted by its unit (`%` to a ratio, `MHz` to Hz, `MB` to bytes). */
  columns: ReadonlyMap<string, number | null>;
}
