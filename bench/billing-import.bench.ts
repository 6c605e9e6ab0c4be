// Billing import: N FOCUS rows (the 240 real rows of the FOCUS 1.0 sample replicated with varied ids, charge
// hours and costs) streamed into a private PostgreSQL, at 100k and at the full size to show memory stays flat.
// Baseline in the same run: fs.readFileSync + split lines + split(',') of the same file (the floor: no
// quoting, no validation, no database). Run: node --expose-gc --import tsx bench/billing-import.bench.ts [rows] [smallRows]

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBillingFile } from '../collector/billing/import-billing-file.js';
import { openCsvFile, readCsvRows } from '../collector/billing/parse-csv.js';
import { createManualClock } from '../core/clock.js';
import { openDb } from '../core/db.js';
import { startTestPostgres } from '../test/integration/helpers/postgres.js';
import { writeResultsSection } from './results-file.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const smallRows = Number(process.argv[3] ?? 100_000);
const fixture = join(
  import.meta.dirname,
  '../test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv',
);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const HOUR = 3_600_000;

const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const focusTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

async function readTemplates() {
  const all: string[][] = [];
  for await (const batch of readCsvRows(openCsvFile(fixture))) for (const r of batch) all.push(r.fields);
  const [header, ...templates] = all;
  if (!header) throw new Error('empty fixture');
  return { header, templates };
}

/** Each row: a real row with a new Id and ResourceId suffix, a charge hour inside its period and a new cost. */
async function generate(path: string, count: number): Promise<number> {
  const { header, templates } = await readTemplates();
  const at = (name: string) => header.indexOf(name);
  const [id, resource, start, end, periodStart, billed, category] = [
    ...['Id', 'ResourceId', 'ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BilledCost'],
    'ChargeCategory',
  ].map(at) as [number, number, number, number, number, number, number];
  const out = createWriteStream(path);
  out.write(`${header.map(quote).join(',')}\n`);
  let lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = [...(templates[i % templates.length] ?? [])];
    const hourMs = Date.parse(`${f[periodStart]?.replace(' ', 'T')}Z`) + ((i * 7) % 672) * HOUR;
    f[id] = String(10_000_000 + i);
    f[resource] = `${f[resource]}-${i % 5000}`;
    f[start] = focusTime(hourMs);
    f[end] = focusTime(hourMs + HOUR);
    const negative = f[billed]?.startsWith('-');
    if (!negative && f[category] === 'Usage')
      f[billed] = `${i % 13}.${String((i * 7919) % 1e10).padStart(10, '0')}`;
    lines.push(f.map(quote).join(','));
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await once(out, 'finish');
  return statSync(path).size;
}

/** Runs fn while sampling RSS every 20 ms; the peak is what the run itself needed (plus what came before). */
async function measure<T>(
  fn: () => Promise<T> | T,
): Promise<{ value: T; seconds: number; peakRssMb: number; startRssMb: number }> {
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  let peak = startRss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds: (performance.now() - t0) / 1000, peakRssMb: mb(peak), startRssMb: mb(startRss) };
  } finally {
    clearInterval(timer);
  }
}

/** The floor. Read in ~256 MB slices cut at a newline: V8 strings stop at 512 MB, a 1M-row file is larger. */
function naiveSplit(path: string): number {
  const buffer = readFileSync(path);
  let fields = 0;
  for (let from = 0; from < buffer.length; ) {
    const cut =
      from + (1 << 28) >= buffer.length ? buffer.length : buffer.lastIndexOf(10, from + (1 << 28)) + 1;
    for (const line of buffer.toString('utf8', from, cut).split('\n')) fields += line.split(',').length;
    from = cut;
  }
  return fields;
}

const dir = mkdtempSync(join(tmpdir(), 'gpuscope-billing-bench-'));
const pgServer = await startTestPostgres();
const results: string[] = [];
try {
  const db = await openDb({ url: await pgServer.createDatabase('bench_billing'), poolSize: 2 });
  await db.migrate();
  const clock = createManualClock(Date.parse('2024-11-05T00:00:00Z'));
  const measured: { n: number; path: string; bytes: number; row: string }[] = [];
  for (const n of [smallRows, rows]) {
    const path = join(dir, `focus-${n}.csv`);
    const bytes = await generate(path, n);
    const parse = await measure(async () => {
      let count = 0;
      for await (const batch of readCsvRows(openCsvFile(path))) count += batch.length;
      return count;
    });
    const run = await measure(() => importBillingFile({ db: db.db, clock }, path, { format: 'focus' }));
    if (!run.value.ok) throw new Error(run.value.error);
    const summary = run.value.value;
    if (summary.lines !== n) throw new Error(`imported ${summary.lines} of ${n} rows`);
    const row =
      `| ${n.toLocaleString('en')} | ${mb(bytes)} | ${run.seconds.toFixed(1)} | ` +
      `${Math.round(n / run.seconds).toLocaleString('en')} | ${run.startRssMb} → ${run.peakRssMb} | ${parse.seconds.toFixed(2)} |`;
    console.log(row, `${summary.periods.length} periods, ${summary.issueCount} issues`);
    measured.push({ n, path, bytes, row: `${row}__${run.seconds}` });
  }
  for (const m of measured) {
    const base = await measure(() => naiveSplit(m.path));
    const [row, seconds] = m.row.split('__') as [string, string];
    const ratio = (Number(seconds) / base.seconds).toFixed(1);
    results.push(`${row} ${base.seconds.toFixed(2)} (${base.peakRssMb} MB) | ${ratio}× |`);
    console.log(results.at(-1));
    rmSync(m.path);
  }
  await db.close();
} finally {
  pgServer.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const markdown = `## Billing import (FOCUS CSV → PostgreSQL)

\`node --expose-gc --import tsx bench/billing-import.bench.ts ${rows} ${smallRows}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, private
PostgreSQL 15 (fsync off). Rows are the 240 real rows of the FOCUS 1.0 sample replicated with new ids, charge hours and
costs (4 billing periods interleaved). Import = stream + parse + validate + exact decimal totals + unnest inserts in
5,000-row chunks, one transaction. Peak RSS is sampled every 20 ms in the same process (the smaller run first,
all floors after all imports).
Floor = \`readFileSync\` + \`split('\\n')\` + \`split(',')\` of the same file (no quoting, no validation, no DB).
Flat memory: buffered lines keep slices of the text chunk they came from, so a period's buffer is also flushed once
its oldest line is 4 chunks behind; without that, a rare period pinned the whole file.

| rows | file MB | import s | rows/s | RSS MB at start → peak of import | CSV parse only s | floor s (peak RSS) | import / floor |
| --- | --- | --- | --- | --- | --- | --- | --- |
${results.join('\n')}
`;
writeResultsSection('billing', markdown);
console.log(markdown);
