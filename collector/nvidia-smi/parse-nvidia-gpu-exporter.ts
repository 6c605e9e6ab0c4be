import { err, ok, type Result } from '../../core/result.js';
import { parseExposition } from '../dcgm/parse.js';
import { createParseError, type NvidiaSmiParseError } from './types.js';

/** One GPU in one nvidia_gpu_exporter scrape. Null where the series is absent or NaN (nvidia-smi said N/A). */
export interface ExporterGpuReading {
  /** As exported: without the `GPU-` prefix nvidia-smi prints. */
  uuid: string;
  index: number | null;
  name: string | null;
  utilizationGpuRatio: number | null;
  utilizationMemoryRatio: number | null;
  encoderUtilizationRatio: number | null;
  decoderUtilizationRatio: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  powerDrawWatts: number | null;
  powerLimitWatts: number | null;
  smClockHz: number | null;
  smClockMaxHz: number | null;
  gpuIdleClockEvent: boolean | null;
  migModeEnabled: boolean | null;
  /** Processes with a compute context (`nvidia_smi_compute_app_*`, one series per pid). */
  processes: ExporterGpuProcess[];
  /** Every per-GPU `nvidia_smi_*` series (labelled by `uuid` alone) by metric name, NaN as null. */
  values: ReadonlyMap<string, number | null>;
}

export interface ExporterGpuProcess {
  pid: string;
  processName: string | null;
  usedMemoryBytes: number | null;
}

const PREFIX = 'nvidia_smi_';

/**
 * Parses nvidia_gpu_exporter `/metrics` text into one reading per `uuid` label. Series without a `uuid`
 * (`nvidia_smi_command_exit_code`, `nvidia_smi_failed_scrapes_total`) are about the scrape, not a GPU, and are
 * skipped. Any malformed line fails the whole file: a fixture or capture is read once and must be whole.
 */
export function parseNvidiaGpuExporter(
  text: string,
  source: string,
): Result<ExporterGpuReading[], NvidiaSmiParseError> {
  const parsed = parseExposition(text, { source, maxIssues: 1 });
  const issue = parsed.issues[0];
  if (issue !== undefined)
    return err(createParseError({ source, line: issue.line }, `${issue.reason}: ${issue.excerpt}`));
  const byUuid = new Map<string, GpuSeries>();
  for (const sample of parsed.samples) {
    const uuid = sample.labels['uuid'];
    if (uuid === undefined || !sample.name.startsWith(PREFIX)) continue;
    const gpu = byUuid.get(uuid) ?? { values: new Map(), info: {}, processes: new Map() };
    byUuid.set(uuid, gpu);
    const value = Number.isNaN(sample.value) ? null : sample.value;
    const pid = sample.labels['pid'];
    if (sample.name === `${PREFIX}gpu_info`) gpu.info = { ...sample.labels };
    else if (pid !== undefined && sample.name.startsWith(`${PREFIX}compute_app_`)) {
      const process = gpu.processes.get(pid) ?? {
        pid,
        processName: sample.labels['process_name'] ?? null,
        usedMemoryBytes: null,
      };
      if (sample.name === `${PREFIX}compute_app_used_memory_bytes`) process.usedMemoryBytes = value;
      gpu.processes.set(pid, process);
    } else if (Object.keys(sample.labels).length === 1) {
      if (gpu.values.has(sample.name))
        return err(
          createParseError(
            { source, line: sample.line, field: sample.name },
            `second series for uuid ${uuid}`,
          ),
        );
      gpu.values.set(sample.name, value);
    }
  }
  return ok([...byUuid].map(([uuid, gpu]) => toReading(uuid, gpu)));
}

interface GpuSeries {
  values: Map<string, number | null>;
  info: Record<string, string>;
  processes: Map<string, ExporterGpuProcess>;
}

function toReading(uuid: string, { values, info, processes }: GpuSeries): ExporterGpuReading {
  const v = (name: string) => values.get(PREFIX + name) ?? null;
  const flag = (name: string) => {
    const value = v(name);
    return value === null ? null : value !== 0;
  };
  const index = info['index'];
  return {
    uuid,
    index: index === undefined || !/^\d+$/.test(index) ? v('index') : Number(index),
    name: info['name'] ?? null,
    utilizationGpuRatio: v('utilization_gpu_ratio'),
    utilizationMemoryRatio: v('utilization_memory_ratio'),
    encoderUtilizationRatio: v('utilization_encoder_ratio'),
    decoderUtilizationRatio: v('utilization_decoder_ratio'),
    memoryUsedBytes: v('memory_used_bytes'),
    memoryTotalBytes: v('memory_total_bytes'),
    powerDrawWatts: v('power_draw_watts'),
    powerLimitWatts: v('power_limit_watts'),
    smClockHz: v('clocks_current_sm_clock_hz'),
    smClockMaxHz: v('clocks_max_sm_clock_hz'),
    gpuIdleClockEvent: flag('clocks_event_reasons_gpu_idle'),
    migModeEnabled: flag('mig_mode_current'),
    processes: [...processes.values()],
    values,
  };
}
