import { describe, expect, it } from 'vitest';
import type { CostReport } from '../../analyzer/cost/report-types.js';
import { parseCents } from '../../analyzer/cost/round-to-cents.js';
import { escapeHtml, formatGpuHours, formatShare, formatUsd, formatUtc } from './format.js';
import { renderCostReport } from './render-cost-report.js';
import { buildJobReport, buildTeamReport, injectedTeam } from './test-fixtures.js';

const generatedAt = new Date('2026-10-31T12:34:56Z');

function render(byTeam: CostReport = buildTeamReport(), byJob: CostReport = buildJobReport()): string {
  return renderCostReport({ byTeam, byJob, generatedAt });
}

/** The inner HTML of the section with this data-testid (sections do not nest). */
function sectionOf(html: string, testid: string): string {
  const match = new RegExp(`<section id="${testid}" data-testid="${testid}">([\\s\\S]*?)</section>`).exec(
    html,
  );
  if (!match?.[1]) throw new Error(`no section ${testid}`);
  return match[1];
}

function textOf(html: string, testid: string): string | undefined {
  return new RegExp(`data-testid="${testid}">([^<]*)<`).exec(html)?.[1];
}

function count(html: string, needle: RegExp): number {
  return html.match(new RegExp(needle.source, 'g'))?.length ?? 0;
}

