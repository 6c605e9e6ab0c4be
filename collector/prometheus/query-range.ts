import { z } from 'zod';
import type { Result } from '../../core/result.js';
import { err, ok } from '../../core/result.js';

/**
 * Pure parsing of the Prometheus HTTP API's `/api/v1/query_range` answers, as Prometheus, Thanos,
 * Mimir and VictoriaMetrics send them. Sample values arrive as strings ("0.25", "NaN", "+Inf").
 */

/** One series: its labels (with `__name__`) and `[timestampMs, value]` points in time order. */
export interface PromSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export interface QueryRangeData {
  series: PromSeries[];
  pointCount: number;
  /** `warnings` and `infos` the server attached (partial answers, dropped series, ...). */
  warnings: string[];
}

export type QueryRangeProblem =
  /** The server answered `status: "error"`: errorType is bad_data, execution, timeout, canceled, internal, ... */
  | { kind: 'api_error'; errorType: string; message: string }
  /** Not JSON, or JSON that is not a query_range answer. */
  | { kind: 'bad_response'; message: string };

const Warnings = z.array(z.string()).optional();

/**
 * Points are checked by hand while they are converted: a zod tuple per point costs about a second
 * for a 2-hour chunk of 1,000 GPUs, the hand check a few milliseconds.
 */
const MatrixSeries = z.object({
  metric: z.record(z.string(), z.string()),
  values: z.array(z.unknown()).optional(),
  /** Native histograms; gpuscope's DCGM fields are floats, so these are ignored. */
  histograms: z.array(z.unknown()).optional(),
});

const SuccessBody = z.object({
  status: z.literal('success'),
  data: z.object({ resultType: z.string(), result: z.array(MatrixSeries) }),
  warnings: Warnings,
  infos: Warnings,
});

const ErrorBody = z.object({
  status: z.literal('error'),
  errorType: z.string().optional(),
  error: z.string().optional(),
});

const Envelope = z.object({ status: z.string() });

/**
 * A sample value as Prometheus formats it (Go's strconv 'f' format, or "NaN", "+Inf", "-Inf").
 * Returns undefined for anything that is not a number.
 */
export function parsePromValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (text === '' || text.trim() !== text) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** Parses a query_range body; `source` (the query, or URL) prefixes every problem message. */
export function parseQueryRangeBody(text: string, source: string): Result<QueryRangeData, QueryRangeProblem> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({ kind: 'bad_response', message: `${source}: response is not JSON: ${excerpt(text)}` });
  }
  return readQueryRangeJson(json, source);
}

/** The same, for a body already decoded from JSON. */
export function readQueryRangeJson(json: unknown, source: string): Result<QueryRangeData, QueryRangeProblem> {
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    return err({
      kind: 'bad_response',
      message: `${source}: response has no "status" field: ${excerpt(json)}`,
    });
  }
  if (envelope.data.status === 'error') {
    const body = ErrorBody.safeParse(json);
    const errorType = body.success ? (body.data.errorType ?? 'unknown') : 'unknown';
    const message = body.success ? (body.data.error ?? '(no message)') : '(malformed error body)';
    return err({ kind: 'api_error', errorType, message: `${source}: ${errorType}: ${message}` });
  }
  const body = SuccessBody.safeParse(json);
  if (!body.success) {
    return err({ kind: 'bad_response', message: `${source}: ${describeIssue(body.error)}` });
  }
  const { resultType, result } = body.data.data;
  if (resultType !== 'matrix') {
    return err({
      kind: 'bad_response',
      message: `${source}: data.resultType is "${resultType}", expected "matrix"`,
    });
  }
  const series: PromSeries[] = [];
  let pointCount = 0;
  for (let s = 0; s < result.length; s++) {
    const entry = result[s]!;
    const values = entry.values ?? [];
    const points: [number, number][] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const point = values[i];
      const at = `data.result[${s}].values[${i}]`;
      if (!Array.isArray(point) || typeof point[0] !== 'number' || !Number.isFinite(point[0])) {
        return err({ kind: 'bad_response', message: `${source}: ${at}: expected [unix seconds, "value"]` });
      }
      const raw: unknown = point[1];
      const value = typeof raw === 'string' ? parsePromValue(raw) : undefined;
      if (value === undefined) {
        const shown =
          typeof raw === 'string' ? `"${raw.slice(0, 40)}"` : String(JSON.stringify(raw)).slice(0, 40);
        return err({
          kind: 'bad_response',
          message: `${source}: ${at}[1]: ${shown} is not a sample value string`,
        });
      }
      points[i] = [Math.round(point[0] * 1000), value];
    }
    pointCount += points.length;
    series.push({ labels: entry.metric, points });
  }
  return ok({ series, pointCount, warnings: [...(body.data.warnings ?? []), ...(body.data.infos ?? [])] });
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed response';
  const path = issue.path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
  return `${path || '(root)'}: ${issue.message}`;
}

/** At most 120 characters of a body, control characters escaped, for messages a person reads. */
export function excerpt(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
  let out = '';
  for (const char of text.slice(0, 120)) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return text.length > 120 ? `${out}...` : out;
}
