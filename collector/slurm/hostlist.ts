import { err, ok, type Result } from '../../core/result.js';

/** Largest expansion accepted, so a typo like `n[1-99999999]` cannot exhaust memory. */
const MAX_HOSTS = 100_000;

/**
 * Expands a Slurm hostlist (`node[01-03,7],gpu1`, `r[1-2]n[1-2]`) into host names, keeping zero padding.
 * `(null)`, `None assigned` and the empty string are an empty list.
 */
export function expandHostlist(text: string): Result<string[]> {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '(null)' || trimmed === 'None assigned') return ok([]);
  const hosts: string[] = [];
  for (const item of splitTopLevel(trimmed)) {
    const expanded = expandItem(item);
    if (!expanded.ok) return expanded;
    hosts.push(...expanded.value);
    if (hosts.length > MAX_HOSTS)
      return err(`hostlist ${JSON.stringify(text)} expands past ${MAX_HOSTS} hosts`);
  }
  return ok(hosts);
}

function splitTopLevel(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items.filter((item) => item !== '');
}

function expandItem(item: string): Result<string[]> {
  const open = item.indexOf('[');
  if (open < 0) return item.includes(']') ? err(`unbalanced ] in hostlist item ${item}`) : ok([item]);
  const close = item.indexOf(']', open);
  if (close < 0) return err(`unbalanced [ in hostlist item ${item}`);
  const prefix = item.slice(0, open);
  const ranges = expandRanges(item.slice(open + 1, close));
  if (!ranges.ok) return err(`${ranges.error} in hostlist item ${item}`);
  const rest = expandItem(item.slice(close + 1));
  if (!rest.ok) return rest;
  const hosts: string[] = [];
  for (const middle of ranges.value) {
    for (const suffix of rest.value) hosts.push(prefix + middle + suffix);
  }
  return ok(hosts);
}

function expandRanges(body: string): Result<string[]> {
  const out: string[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return err(`bad range ${JSON.stringify(part)}`);
    const lo = m[1] ?? '';
    const hi = m[2] ?? lo;
    const from = Number(lo);
    const to = Number(hi);
    if (to < from) return err(`descending range ${part}`);
    if (to - from > MAX_HOSTS) return err(`range ${part} too large`);
    for (let n = from; n <= to; n++) out.push(String(n).padStart(lo.length, '0'));
  }
  return ok(out);
}
