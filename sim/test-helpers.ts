import { createRequire } from 'node:module';

/** The shape `parse-prometheus-text-format` (an untyped CommonJS package) returns. */
export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: { labels?: Record<string, string>; value: string }[];
}

const require = createRequire(import.meta.url);
export const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
  rawValue: string;
}

/** Flattens parsed families into one record per sample line, labels in printed order. */
export function parseSeries(text: string): Series[] {
  return parsePrometheusTextFormat(text).flatMap((family) =>
    family.metrics.map((metric) => ({
      name: family.name,
      labels: metric.labels ?? {},
      value: Number(metric.value),
      rawValue: metric.value,
    })),
  );
}

/** Samples of `name` whose labels include every pair in `match`. */
export function findSeries(series: Series[], name: string, match: Record<string, string>): Series[] {
  return series.filter(
    (s) => s.name === name && Object.entries(match).every(([key, value]) => s.labels[key] === value),
  );
}

/** The one matching sample's value; throws when there is not exactly one. */
export function readValue(series: Series[], name: string, match: Record<string, string>): number {
  const found = findSeries(series, name, match);
  if (found.length !== 1)
    throw new Error(`expected one ${name} ${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!.value;
}
