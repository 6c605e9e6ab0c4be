import type { FieldSpec } from '../dcgm/fields.js';
import { lookupField } from '../dcgm/fields.js';
import { type GpuLabels, gpuKey, readGpuLabels } from '../dcgm/normalize.js';
import type { Labels } from '../dcgm/parse.js';
import type { RollupAccumulator } from '../rollup/accumulate.js';
import type { PromSeries } from './query-range.js';

/**
 * Hands out one frozen label object per distinct label set (without `__name__`), across fields and
 * requests, so all fields of a GPU share one identity the way a scrape's label blocks do and the
 * writer does not see "changed" labels on every chunk.
 */
export interface LabelInterner {
  intern(labels: Record<string, string>): Labels;
  readonly size: number;
}

export function createLabelInterner(maxEntries = 50_000): LabelInterner {
  const entries = new Map<string, Labels>();
  return {
    intern(labels) {
      const names = Object.keys(labels)
        .filter((name) => name !== '__name__')
        .sort();
      const key = JSON.stringify(names.map((name) => [name, labels[name]]));
      let out = entries.get(key);
      if (!out) {
        if (entries.size >= maxEntries) entries.clear();
        out = Object.freeze(Object.fromEntries(names.map((name) => [name, labels[name]!])));
        entries.set(key, out);
      }
      return out;
    },
    get size() {
      return entries.size;
    },
  };
}

/** `host:port`, `[v6]:port` or a bare host: the host part, or undefined. */
export function hostOfInstance(instance: string | undefined): string | undefined {
  if (!instance) return undefined;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1];
  const colon = instance.lastIndexOf(':');
  const host = colon > 0 && /^\d+$/.test(instance.slice(colon + 1)) ? instance.slice(0, colon) : instance;
  return host || undefined;
}

/**
 * The node of a series: a `node` or `kubernetes_node` label (service-discovery relabelling, i.e. target
 * metadata) first, since dcgm-exporter's Hostname is its own pod name in many Kubernetes deployments;
 * else the exporter's Hostname/hostname label; else the host of `instance`.
 */
export function resolveNodeName(labels: Labels, gpu: GpuLabels): string | undefined {
  return (
    nonEmpty(labels['node']) ??
    nonEmpty(labels['kubernetes_node']) ??
    gpu.hostname ??
    hostOfInstance(labels['instance'])
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export interface SeriesIngestSummary {
  series: number;
  points: number;
  /** Series with no GPU identity (no UUID), no node, or a metric name that is not a rolled-up field. */
  skippedSeries: number;
  gpuKeys: Set<string>;
}

interface GpuSeries {
  gpu: GpuLabels;
  points: [number, number][];
}

interface GpuGroup {
  node: string;
  field: FieldSpec;
  series: GpuSeries[];
}

/**
 * Feeds one response's series into the accumulator. The step at t carries a sample taken in
 * (t - step, t], so it is observed at t - 1 ms: the minute bucket is the one the sample was taken in.
 * Series of one GPU and field (labels that changed mid-range, a pod that came or went) are merged
 * in time order first, because the accumulator ignores a sample older than the newest it took.
 */
export function ingestSeries(
  accumulator: RollupAccumulator,
  series: readonly PromSeries[],
  context: { fallbackField: FieldSpec | undefined; labels: LabelInterner },
): SeriesIngestSummary {
  const summary: SeriesIngestSummary = {
    series: series.length,
    points: 0,
    skippedSeries: 0,
    gpuKeys: new Set(),
  };
  const groups = new Map<string, GpuGroup>();
  for (const one of series) {
    const name = one.labels['__name__'];
    const field = name === undefined ? context.fallbackField : lookupField(name);
    const labels = context.labels.intern(one.labels);
    const gpu = readGpuLabels(labels);
    const node = gpu ? resolveNodeName(labels, gpu) : undefined;
    if (!field || !gpu || !node) {
      summary.skippedSeries++;
      continue;
    }
    const key = `${field.id}|${gpuKey(node, gpu)}`;
    const group = groups.get(key);
    if (group) group.series.push({ gpu, points: one.points });
    else groups.set(key, { node, field, series: [{ gpu, points: one.points }] });
  }
  for (const { node, field, series: parts } of groups.values()) {
    if (parts.length === 1) {
      const { gpu, points } = parts[0]!;
      for (const [tsMs, value] of points) accumulator.observe(node, gpu, field, value, tsMs - 1);
      summary.points += points.length;
    } else {
      const merged = mergeSeries(parts);
      for (const [tsMs, value, gpu] of merged) accumulator.observe(node, gpu, field, value, tsMs - 1);
      summary.points += merged.length;
    }
    summary.gpuKeys.add(gpuKey(node, parts[0]!.gpu));
  }
  return summary;
}

/** All points of several series in time order (a stable sort: for equal times the earlier series first). */
function mergeSeries(parts: readonly GpuSeries[]): [number, number, GpuLabels][] {
  const all = parts.flatMap(({ gpu, points }) =>
    points.map(([t, v]): [number, number, GpuLabels] => [t, v, gpu]),
  );
  return all.sort((a, b) => a[0] - b[0]);
}
