import { parseCents } from '../../analyzer/cost/round-to-cents.js';

/** Text and number formatting for the HTML reports. Money stays a decimal string: commas are inserted, never summed. */

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => htmlEscapes[ch] ?? ch);
}

const decimal = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** "1234567.8" → "$1,234,567.80"; "-12.30" → "-$12.30". A string that is not a decimal is shown as given. */
export function formatUsd(amount: string): string {
  const match = decimal.exec(amount.trim());
  if (!match) return amount;
  const [, sign, whole, fraction] = match;
  const grouped = (whole ?? '0').replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const isZero = /^0*$/.test(whole ?? '') && /^0*$/.test(fraction ?? '');
  return `${sign && !isZero ? '-' : ''}$${grouped}.${(fraction ?? '').padEnd(2, '0')}`;
}

const hoursFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatGpuHours(hours: number): string {
  return Number.isFinite(hours) ? hoursFormat.format(hours) : '—';
}

/** A share for display only (float is fine here): `part / whole` as "12.3%", or "—" when whole is zero. */
export function formatShare(part: string, whole: string): string {
  const denominator = Number(parseCents(whole));
  if (denominator === 0) return '—';
  return formatRatio(Number(parseCents(part)) / denominator);
}

export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : '—';
}

/** "2026-11-01T00:00:00.000Z" → "2026-11-01 00:00 UTC"; an unparsable value is shown as given. */
export function formatUtc(instant: string | Date): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) return String(instant);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
