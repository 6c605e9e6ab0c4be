import { isDcgmBlank } from '../dcgm/fields.js';
import type { Sample } from '../dcgm/parse.js';

export type NvlinkErrorKind = 'crc_flit' | 'crc_data' | 'replay' | 'recovery';

/** The fields one link (or, at index -1, the whole GPU) reported in one scrape. */
export interface NvlinkLinkFields {
  /** DCGM_FI_PROF_NVLINK_TX/RX_BYTES: already a rate, bytes/s. */
  txBytesPerSecond?: number;
  rxBytesPerSecond?: number;
  /** DCGM_FI_DEV_NVLINK_BANDWIDTH_*: a cumulative byte counter, both directions together. */
  bandwidthCounter?: number;
  errors: Partial<Record<NvlinkErrorKind, number>>;
}

export interface GpuNvlinkFields {
  uuid: string;
  modelName: string | undefined;
  /** Highest of GR engine activity, SM activity and GPU util/100 in this scrape; null when none was read. */
  activityRatio: number | null;
  /** Link index → fields; -1 is the GPU total. */
  links: Map<number, NvlinkLinkFields>;
}

const ERROR_FIELD = /^DCGM_FI_DEV_NVLINK_(CRC_FLIT|CRC_DATA|REPLAY|RECOVERY)_ERROR_COUNT_(TOTAL|L(\d+))$/;
const BANDWIDTH_FIELD = /^DCGM_FI_DEV_NVLINK_BANDWIDTH_(TOTAL|L(\d+))$/;
const ERROR_KIND: Readonly<Record<string, NvlinkErrorKind>> = {
  CRC_FLIT: 'crc_flit',
  CRC_DATA: 'crc_data',
  REPLAY: 'replay',
  RECOVERY: 'recovery',
};
const ACTIVITY_SCALE: Readonly<Record<string, number>> = {
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: 1,
  DCGM_FI_PROF_SM_ACTIVE: 1,
  DCGM_FI_DEV_GPU_UTIL: 0.01,
};

/**
 * Groups one scrape's NVLink and activity samples by GPU UUID and link. Link-entity series name their
 * GPU with `gpu_uuid` and their link with an `nvlink`/`link` label; per-GPU series use `UUID`. MIG
 * instance series (GPU_I_ID) are skipped: NVLink belongs to the whole GPU.
 */
export function groupNvlinkSamples(samples: readonly Sample[]): Map<string, GpuNvlinkFields> {
  const gpus = new Map<string, GpuNvlinkFields>();
  for (const sample of samples) {
    const name = sample.name.toUpperCase();
    const activityScale = ACTIVITY_SCALE[name];
    if (
      activityScale === undefined &&
      !name.startsWith('DCGM_FI_PROF_NVLINK_') &&
      !name.startsWith('DCGM_FI_DEV_NVLINK_')
    )
      continue;
    const labels = sample.labels;
    const uuid = labels.gpu_uuid ?? labels.UUID ?? labels.uuid;
    if (uuid === undefined || uuid === '' || (labels.GPU_I_ID ?? '') !== '') continue;
    const gpu = gpuFor(gpus, uuid, labels.modelName);
    if (activityScale !== undefined) {
      if (!isDcgmBlank(sample.value, 'grEngineActive')) {
        gpu.activityRatio = Math.max(gpu.activityRatio ?? 0, sample.value * activityScale);
      }
      continue;
    }
    applyNvlinkSample(gpu, name, sample.value, linkLabel(labels));
  }
  return gpus;
}

function applyNvlinkSample(
  gpu: GpuNvlinkFields,
  name: string,
  value: number,
  labelLink: number | undefined,
): void {
  if (name === 'DCGM_FI_PROF_NVLINK_TX_BYTES' || name === 'DCGM_FI_PROF_NVLINK_RX_BYTES') {
    if (isDcgmBlank(value, 'nvlinkTx') || value < 0) return;
    const link = linkFor(gpu, labelLink ?? -1);
    if (name.endsWith('TX_BYTES')) link.txBytesPerSecond = value;
    else link.rxBytesPerSecond = value;
    return;
  }
  if (!isCounterValue(value)) return;
  const error = ERROR_FIELD.exec(name);
  if (error) {
    const kind = ERROR_KIND[error[1] ?? ''];
    const index = labelLink ?? (error[3] === undefined ? -1 : Number(error[3]));
    if (kind !== undefined) linkFor(gpu, index).errors[kind] = value;
    return;
  }
  const bandwidth = BANDWIDTH_FIELD.exec(name);
  if (bandwidth)
    linkFor(gpu, labelLink ?? (bandwidth[2] === undefined ? -1 : Number(bandwidth[2]))).bandwidthCounter =
      value;
}

/** DCGM's 64-bit blank sentinels sit near 9.22e18; counters are never negative. */
function isCounterValue(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value < 9.2e18;
}

function linkLabel(labels: Readonly<Record<string, string>>): number | undefined {
  const raw = labels.nvlink ?? labels.link;
  if (raw === undefined || raw === '') return undefined;
  const index = Number(raw);
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}

function gpuFor(
  gpus: Map<string, GpuNvlinkFields>,
  uuid: string,
  modelName: string | undefined,
): GpuNvlinkFields {
  let gpu = gpus.get(uuid);
  if (!gpu) {
    gpu = { uuid, modelName, activityRatio: null, links: new Map() };
    gpus.set(uuid, gpu);
  } else if (gpu.modelName === undefined) {
    gpu.modelName = modelName;
  }
  return gpu;
}

function linkFor(gpu: GpuNvlinkFields, index: number): NvlinkLinkFields {
  let link = gpu.links.get(index);
  if (!link) {
    link = { errors: {} };
    gpu.links.set(index, link);
  }
  return link;
}
