import { describe, expect, it } from 'vitest';
import type { CostReport } from '../../analyzer/cost/report-types.js';
import { readJson } from '../../test/helpers/read-json.js';
import type { ErrorBody } from '../errors.js';
import { resolveReportWindow } from '../routes/reports.js';
import { buildJobReport, buildTeamReport, createReportTestApp } from './test-fixtures.js';

const now = Date.UTC(2026, 10, 1, 9, 41, 7);

function setup() {
  const calls: { from: Date; to: Date; groupBy: string }[] = [];
  const app = createReportTestApp(async (q): Promise<CostReport> => {
    calls.push(q);
    return q.groupBy === 'team' ? buildTeamReport() : buildJobReport();
  }, now);
  return { app, calls };
}

describe('GET /reports/costs', () => {
  it('serves the report as uncached UTF-8 HTML under a CSP that allows only inline styles', async () => {
    const { app, calls } = setup();
    const res = await app.request('/reports/costs?from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'unsafe-inline'; img-src data:;/,
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<h1>GPU cost report</h1>');
    expect(calls.map((c) => c.groupBy).sort()).toEqual(['job', 'team']);
    expect(calls[0]?.from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(calls[0]?.to.toISOString()).toBe('2026-10-31T00:00:00.000Z');
  });

  it('defaults to the 30 days ending at the start of the current UTC hour', async () => {
    const { app, calls } = setup();
    expect((await app.request('/reports/costs')).status).toBe(200);
    expect(calls[0]?.to.toISOString()).toBe('2026-11-01T09:00:00.000Z');
    expect(calls[0]?.from.toISOString()).toBe('2026-10-02T09:00:00.000Z');
  });

  describe('errors', () => {
    it.each([
      ['from=yesterday', /from: /],
      [
        'from=2026-10-10T00:00:00Z&to=2026-10-10T00:00:00Z',
        /from \(2026-10-10T00:00:00.000Z\) must be before to/,
      ],
      ['from=2026-10-11T00:00:00Z&to=2026-10-10T00:00:00Z', /must be before to/],
      ['from=2025-01-01T00:00:00Z&to=2026-10-10T00:00:00Z', /at most 400 days/],
    ])('answers 400 VALIDATION for %s without loading a report', async (query, message) => {
      const { app, calls } = setup();
      const res = await app.request(`/reports/costs?${query}`);
      expect(res.status).toBe(400);
      const body: ErrorBody = await readJson(res);
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message).toMatch(message);
      expect(calls).toHaveLength(0);
    });
  });
});

describe('resolveReportWindow', () => {
  it('accepts a window of exactly 400 days and takes a missing from as to - 30 days', () => {
    const to = '2026-10-10T00:00:00Z';
    const window = resolveReportWindow({ from: '2025-09-05T00:00:00Z', to }, now);
    expect((window.to.getTime() - window.from.getTime()) / 86_400_000).toBe(400);
    expect(resolveReportWindow({ to }, now).from.toISOString()).toBe('2026-09-10T00:00:00.000Z');
  });
});
