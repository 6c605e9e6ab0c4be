import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCostReport } from '../../api/reports/render-cost-report.js';
import {
  buildJobReport,
  buildTeamReport,
  createReportTestApp,
  injectedTeam,
} from '../../api/reports/test-fixtures.js';

const chromiumPath = '/usr/bin/chromium';
const artifacts = resolve(import.meta.dirname, '../../test-artifacts');
const byTeam = buildTeamReport({ from: new Date('2026-10-01T00:00:00Z'), days: 30 });
const byJob = buildJobReport({ from: new Date('2026-10-01T00:00:00Z'), days: 30 });

/** "$12,345.67" or "-$1.20" → integer cents, so sums are exact. */
function cents(shown: string): number {
  const match = /^(-?)\$([\d,]+)\.(\d{2})$/.exec(shown.trim());
  if (!match) throw new Error(`not a dollar amount: ${JSON.stringify(shown)}`);
  const value = Number(match[2]!.replaceAll(',', '')) * 100 + Number(match[3]);
  return match[1] ? -value : value;
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

describe('cost report HTML in Chromium', () => {
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `${chromiumPath} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`,
      );
    }
    const app = createReportTestApp(
      async (q) => (q.groupBy === 'team' ? byTeam : byJob),
      Date.UTC(2026, 10, 1, 9),
    );
    server = await new Promise<ServerType>((ready) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => ready(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const res = await page.goto(`${baseUrl}/reports/costs?from=${byTeam.from}&to=${byTeam.to}`);
    expect(res?.status()).toBe(200);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
  });

  it('shows the totals from the report', async () => {
    await expect(page.title()).resolves.toMatch(/^GPU cost report/);
    expect(await page.getByTestId('total-totalCostUsd').textContent()).toBe('$32,201.92');
    expect(await page.getByTestId('total-idleCostUsd').textContent()).toBe('$1,675.00');
    expect(await page.getByTestId('total-unallocatedCostUsd').textContent()).toBe('$4,567.89');
    expect(await page.getByTestId('total-tagCoverage').textContent()).toMatch(/^\d+\.\d%$/);
    expect(await page.getByTestId('window-from').textContent()).toBe('2026-10-01 00:00 UTC');
  });

  it('renders one by-team row per group, in report order, with its values', async () => {
    const rows = page.locator('[data-testid="by-team"] tbody tr[data-key]');
    expect(await rows.count()).toBe(byTeam.groups.length);
    const keys = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    expect(keys).toEqual(byTeam.groups.map((g) => g.key));
    const research = await page
      .locator('[data-testid="by-team"] tr[data-key="research"] td')
      .allTextContents();
    expect(research.slice(0, 6)).toEqual([
      'research',
      '$12,345.67',
      '$987.65',
      '$0.00',
      '$13,333.32',
      '4,321.5',
    ]);
  });

  it('has explicit idle and unallocated lines so the cost column adds up to the total', async () => {
    const lines = await texts(page, '[data-testid="by-team"] tbody [data-testid="cost"]');
    expect(lines).toHaveLength(byTeam.groups.length + 2);
    const [footer] = await texts(page, '[data-testid="by-team"] tfoot [data-testid="cost"]');
    const sum = lines.reduce((acc, shown) => acc + cents(shown), 0);
    expect(sum).toBe(cents(footer ?? ''));
    expect(sum).toBe(cents((await page.getByTestId('total-totalCostUsd').textContent()) ?? ''));
    await expect(
      page.locator('[data-testid="by-team"] tr[data-line="idle"] td').first().textContent(),
    ).resolves.toBe('Idle (allocated, not used)');
  });

  it('draws one visible SVG bar per day with a tooltip', async () => {
    const svg = page.locator('[data-testid="trend"] svg[role="img"]');
    expect(await svg.getAttribute('aria-label')).toContain('2026-10-01');
    const bars = page.locator('[data-testid="trend"] [data-testid="trend-bar"]');
    expect(await bars.count()).toBe(30);
    for (const bar of await bars.all()) {
      const box = await bar.boundingBox();
      expect(box?.width).toBeGreaterThan(0);
      expect(box?.height).toBeGreaterThan(0);
    }
    expect(await page.locator('[data-testid="trend"] g.bar > title').count()).toBe(30);
  });

  it('lists the top ten jobs', async () => {
    const rows = page.locator('[data-testid="top-jobs"] tbody tr');
    expect(await rows.count()).toBe(10);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      '910000',
      'train-llm-0',
      'ada',
      'research',
      'NVIDIA H100 80GB HBM3',
      '224.0',
      '$6,395.91',
    ]);
  });

  describe('security', () => {
    it('shows a team named with a script tag as text and never runs it', async () => {
      expect(await page.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned)).toBeUndefined();
      expect(await page.locator('script, [data-testid="by-team"] img').count()).toBe(0);
      const cell = page
        .locator('[data-testid="by-team"] tbody tr[data-key] td.key')
        .filter({ hasText: '<script>' });
      expect(await cell.textContent()).toBe(injectedTeam);
    });

    it('stays inert without the CSP too: the escaping alone keeps the script from running', async () => {
      const bare = await browser.newPage();
      await bare.setContent(renderCostReport({ byTeam, byJob, generatedAt: new Date() }));
      expect(await bare.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned)).toBeUndefined();
      expect(await bare.getByText(injectedTeam).first().isVisible()).toBe(true);
      await bare.close();
    });
  });

  it('prints to a non-empty PDF, hides the nav in print, and saves a full-page screenshot', async () => {
    mkdirSync(artifacts, { recursive: true });
    const screenshot = join(artifacts, 'cost-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav').isVisible()).toBe(false);
    for (const format of ['A4', 'Letter']) {
      const pdf = await page.pdf({ format, printBackground: true });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
    }
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('nav').isVisible()).toBe(true);
  });
});
