import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePromValue, parseQueryRangeBody, readQueryRangeJson } from './query-range.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/prometheus');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

describe('parsePromValue', () => {
  it('reads the special values Prometheus prints', () => {
    expect(parsePromValue('NaN')).toBeNaN();
    expect(parsePromValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parsePromValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('reads decimal and exponent forms (VictoriaMetrics prints the latter)', () => {
    expect(parsePromValue('0.873125')).toBe(0.873125);
    expect(parsePromValue('81559')).toBe(81559);
    expect(parsePromValue('1.2e+06')).toBe(1.2e6);
    expect(parsePromValue('-3')).toBe(-3);
  });

  it('rejects text that is not a number', () => {
    expect(parsePromValue('')).toBeUndefined();
    expect(parsePromValue(' 1')).toBeUndefined();
    expect(parsePromValue('abc')).toBeUndefined();
  });
});

describe('parseQueryRangeBody', () => {
  it('reads a recorded matrix: labels as the exporter printed them plus instance and job, points in ms', () => {
    const parsed = parseQueryRangeBody(fixture('query_range_gpu-util_matrix.json'), 'DCGM_FI_DEV_GPU_UTIL');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { series, pointCount, warnings } = parsed.value;
    expect(series.length).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
    expect(pointCount).toBe(series.reduce((n, s) => n + s.points.length, 0));
    const first = series[0]!;
    expect(first.labels).toMatchObject({ __name__: 'DCGM_FI_DEV_GPU_UTIL', job: 'dcgm' });
    expect(first.labels['UUID']).toMatch(/^GPU-/);
    expect(first.labels['instance']).toMatch(/^127\.0\.0\.1:\d+$/);
    const [ts, value] = first.points[0]!;
    expect(ts % 15_000).toBe(0);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
  });

  it('reads both clock-event metric names from a __name__ regex answer', () => {
    const parsed = parseQueryRangeBody(fixture('query_range_clock-reasons_name-regex_post.json'), 'q');
    expect(
      parsed.ok &&
        parsed.value.series.every((s) => s.labels['__name__'] === 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS'),
    ).toBe(true);
  });

  it('reads "NaN", "+Inf" and "-Inf" sample values', () => {
    const parsed = parseQueryRangeBody(fixture('query_range_nan-inf.json'), 'q');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const byCase = new Map(parsed.value.series.map((s) => [s.labels['case'], s.points[0]![1]]));
    expect(byCase.get('nan')).toBeNaN();
    expect(byCase.get('plus_inf')).toBe(Number.POSITIVE_INFINITY);
    expect(byCase.get('minus_inf')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('reads an empty result', () => {
    const parsed = parseQueryRangeBody(fixture('query_range_empty.json'), 'q');
    expect(parsed).toEqual({ ok: true, value: { series: [], pointCount: 0, warnings: [] } });
  });

  it('returns warnings and infos (Thanos partial answers, Prometheus 2.45+ infos)', () => {
    const body = JSON.stringify({
      status: 'success',
      data: { resultType: 'matrix', result: [] },
      warnings: ['No StoreAPIs matched for this query'],
      infos: ['PromQL info: metric might not be a counter'],
      isPartial: false,
    });
    const parsed = parseQueryRangeBody(body, 'q');
    expect(parsed.ok && parsed.value.warnings).toEqual([
      'No StoreAPIs matched for this query',
      'PromQL info: metric might not be a counter',
    ]);
  });

  it('ignores native-histogram samples beside float samples', () => {
    const parsed = readQueryRangeJson(
      {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [{ metric: { __name__: 'h' }, histograms: [[1, { count: '1', sum: '2', buckets: [] }]] }],
        },
      },
      'q',
    );
    expect(parsed.ok && parsed.value.series[0]?.points).toEqual([]);
  });

  describe('errors', () => {
    it('turns a bad_data error body into api_error naming the query', () => {
      const parsed = parseQueryRangeBody(
        fixture('query_range_error_bad-data_parse.json'),
        'DCGM_FI_DEV_GPU_UTIL{',
      );
      expect(parsed).toEqual({
        ok: false,
        error: {
          kind: 'api_error',
          errorType: 'bad_data',
          message:
            'DCGM_FI_DEV_GPU_UTIL{: bad_data: 1:22: parse error: unexpected end of input inside braces',
        },
      });
    });

    it('keeps the errorType of execution and timeout errors', () => {
      const execution = parseQueryRangeBody(
        fixture('query_range_error_execution_duplicate-labelset.json'),
        'q',
      );
      expect(!execution.ok && execution.error).toMatchObject({ kind: 'api_error', errorType: 'execution' });
      const timeout = parseQueryRangeBody(fixture('query_range_error_timeout.json'), 'q');
      expect(!timeout.ok && timeout.error).toMatchObject({ kind: 'api_error', errorType: 'timeout' });
    });

    it('reports a body that is not JSON with an escaped excerpt', () => {
      const parsed = parseQueryRangeBody('<html>\n<h1>502 Bad Gateway</h1>', 'q');
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error.kind).toBe('bad_response');
      expect(parsed.error.message).toBe('q: response is not JSON: <html>\\x0a<h1>502 Bad Gateway</h1>');
    });

    it('rejects an instant-query (vector) answer', () => {
      const parsed = readQueryRangeJson(
        { status: 'success', data: { resultType: 'vector', result: [] } },
        'q',
      );
      expect(!parsed.ok && parsed.error.message).toBe('q: data.resultType is "vector", expected "matrix"');
    });

    it('names the series and point of a value that is not a number', () => {
      const parsed = readQueryRangeJson(
        {
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              { metric: {}, values: [[1, '1']] },
              {
                metric: {},
                values: [
                  [1, '2'],
                  [2, 'twelve'],
                ],
              },
            ],
          },
        },
        'q',
      );
      expect(!parsed.ok && parsed.error.message).toBe(
        'q: data.result[1].values[1][1]: "twelve" is not a sample value string',
      );
    });

    it('names the field of a malformed envelope or point', () => {
      const labels = readQueryRangeJson(
        { status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: 1 } }] } },
        'q',
      );
      expect(!labels.ok && labels.error.message).toMatch(/^q: data\.result\[0\]\.metric\.a: /);
      const point = readQueryRangeJson(
        { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [['1', '1']] }] } },
        'q',
      );
      expect(!point.ok && point.error.message).toBe(
        'q: data.result[0].values[0]: expected [unix seconds, "value"]',
      );
      const missing = readQueryRangeJson({ data: {} }, 'q');
      expect(!missing.ok && missing.error.message).toMatch(/no "status" field/);
    });

    it('accepts an error body without errorType', () => {
      const parsed = readQueryRangeJson({ status: 'error', error: 'boom' }, 'q');
      expect(!parsed.ok && parsed.error).toEqual({
        kind: 'api_error',
        errorType: 'unknown',
        message: 'q: unknown: boom',
      });
    });
  });
});