describe('escapeHtml', () => {
  it('escapes the five characters that can break out of text or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('formatUsd', () => {
  it('inserts thousands separators and keeps the cents as given', () => {
    expect(formatUsd('1234567.89')).toBe('$1,234,567.89');
    expect(formatUsd('12345.6')).toBe('$12,345.60');
    expect(formatUsd('999.00')).toBe('$999.00');
    expect(formatUsd('0')).toBe('$0.00');
  });

  it('puts the sign before the dollar and never shows a negative zero', () => {
    expect(formatUsd('-1234.50')).toBe('-$1,234.50');
    expect(formatUsd('-0.00')).toBe('$0.00');
  });

  it('shows a value that is not a decimal as given rather than inventing a number', () => {
    expect(formatUsd('n/a')).toBe('n/a');
  });
});

describe('parseCents, formatShare, formatGpuHours, formatUtc', () => {
  it('reads money as exact integer cents', () => {
    expect(parseCents('90071992547409.93')).toBe(9_007_199_254_740_993n);
    expect(parseCents('-0.5')).toBe(-50n);
  });

  it('shows a share with one decimal and a dash when the whole is zero', () => {
    expect(formatShare('25.00', '200.00')).toBe('12.5%');
    expect(formatShare('0.00', '0.00')).toBe('—');
  });

  it('formats GPU-hours with separators and an instant in UTC', () => {
    expect(formatGpuHours(12345.67)).toBe('12,345.7');
    expect(formatUtc('2026-10-01T02:30:00+02:00')).toBe('2026-10-01 00:30 UTC');
  });
});

describe('renderCostReport', () => {
  it('returns one self-contained HTML5 document with print rules and no script or external resource', () => {
    const html = render();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toMatch(/@media print \{[\s\S]*nav \{ display: none; \}/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('has a section with a stable id and data-testid for each part of the report', () => {
    const html = render();
    for (const id of ['totals', 'by-team', 'idle-waste', 'top-jobs', 'trend', 'pricing']) {
      expect(html).toContain(`<section id="${id}" data-testid="${id}">`);
    }
    expect(html).toContain('<header id="header" data-testid="header"><h1>GPU cost report</h1>');
  });

  it('shows the window in UTC, the currency, the share policy and when it was generated', () => {
    const html = render();
    expect(textOf(html, 'window-from')).toBe('2026-10-01 00:00 UTC');
    expect(textOf(html, 'window-to')).toBe('2026-10-31 00:00 UTC');
    expect(textOf(html, 'currency')).toBe('USD');
    expect(textOf(html, 'share-policy')).toBe('none');
    expect(textOf(html, 'generated-at')).toBe('2026-10-31 12:34 UTC');
  });

  it('shows every total from the report strings, formatted with separators', () => {
    const report = buildTeamReport();
    const html = render(report);
    expect(textOf(html, 'total-allocatedCostUsd')).toBe('$25,959.03');
    expect(textOf(html, 'total-idleCostUsd')).toBe('$1,675.00');
    expect(textOf(html, 'total-unallocatedCostUsd')).toBe('$4,567.89');
    expect(textOf(html, 'total-reconciliationAdjustmentUsd')).toBe('-$123.45');
    expect(textOf(html, 'total-tagCoverage')).toMatch(/^\d{1,3}\.\d%$/);
    expect(textOf(html, 'total-gpuHours')).toBe(formatGpuHours(report.gpuHours));
    expect(textOf(html, 'total-totalCostUsd')).toBe('$32,201.92');
  });

  it('renders one by-team row per group plus idle, unallocated and total lines whose costs add up', () => {
    const report = buildTeamReport();
    const table = sectionOf(render(report), 'by-team');
    expect(count(table, /<tr data-key="/)).toBe(report.groups.length);
    expect(table).toContain('<tr data-key="Unallocated">');
    const costs = [...table.matchAll(/<td class="num" data-testid="cost">([^<]*)<\/td>/g)].map(
      (m) => m[1] ?? '',
    );
    const total = costs.pop();
    expect(costs).toHaveLength(report.groups.length + 2);
    const sum = costs.reduce((acc, c) => acc + parseCents(c.replace(/[$,]/g, '')), 0n);
    expect(total).toBe('$32,201.92');
    expect(sum).toBe(parseCents(report.totalCostUsd));
    expect(table).toContain('Idle (allocated, not used)');
    expect(table).toContain('Unallocated capacity');
  });

  it('lists the top five teams by idle cost, largest first, skipping teams with no idle', () => {
    const section = sectionOf(render(), 'idle-waste');
    const keys = [...section.matchAll(/<tr data-key="([^"]*)">/g)].map((m) => m[1]);
    expect(keys).toEqual(['research', 'platform', 'serving', 'vision', 'speech']);
    expect(textOf(section, 'idle-share')).toBe('5.2%');
    expect(textOf(section, 'unallocated-gpu-hours')).toBe('1,500.0');
  });

  it('shows the first ten jobs with their labels', () => {
    const section = sectionOf(render(), 'top-jobs');
    expect(count(section, /<tr data-key="/)).toBe(10);
    expect(section).toContain(
      '<tr data-key="910000"><td class="key">910000</td><td>train-llm-0</td><td>ada</td>',
    );
    expect(section).not.toContain('910010');
  });

  it('draws one bar per day in an accessible SVG with a tooltip title per bar', () => {
    const trend = sectionOf(render(), 'trend');
    expect(trend).toMatch(
      /<svg class="chart" role="img" aria-label="Daily GPU cost from 2026-10-01 to 2026-10-30/,
    );
    expect(count(trend, /data-testid="trend-bar"/)).toBe(30);
    expect(count(trend, /<title>/)).toBe(30);
    expect(trend).toContain('Day (UTC)');
  });

  it.each([1, 90])('draws %i bars for a %i-day window', (days) => {
    const trend = sectionOf(render(buildTeamReport({ days })), 'trend');
    expect(count(trend, /data-testid="trend-bar"/)).toBe(days);
    expect(trend).not.toMatch(/NaN|Infinity/);
  });

  it('says there is no data for an empty window instead of drawing an empty chart', () => {
    const empty = buildTeamReport({ days: 0, teams: [], unallocatedCents: 0 });
    const html = render(empty, { ...buildJobReport({ jobs: 0 }) });
    expect(sectionOf(html, 'trend')).toContain('No data in window.');
    expect(html).not.toContain('<svg');
    expect(sectionOf(html, 'top-jobs')).toContain('No jobs in window.');
    expect(textOf(html, 'idle-share')).toBe('—');
  });

  it('draws zero-height bars, not NaN, when every day costs $0', () => {
    const zero = buildTeamReport({ days: 7, teams: [], unallocatedCents: 0 });
    const trend = sectionOf(render(zero), 'trend');
    expect(count(trend, /data-testid="trend-bar"/)).toBe(7);
    expect(trend).toMatch(/height="0.00"/);
    expect(trend).not.toMatch(/NaN|Infinity/);
  });

  it('warns about unpriced GPU-hours only when there are some', () => {
    expect(render()).toContain('data-testid="unpriced-warning"');
    const priced = { ...buildTeamReport(), unpriced: [], priceSources: [], stalePriceNodeHours: 0 };
    expect(render(priced)).not.toContain('id="pricing"');
  });

  it('warns when node-hours were priced from stale prices', () => {
    expect(render()).toMatch(/data-testid="stale-warning"><strong>Stale prices.<\/strong> 3 node-hours/);
    expect(render({ ...buildTeamReport(), stalePriceNodeHours: 0 })).not.toContain('stale-warning');
  });

  describe('security', () => {
    it('renders a team named with a script tag as inert text, in cells and attributes', () => {
      const html = render();
      expect(html).not.toContain(injectedTeam);
      expect(html).not.toMatch(/<script|<img/i);
      expect(html).toContain(`<tr data-key="${escapeHtml(injectedTeam)}">`);
      expect(html).toContain('&lt;script&gt;window.__pwned = true&lt;/script&gt;');
    });

    it('escapes job labels, price tiers and unpriced node names', () => {
      const byJob = buildJobReport();
      byJob.groups[0] = { ...byJob.groups[0]!, jobName: '"><b>x</b>', user: '<u>', team: '&' };
      const byTeam = { ...buildTeamReport(), unpriced: [{ node: '<i>n</i>', gpuModel: null, gpuHours: 1 }] };
      byTeam.priceSources = [{ tier: '<s>tier</s>', costUsd: '1.00' }];
      const html = render(byTeam, byJob);
      expect(html).not.toMatch(/<b>|<u>|<i>n|<s>/);
      expect(html).toContain('&quot;&gt;&lt;b&gt;x&lt;/b&gt;');
    });
  });
});
