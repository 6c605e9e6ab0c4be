import { describe, expect, it } from 'vitest';
import { metricNamesByField } from '../dcgm/fields.js';
import { buildFieldQueries, normalizeSelector } from './promql.js';

describe('buildFieldQueries', () => {
  it('queries each rolled-up field once, by metric name', () => {
    const queries = buildFieldQueries('');
    expect(queries.map((q) => q.field).sort()).toEqual([...metricNamesByField().keys()].sort());
    expect(queries.find((q) => q.field === 'gpuUtil')?.query).toBe('DCGM_FI_DEV_GPU_UTIL');
  });

  it('reads both names of the clock-event field with one __name__ regex', () => {
    const q = buildFieldQueries('').find((one) => one.field === 'clockEventReasons');
    expect(q?.query).toBe(
      '{__name__=~"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS|DCGM_FI_DEV_CLOCKS_EVENT_REASONS"}',
    );
    expect(q?.names).toEqual(['DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS']);
  });

  it('adds the configured selector to plain and regex queries', () => {
    const queries = buildFieldQueries('cluster="a", env=~"prod.*"');
    expect(queries.find((q) => q.field === 'power')?.query).toBe(
      'DCGM_FI_DEV_POWER_USAGE{cluster="a", env=~"prod.*"}',
    );
    expect(queries.find((q) => q.field === 'clockEventReasons')?.query).toBe(
      '{__name__=~"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS|DCGM_FI_DEV_CLOCKS_EVENT_REASONS",cluster="a", env=~"prod.*"}',
    );
  });
});

describe('normalizeSelector', () => {
  it('accepts matchers with or without braces and drops a trailing comma', () => {
    expect(normalizeSelector('{cluster="a",}')).toBe('cluster="a"');
    expect(normalizeSelector('  cluster="a" ')).toBe('cluster="a"');
    expect(normalizeSelector('')).toBe('');
  });
});
