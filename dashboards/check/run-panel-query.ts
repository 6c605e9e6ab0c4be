import type { PanelQuery } from '../index.js';

export interface QueryOutcome {
  status: 'success' | 'error';
  /** Series (instant vector, matrix) or 1 for a scalar. */
  series: number;
  error?: string;
  seconds: number;
}

/**
 * Runs one panel query the way Grafana would: `/api/v1/query` at `atSeconds` for instant panels, `query_range`
 * over [atSeconds - rangeSeconds, atSeconds] for the others. Prometheus answers 400 with `status: error` for a
 * query that does not parse.
 */
export async function runPanelQuery(
  prometheusUrl: string,
  query: Pick<PanelQuery, 'instant'>,
  expr: string,
  window: { atSeconds: number; rangeSeconds: number; stepSeconds: number },
): Promise<QueryOutcome> {
  const params = query.instant
    ? new URLSearchParams({ query: expr, time: String(window.atSeconds) })
    : new URLSearchParams({
        query: expr,
        start: String(window.atSeconds - window.rangeSeconds),
        end: String(window.atSeconds),
        step: String(window.stepSeconds),
      });
  const started = performance.now();
  const response = await fetch(`${prometheusUrl}/api/v1/${query.instant ? 'query' : 'query_range'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params,
  });
  const body = (await response.json()) as {
    status: 'success' | 'error';
    error?: string;
    data?: { resultType: string; result: unknown[] | [number, string] };
  };
  const seconds = (performance.now() - started) / 1000;
  if (body.status !== 'success')
    return { status: 'error', series: 0, error: body.error ?? `HTTP ${response.status}`, seconds };
  const data = body.data!;
  const series = data.resultType === 'scalar' || data.resultType === 'string' ? 1 : data.result.length;
  return { status: 'success', series, seconds };
}

/** Values of a `label_values(metric{...}, label)` variable query, through the series API as Grafana does. */
export async function resolveLabelValues(prometheusUrl: string, query: string): Promise<string[]> {
  const m = /^label_values\((.*),\s*(\w+)\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  const params = new URLSearchParams({ 'match[]': m[1]! });
  const response = await fetch(`${prometheusUrl}/api/v1/label/${m[2]}/values?${params}`);
  const body = (await response.json()) as { status: string; data?: string[]; error?: string };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return body.data ?? [];
}
