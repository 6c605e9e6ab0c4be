import type { CostGroup, CostReport } from '../../analyzer/cost/report-types.js';
import { parseCents } from '../../analyzer/cost/round-to-cents.js';
import { escapeHtml, formatGpuHours, formatRatio, formatShare, formatUsd, formatUtc } from './format.js';
import { costReportCss } from './report-styles.js';
import { renderTrendChart } from './trend-chart.js';

export interface CostReportPage {
  byTeam: CostReport;
  byJob: CostReport;
  generatedAt: Date;
}

const sections = [
  ['totals', 'Totals'],
  ['by-team', 'By team'],
  ['idle-waste', 'Idle and waste'],
  ['top-jobs', 'Top jobs'],
  ['trend', 'Daily trend'],
] as const;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}" data-testid="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function num(value: string, testid?: string): string {
  return `<td class="num"${testid ? ` data-testid="${testid}"` : ''}>${escapeHtml(value)}</td>`;
}

function text(value: string | undefined | null): string {
  return `<td>${escapeHtml(value || '—')}</td>`;
}

function renderHeader(report: CostReport, generatedAt: Date): string {
  const meta: [string, string, string][] = [
    ['window-from', 'From', formatUtc(report.from)],
    ['window-to', 'To', formatUtc(report.to)],
    ['currency', 'Currency', report.currency],
    ['share-policy', 'Share policy', report.sharePolicy],
    ['generated-at', 'Generated', formatUtc(generatedAt)],
  ];
  const items = meta
    .map(
      ([id, label, value]) => `<div><dt>${label}</dt><dd data-testid="${id}">${escapeHtml(value)}</dd></div>`,
    )
    .join('');
  const links = sections.map(([id, title]) => `<li><a href="#${id}">${title}</a></li>`).join('');
  return `<header id="header" data-testid="header"><h1>GPU cost report</h1><dl class="meta">${items}</dl><nav aria-label="Sections"><ul>${links}</ul></nav></header>`;
}

function renderTotals(r: CostReport): string {
  const cards: [string, string, string][] = [
    ['totalCostUsd', 'Total', formatUsd(r.totalCostUsd)],
    ['allocatedCostUsd', 'Allocated (used)', formatUsd(r.allocatedCostUsd)],
    ['idleCostUsd', 'Idle (allocated, not used)', formatUsd(r.idleCostUsd)],
    ['unallocatedCostUsd', 'Unallocated capacity', formatUsd(r.unallocatedCostUsd)],
    ['sharedCostUsd', 'Shared onto teams', formatUsd(r.sharedCostUsd)],
    ['billedCostUsd', 'Billed', formatUsd(r.billedCostUsd)],
    ['estimatedCostUsd', 'Estimated (not yet billed)', formatUsd(r.estimatedCostUsd)],
    ['reconciliationAdjustmentUsd', 'Reconciliation adjustment', formatUsd(r.reconciliation.adjustmentUsd)],
    ['tagCoverage', 'Tag coverage', formatRatio(r.tagCoverage.ratio)],
    ['gpuHours', 'GPU-hours', formatGpuHours(r.gpuHours)],
  ];
  const items = cards
    .map(
      ([name, label, value]) =>
        `<div><dt>${label}</dt><dd data-testid="total-${name}">${escapeHtml(value)}</dd></div>`,
    )
    .join('');
  const rec = r.reconciliation;
  const note = `<p class="legend">Reconciliation over ${escapeHtml(formatGpuHours(rec.nodeHours))} billed node-hours: estimated ${escapeHtml(formatUsd(rec.estimatedUsd))}, billed ${escapeHtml(formatUsd(rec.billedUsd))}. Owned spend ${escapeHtml(formatUsd(r.tagCoverage.ownedCostUsd))}.</p>`;
  return section('totals', 'Totals', `<dl class="cards">${items}</dl>${note}`);
}

function renderTeamRow(g: CostGroup): string {
  return [
    `<tr data-key="${escapeHtml(g.key)}">`,
    `<td class="key" data-col="key">${escapeHtml(g.key)}</td>`,
    num(formatUsd(g.costUsd), 'cost'),
    num(formatUsd(g.idleCostUsd)),
    num(formatUsd(g.sharedCostUsd)),
    num(formatUsd(g.totalCostUsd)),
    num(formatGpuHours(g.gpuHours)),
    `<td>${escapeHtml(g.priceSources.join(', ') || '—')}</td>`,
    '</tr>',
  ].join('');
}

function renderByTeam(r: CostReport): string {
  const head =
    '<thead><tr><th>Team</th><th class="num">Cost</th><th class="num">Idle</th><th class="num">Shared</th><th class="num">Total</th><th class="num">GPU-hours</th><th>Price sources</th></tr></thead>';
  const line = (name: string, label: string, cost: string, hours: number) =>
    `<tr class="line" data-line="${name}"><td>${label}</td>${num(formatUsd(cost), 'cost')}<td></td><td></td><td></td>${num(formatGpuHours(hours))}<td></td></tr>`;
  const body = [
    r.groups.length === 0 ? '<tr><td colspan="7" class="empty">No team spend in window.</td></tr>' : '',
    ...r.groups.map(renderTeamRow),
    line('idle', 'Idle (allocated, not used)', r.idleCostUsd, r.idleGpuHours),
    line('unallocated', 'Unallocated capacity', r.unallocatedCostUsd, r.unallocatedGpuHours),
  ].join('');
  const foot = `<tfoot><tr data-line="total"><td>Total</td>${num(formatUsd(r.totalCostUsd), 'cost')}<td></td><td></td><td></td>${num(formatGpuHours(r.gpuHours))}<td></td></tr></tfoot>`;
  const caption =
    '<caption>The Cost column adds up: team costs + idle + unallocated capacity = total. Idle and Shared per team are shown for information; idle is counted once, in its own line.</caption>';
  return section('by-team', 'By team', `<table>${caption}${head}<tbody>${body}</tbody>${foot}</table>`);
}

