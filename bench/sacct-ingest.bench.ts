/**
 * sacct --json ingest: the streaming reader (collector/slurm/stream-sacct-json.ts) against JSON.parse of the same
 * bytes (with the same record mapping, and plain), for 10,000 and 100,000 jobs built from the real Slurm 23.11 job
 * in test/fixtures/jobs. Every (size, method) runs in its own child process so peak RSS and heap are its own.
 * Run: npx tsx bench/sacct-ingest.bench.ts. Prints a markdown table and writes it into bench/RESULTS.md (sacct).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSacctJob } from '../collector/slurm/parse-sacct-json.js';
import { streamSacctJson } from '../collector/slurm/stream-sacct-json.js';
import { writeResultsSection } from './results-file.js';

const SIZES = [10_000, 100_000];
const METHODS = ['stream', 'parse+map', 'parse'] as const;
type Method = (typeof METHODS)[number];

interface Measurement {
  jobs: number;
  method: Method;
  records: number;
  wallMs: number;
  peakRssMb: number;
  peakHeapMb: number;
}

const fixture = join(import.meta.dirname, '../test/fixtures/jobs/sacct_json_slurm_23_11_5.json');
const context = { source: 'sacct --json', cluster: 'bench', line: null };

/** Writes a sacct --json document of `count` jobs: the fixture's job with ids, times and states varied. */
async function writeDocument(path: string, count: number): Promise<void> {
  const real = JSON.parse(readFileSync(fixture, 'utf8')) as {
    meta: unknown;
    jobs: Record<string, unknown>[];
  };
  const template = real.jobs[0];
  if (template === undefined) throw new Error('fixture has no job');
  const out = createWriteStream(path);
  out.write(`{"meta":${JSON.stringify(real.meta)},"errors":[],"warnings":[],"jobs":[`);
  const base = 1_700_000_000;
  for (let i = 0; i < count; i++) {
    const job = structuredClone(template);
    job.job_id = 1_000_000 + i;
    job.name = `train-${i % 97}`;
    const start = base + i * 30;
    job.time = { ...(job.time as object), submission: start - 60, start, end: start + 3600 + (i % 600) };
    job.state = { current: [i % 10 === 0 ? 'FAILED' : 'COMPLETED'], reason: 'None' };
    if (!out.write(`${i === 0 ? '' : ','}${JSON.stringify(job)}`)) await once(out, 'drain');
  }
  out.end(']}');
  await once(out, 'finish');
}

/** Child side: one method on one file; prints a JSON measurement. */
async function measure(method: Method, path: string, jobs: number): Promise<Measurement> {
  let peakHeap = process.memoryUsage().heapUsed;
  const sample = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const sampler = setInterval(sample, 5);
  const t0 = performance.now();
  let records = 0;
  if (method === 'stream') {
    for await (const event of streamSacctJson(createReadStream(path, { highWaterMark: 1 << 16 }), context)) {
      if (event.type === 'job') records++;
    }
  } else {
    const document = JSON.parse(readFileSync(path, 'utf8')) as { jobs: unknown[] };
    sample();
    records =
      method === 'parse' ? document.jobs.length : document.jobs.map((j) => parseSacctJob(j, context)).length;
    sample();
  }
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  return { jobs, method, records, wallMs, peakRssMb, peakHeapMb: peakHeap / 2 ** 20 };
}

function runChild(method: Method, path: string, jobs: number): Measurement {
  const args = [
    ...process.execArgv,
    '--max-old-space-size=8192',
    import.meta.filename,
    'child',
    method,
    path,
    String(jobs),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`child ${method} ${jobs} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as Measurement;
}

function render(rows: Measurement[], bytes: Map<number, number>): string {
  const find = (jobs: number, method: Method) => rows.find((r) => r.jobs === jobs && r.method === method);
  const lines = [
    `sacct --json ingest (\`npx tsx bench/sacct-ingest.bench.ts\`, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} CPUs shared with other work). Jobs are the real Slurm 23.11 job of test/fixtures/jobs with ids, times and states varied, written compact (pretty-printed sacct output of 100k jobs, ~540 MB, would not fit one V8 string, so JSON.parse could not read it at all; the stream can).`,
    '',
    '| jobs | file MB | method | wall s | jobs/s | peak RSS MB | peak heap MB |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const mb = ((bytes.get(r.jobs) ?? 0) / 2 ** 20).toFixed(0);
    const rate = Math.round(r.records / (r.wallMs / 1000)).toLocaleString('en-US');
    lines.push(
      `| ${r.jobs.toLocaleString('en-US')} | ${mb} | ${r.method} | ${(r.wallMs / 1000).toFixed(2)} | ${rate} | ${r.peakRssMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} |`,
    );
  }
  lines.push('');
  for (const jobs of SIZES) {
    const s = find(jobs, 'stream');
    const pm = find(jobs, 'parse+map');
    const p = find(jobs, 'parse');
    if (s && pm && p) {
      lines.push(
        `- ${jobs.toLocaleString('en-US')} jobs: stream / (JSON.parse + map) wall = ${(s.wallMs / pm.wallMs).toFixed(2)}, stream / JSON.parse alone = ${(s.wallMs / p.wallMs).toFixed(2)}; peak RSS stream ${s.peakRssMb.toFixed(0)} MB vs JSON.parse + map ${pm.peakRssMb.toFixed(0)} MB.`,
      );
    }
  }
  const small = find(SIZES[0] ?? 0, 'stream');
  const large = find(SIZES[1] ?? 0, 'stream');
  if (small && large) {
    lines.push(
      `- Streaming memory against input size: ${((SIZES[1] ?? 0) / (SIZES[0] ?? 1)).toFixed(0)}x the jobs → peak RSS x${(large.peakRssMb / small.peakRssMb).toFixed(2)}, peak heap x${(large.peakHeapMb / small.peakHeapMb).toFixed(2)}. Target: 100k jobs < 10 s (${large.wallMs < 10_000 ? 'met' : 'NOT met'}: ${(large.wallMs / 1000).toFixed(2)} s).`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const [mode, method, path, jobs] = process.argv.slice(2);
  if (mode === 'child') {
    console.log(JSON.stringify(await measure(method as Method, path ?? '', Number(jobs))));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sacct-bench-'));
  try {
    const rows: Measurement[] = [];
    const bytes = new Map<number, number>();
    for (const size of SIZES) {
      const file = join(dir, `sacct-${size}.json`);
      await writeDocument(file, size);
      bytes.set(size, statSync(file).size);
      for (const m of METHODS) rows.push(runChild(m, file, size));
    }
    const markdown = render(rows, bytes);
    console.log(markdown);
    writeResultsSection('sacct', markdown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
