import type { FieldId } from '../dcgm/fields.js';
import { metricNamesByField } from '../dcgm/fields.js';

/** One PromQL query per rolled-up DCGM field; `names` are the metric names it selects. */
export interface FieldQuery {
  field: FieldId;
  names: string[];
  query: string;
}

/**
 * The config's `selector` as bare matchers: `cluster="a", env=~"prod.*"` or the same in braces.
 * Returns '' for an empty selector.
 */
export function normalizeSelector(selector: string): string {
  let inner = selector.trim();
  if (inner.startsWith('{') && inner.endsWith('}')) inner = inner.slice(1, -1).trim();
  return inner.replace(/,\s*$/, '');
}

/**
 * A field with one metric name is queried by name (`DCGM_FI_DEV_GPU_UTIL{cluster="a"}`); one with
 * aliases (CLOCK_THROTTLE_REASONS, renamed CLOCKS_EVENT_REASONS in DCGM 3.3) by a `__name__` regex,
 * so an exporter fleet mid-upgrade is read in one request.
 */
export function buildFieldQueries(selector: string): FieldQuery[] {
  const matchers = normalizeSelector(selector);
  const queries: FieldQuery[] = [];
  for (const [field, names] of metricNamesByField()) {
    const query =
      names.length === 1
        ? `${names[0]}${matchers ? `{${matchers}}` : ''}`
        : `{__name__=~"${names.join('|')}"${matchers ? `,${matchers}` : ''}}`;
    queries.push({ field, names, query });
  }
  return queries;
}
