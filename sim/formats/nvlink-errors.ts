import type { NvlinkFault, SimGpu } from '../types.js';
import type { NodeLabelBlocks } from './dcgm-exporter.js';

export interface NvlinkErrorSample {
  crcFlit: number;
  crcData: number;
  replay: number;
  recovery: number;
}

/** Counter families as dcgm-exporter's default-counters.csv names them (there commented out). */
export const nvlinkErrorFields = [
  {
    name: 'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL',
    help: 'Total number of NVLink flow-control CRC errors.',
    read: (s: NvlinkErrorSample) => s.crcFlit,
  },
  {
    name: 'DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL',
    help: 'Total number of NVLink data CRC errors.',
    read: (s: NvlinkErrorSample) => s.crcData,
  },
  {
    name: 'DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL',
    help: 'Total number of NVLink retries.',
    read: (s: NvlinkErrorSample) => s.replay,
  },
  {
    name: 'DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL',
    help: 'Total number of NVLink recovery errors.',
    read: (s: NvlinkErrorSample) => s.recovery,
  },
] as const;

const zero: NvlinkErrorSample = { crcFlit: 0, crcData: 0, replay: 0, recovery: 0 };

function countSince(fault: NvlinkFault, perSecond: number, tMs: number): number {
  return Math.floor((perSecond * Math.max(0, tMs - fault.fromMs)) / 1000);
}

/** A healthy GPU reads 0 on every error counter; a faulty one counts up steadily from its fault time. */
export function computeNvlinkErrors(gpu: SimGpu, tMs: number): NvlinkErrorSample {
  const fault = gpu.nvlinkFault;
  if (!fault) return zero;
  return {
    crcFlit: countSince(fault, fault.crcFlitPerSecond, tMs),
    crcData: countSince(fault, fault.crcDataPerSecond, tMs),
    replay: countSince(fault, fault.replayPerSecond, tMs),
    recovery: countSince(fault, fault.recoveryPerSecond, tMs),
  };
}

/** The four families, once per physical GPU (device labels, no GPU_I labels), appended to the body. */
export function renderNvlinkErrorText(
  blocks: NodeLabelBlocks,
  samples: readonly NvlinkErrorSample[],
): string {
  let text = '';
  for (const field of nvlinkErrorFields) {
    text += `# HELP ${field.name} ${field.help}\n# TYPE ${field.name} counter\n`;
    for (let g = 0; g < samples.length; g++) {
      text += `${field.name}${blocks.devices[g]} ${field.read(samples[g]!)}\n`;
    }
  }
  return text;
}