function renderIdleWaste(r: CostReport): string {
  const top = r.groups
    .filter((g) => parseCents(g.idleCostUsd) > 0n)
    .sort((a, b) => {
      const diff = parseCents(b.idleCostUsd) - parseCents(a.idleCostUsd);
      return diff > 0n ? 1 : diff < 0n ? -1 : 0;
    })
    .slice(0, 5);
  const facts: [string, string, string][] = [
    ['idle-cost', 'Idle cost', formatUsd(r.idleCostUsd)],
    ['idle-gpu-hours', 'Idle GPU-hours', formatGpuHours(r.idleGpuHours)],
    ['unallocated-cost', 'Unallocated capacity cost', formatUsd(r.unallocatedCostUsd)],
    ['unallocated-gpu-hours', 'Unallocated GPU-hours', formatGpuHours(r.unallocatedGpuHours)],
    ['idle-share', 'Idle share of total', formatShare(r.idleCostUsd, r.totalCostUsd)],
  ];
  const cards = facts
    .map(
      ([id, label, value]) => `<div><dt>${label}</dt><dd data-testid="${id}">${escapeHtml(value)}</dd></div>`,
    )
    .join('');
  const rows = top
    .map(
      (g) =>
        `<tr data-key="${escapeHtml(g.key)}"><td class="key">${escapeHtml(g.key)}</td>${num(formatUsd(g.idleCostUsd))}${num(formatGpuHours(g.idleGpuHours))}</tr>`,
    )
    .join('');
  const table =
    top.length === 0
      ? '<p class="empty">No team had idle cost in this window.</p>'
      : `<table data-testid="top-idle-teams"><thead><tr><th>Team</th><th class="num">Idle cost</th><th class="num">Idle GPU-hours</th></tr></thead><tbody>${rows}</tbody></table>`;
  return section(
    'idle-waste',
    'Idle and waste',
    `<dl class="cards">${cards}</dl><h3>Top teams by idle cost</h3>${table}`,
  );
}

function renderTopJobs(r: CostReport): string {
  const jobs = r.groups.slice(0, 10);
  if (jobs.length === 0) return section('top-jobs', 'Top jobs', '<p class="empty">No jobs in window.</p>');
  const rows = jobs
    .map(
      (g) =>
        `<tr data-key="${escapeHtml(g.key)}"><td class="key">${escapeHtml(g.key)}</td>${text(g.jobName)}${text(g.user)}${text(g.team)}${text(g.gpuModel)}${num(formatGpuHours(g.gpuHours))}${num(formatUsd(g.totalCostUsd))}</tr>`,
    )
    .join('');
  const head =
    '<thead><tr><th>Job</th><th>Name</th><th>User</th><th>Team</th><th>GPU model</th><th class="num">GPU-hours</th><th class="num">Total</th></tr></thead>';
  return section('top-jobs', `Top ${jobs.length} jobs`, `<table>${head}<tbody>${rows}</tbody></table>`);
}

function renderPricing(r: CostReport): string {
  if (r.unpriced.length === 0 && r.priceSources.length === 0 && r.stalePriceNodeHours === 0) return '';
  const stale =
    r.stalePriceNodeHours === 0
      ? ''
      : `<div class="warning" role="note" data-testid="stale-warning"><strong>Stale prices.</strong> ${r.stalePriceNodeHours} node-hours were priced from a stored price its source has not confirmed lately (the price API failed or throttled); the price is used, not zeroed.</div>`;
  const unpriced =
    r.unpriced.length === 0
      ? ''
      : `<div class="warning" role="note" data-testid="unpriced-warning"><strong>GPU-hours with no price.</strong> These are not in any total above (they are never charged $0).<table><thead><tr><th>Node</th><th>GPU model</th><th class="num">GPU-hours</th></tr></thead><tbody>${r.unpriced
          .map((u) => `<tr>${text(u.node)}${text(u.gpuModel)}${num(formatGpuHours(u.gpuHours))}</tr>`)
          .join('')}</tbody></table></div>`;
  const sources =
    r.priceSources.length === 0
      ? ''
      : `<table data-testid="price-sources-table"><thead><tr><th>Price source</th><th class="num">Cost</th></tr></thead><tbody>${r.priceSources
          .map((p) => `<tr>${text(p.tier)}${num(formatUsd(p.costUsd))}</tr>`)
          .join('')}</tbody></table>`;
  return section('pricing', 'Prices and unpriced GPU-hours', stale + unpriced + sources);
}

/** The cost report as one self-contained HTML5 document: no script, no external resource, every report text escaped. */
export function renderCostReport(input: CostReportPage): string {
  const { byTeam, byJob, generatedAt } = input;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>GPU cost report ${escapeHtml(formatUtc(byTeam.from))} to ${escapeHtml(formatUtc(byTeam.to))}</title>`,
    `<style>${costReportCss}</style></head><body>`,
    renderHeader(byTeam, generatedAt),
    '<main>',
    renderTotals(byTeam),
    renderByTeam(byTeam),
    renderIdleWaste(byTeam),
    renderTopJobs(byJob),
    section('trend', 'Daily trend', renderTrendChart(byTeam.daily)),
    renderPricing(byTeam),
    '</main></body></html>',
  ].join('\n');
}
