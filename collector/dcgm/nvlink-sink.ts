import type { DcgmTarget } from '../../core/config.js';
import { computeNvlink, type NvlinkCounterState } from '../fabric/compute-nvlink.js';
import type { FabricMetrics } from '../fabric/metrics.js';
import { recordLinkObservation } from '../fabric/metrics.js';
import { type FabricCollectorState, linkIdentityKey } from '../fabric/run-fabric-tick.js';
import { readOwnerRef } from '../rollup/accumulate.js';
import { readGpuLabels } from './normalize.js';
import type { Sample } from './parse.js';

/** Receives each scrape's samples and folds its NVLink fields into link rollups. */
export interface NvlinkSink {
  observe(target: DcgmTarget, samples: readonly Sample[], scrapedAtMs: number): void;
}

/**
 * NVLink readings per scrape: throughput, utilization against the model's link speed, error deltas, and
 * `suspect` for a zero on a busy GPU whose job holds several GPUs. "Several" is judged within the scrape
 * (GPUs of this node sharing an hpc_job or pod label): a multi-node job with one GPU per node is missed.
 */
export function createNvlinkSink(fabric: FabricCollectorState, metrics?: FabricMetrics): NvlinkSink {
  const previous = new Map<string, NvlinkCounterState>();
  return {
    observe(target, samples, scrapedAtMs) {
      const { multiGpuJob, node, gpuIndex } = readOwners(samples);
      const result = computeNvlink({
        node: target.node ?? node ?? new URL(target.url).hostname,
        timestampMs: samples[0]?.timestampMs ?? scrapedAtMs,
        samples,
        multiGpuJob,
        previous: previous.get(target.url),
      });
      previous.set(target.url, result.state);
      for (const reading of result.readings) {
        fabric.nvlinkRollups.observe(reading);
        if (metrics) recordLinkObservation(metrics, reading);
        const key = linkIdentityKey(reading);
        if (!fabric.identities.has(key)) {
          const index = gpuIndex.get(reading.device);
          fabric.identities.set(key, {
            rateBitsPerSecond: null,
            state: null,
            physState: null,
            gpuIndices: index === undefined ? [] : [index],
          });
        }
      }
    },
  };
}

function readOwners(samples: readonly Sample[]) {
  const gpusByOwner = new Map<string, Set<string>>();
  const ownerOfGpu = new Map<string, string>();
  const gpuIndex = new Map<string, number>();
  let node: string | undefined;
  const seenLabels = new Set<object>();
  for (const sample of samples) {
    if (seenLabels.has(sample.labels)) continue;
    seenLabels.add(sample.labels);
    const gpu = readGpuLabels(sample.labels);
    if (!gpu) continue;
    node ??= gpu.hostname ?? undefined;
    if (gpu.gpuIndex !== null) gpuIndex.set(gpu.uuid, gpu.gpuIndex);
    const { ownerRef } = readOwnerRef(gpu.owner);
    if (ownerRef === null) continue;
    ownerOfGpu.set(gpu.uuid, ownerRef);
    const gpus = gpusByOwner.get(ownerRef) ?? new Set<string>();
    gpus.add(gpu.uuid);
    gpusByOwner.set(ownerRef, gpus);
  }
  const multiGpuJob = new Map<string, boolean>();
  for (const [uuid, owner] of ownerOfGpu) multiGpuJob.set(uuid, (gpusByOwner.get(owner)?.size ?? 0) > 1);
  return { multiGpuJob, node, gpuIndex };
}
