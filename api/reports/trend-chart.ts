import type { DailyCost } from '../../analyzer/cost/report-types.js';
import { parseCents } from '../../analyzer/cost/round-to-cents.js';
import { escapeHtml, formatUsd } from './format.js';

const width = 760;
const height = 260;
const margin = { top: 16, right: 16, bottom: 44, left: 84 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;

/** Pixel height of `cents` on a scale whose top is `maxCents`; 0 when the scale is empty (all days $0). */
function scaled(cents: bigint, maxCents: bigint): number {
  if (maxCents <= 0n || cents <= 0n) return 0;
  // float for geometry only; a non-zero day keeps at least one pixel so it stays visible
  return Math.max(1, (Number(cents) / Number(maxCents)) * plotHeight);
}

function centsLabel(cents: bigint): string {
  const dollars = cents / 100n;
  return `$${dollars.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

function renderAxes(days: readonly DailyCost[], maxCents: bigint, slot: number): string {
  const bottom = margin.top + plotHeight;
  const ticks = [0n, maxCents / 2n, maxCents].filter((t, i, all) => i === 0 || t !== all[i - 1]);
  const yTicks = ticks
    .map((t) => {
      const y = bottom - scaled(t, maxCents);
      return `<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/><text class="tick" x="${margin.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${centsLabel(t)}</text>`;
    })
    .join('');
  const labelled = new Set([0, Math.floor((days.length - 1) / 2), days.length - 1]);
  const xTicks = [...labelled]
    .map((i) => {
      // the outer labels align with the plot's edges so they are never clipped
      const edge = days.length > 1 && (i === 0 || i === days.length - 1);
      const x = !edge ? margin.left + slot * (i + 0.5) : i === 0 ? margin.left : width - margin.right;
      const anchor = !edge ? 'middle' : i === 0 ? 'start' : 'end';
      return `<text class="tick" x="${x.toFixed(1)}" y="${bottom + 16}" text-anchor="${anchor}">${escapeHtml(days[i]?.day ?? '')}</text>`;
    })
    .join('');
  return [
    `<line class="axis" x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${bottom}"/>`,
    `<line class="axis" x1="${margin.left}" x2="${width - margin.right}" y1="${bottom}" y2="${bottom}"/>`,
    yTicks,
    xTicks,
    `<text class="axis-title" x="${margin.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">Day (UTC)</text>`,
    `<text class="axis-title" x="14" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + plotHeight / 2})">Cost (USD)</text>`,
  ].join('');
}

function renderBar(day: DailyCost, index: number, slot: number, maxCents: bigint): string {
  const bottom = margin.top + plotHeight;
  const total = parseCents(day.totalCostUsd);
  const idle = parseCents(day.idleCostUsd);
  const totalHeight = scaled(total, maxCents);
  const idleHeight = Math.min(totalHeight, scaled(idle, maxCents));
  const barWidth = Math.max(1, slot * 0.8);
  const x = margin.left + slot * index + (slot - barWidth) / 2;
  const title = `${day.day}: total ${formatUsd(day.totalCostUsd)}, idle ${formatUsd(day.idleCostUsd)}, unallocated ${formatUsd(day.unallocatedCostUsd)}`;
  return [
    `<g class="bar" data-day="${escapeHtml(day.day)}"><title>${escapeHtml(title)}</title>`,
    `<rect class="bar-total" data-testid="trend-bar" x="${x.toFixed(2)}" y="${(bottom - totalHeight).toFixed(2)}" width="${barWidth.toFixed(2)}" height="${totalHeight.toFixed(2)}"/>`,
    `<rect class="bar-idle" data-testid="trend-bar-idle" x="${x.toFixed(2)}" y="${(bottom - idleHeight).toFixed(2)}" width="${barWidth.toFixed(2)}" height="${idleHeight.toFixed(2)}"/>`,
    '</g>',
  ].join('');
}

/** Daily total cost as bars with the idle part stacked at their base; an inline SVG, no script. */
export function renderTrendChart(days: readonly DailyCost[]): string {
  if (days.length === 0) return '<p class="empty" data-testid="trend-empty">No data in window.</p>';
  const peak = days.reduce((max, d) => (parseCents(d.totalCostUsd) > parseCents(max.totalCostUsd) ? d : max));
  const maxCents = parseCents(peak.totalCostUsd);
  const slot = plotWidth / days.length;
  const first = days[0]?.day ?? '';
  const last = days[days.length - 1]?.day ?? '';
  const label = `Daily GPU cost from ${first} to ${last}, ${days.length} day${days.length === 1 ? '' : 's'}; the lower, darker part of each bar is idle cost. Peak ${formatUsd(peak.totalCostUsd)} on ${peak.day}.`;
  return [
    `<svg class="chart" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    renderAxes(days, maxCents, slot),
    days.map((d, i) => renderBar(d, i, slot, maxCents)).join(''),
    '</svg>',
    '<p class="legend"><span class="swatch swatch-total"></span>Total cost <span class="swatch swatch-idle"></span>of which idle (allocated, not used)</p>',
  ].join('');
}
