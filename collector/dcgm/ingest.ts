import type { RollupAccumulator } from '../rollup/accumulate.js';
import { lookupField } from './fields.js';
import { readGpuLabels } from './normalize.js';
import type { Sample } from './parse.js';

export interface IngestSummary {
  samples: number;
  gpuSamples: number;
  gpus: number;
}

/**
 * Feeds parsed samples into the accumulator. The node is the one configured for the target when
 * given (dcgm-exporter's Hostname may be its own pod name), else the Hostname label, else the host.
 */
export function ingestSamples(
  accumulator: RollupAccumulator,
  samples: readonly Sample[],
  context: { node: string | undefined; fallbackNode: string; scrapedAtMs: number },
): IngestSummary {
  let gpuSamples = 0;
  const seen = new Set<object>();
  for (const sample of samples) {
    const field = lookupField(sample.name);
    if (!field) continue;
    const gpu = readGpuLabels(sample.labels);
    if (!gpu) continue;
    const node = context.node ?? gpu.hostname ?? context.fallbackNode;
    accumulator.observe(node, gpu, field, sample.value, sample.timestampMs ?? context.scrapedAtMs);
    gpuSamples++;
    seen.add(gpu);
  }
  return { samples: samples.length, gpuSamples, gpus: seen.size };
}
