// One pass of the cost allocation tick on a 10,000-GPU fleet: 1,250 nodes x 8 GPUs, 7 hours of minute rollups
// (the default 6-hour look-back plus the open hour, 4.2M rows), about half the GPU-minutes held by 2,500 jobs, a
// price book per GPU model and node overhead. Measures `allocateRange` as the tick calls it (aggregation in
// PostgreSQL, split in JS, hourly + daily writes) against a baseline in the same run that pulls the window's raw
// rollup rows into JS and aggregates them there, the way the analyzer must not.
// Run: npx tsx bench/cost-allocation.bench.ts [runs]   (a few minutes, most of it seeding)

import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { allocateRange } from '../analyzer/cost/allocate-hours.js';
import { allocationOptionsFromConfig } from '../analyzer/cost/run-allocation-tick.js';
import { buildPriceBookRows } from '../collector/aws/price-book.js';
import { upsertPrices } from '../collector/aws/queries.js';
import { Config } from '../core/config.js';
import { openDb } from '../core/db.js';
import { startTestPostgres } from '../test/integration/helpers/postgres.js';
import { writeResultsSection } from './results-file.js';

const runs = Number(process.argv[2] ?? 3);
const NODES = 1250;
const GPUS = 8;
const HOURS = 7;
const T0 = Date.UTC(2026, 10, 20, 0);
const T1 = T0 + HOURS * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const loadAtStart = loadavg()[0] ?? 0;

const pgServer = await startTestPostgres();
try {
  const url = await pgServer.createDatabase('bench_allocation');
  const handle = await openDb({ url, poolSize: 4 });
  await handle.migrate();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const q = (text: string) => client.query(text);
  const t0 = performance.now();
  await q(`insert into nodes (id, cluster, name) select i, 'bench', format('gpu-%s', lpad(i::text, 4, '0'))
    from generate_series(1, ${NODES}) i`);
  await q(`insert into gpus (id, node_id, uuid, gpu_index, model)
    select (n - 1) * ${GPUS} + g + 1, n, format('GPU-%s-%s', n, g), g,
      case when n % 2 = 0 then 'NVIDIA H100 80GB HBM3' else 'NVIDIA A100-SXM4-80GB' end
    from generate_series(1, ${NODES}) n, generate_series(0, ${GPUS - 1}) g`);
  // two jobs per node, each on 4 GPUs, one running the whole window, one for its first 3 hours
  await q(`insert into jobs (id, cluster, source, job_id, name, team, state, raw_state, gpus_allocated, nodes, pods,
      owners, labels)
    select j, 'bench', 'slurm', j::text, format('job-%s', j), format('team-%s', j % 25), 'running', 'RUNNING', 4,
      array[format('gpu-%s', lpad(((j + 1) / 2)::text, 4, '0'))], '{}', '[]', '{}'
    from generate_series(1, ${NODES * 2}) j`);
  await q(`insert into gpu_rollups (gpu_id, bucket, sample_count, activity_source, activity_mean, activity_max, job_ref)
    select g.id, '${iso(T0)}'::timestamptz + m * interval '1 minute', 4, 'gr_engine_active',
      case when g.gpu_index % 4 = 3 then 0.01 else 0.8 end, case when g.gpu_index % 4 = 3 then 0.02 else 0.9 end,
      case when g.gpu_index < 4 then g.node_id * 2 - 1 when m < 180 then g.node_id * 2 end
    from gpus g, generate_series(0, ${HOURS * 60 - 1}) m`);
  await q('analyze');
  const seedSeconds = (performance.now() - t0) / 1000;
  const config = Config.parse({
    cluster: 'bench',
    priceBook: {
      gpuHourUsd: { 'NVIDIA H100 80GB HBM3': 2.99, 'NVIDIA A100-SXM4-80GB': 1.79 },
      nodeOverheadHourUsd: { '*': 1.2 },
    },
  });
  const now = new Date(T1);
  await upsertPrices(handle.db, buildPriceBookRows(config.priceBook, new Date(T0)), new Date(T0));
  const options = { ...allocationOptionsFromConfig(config), db: handle.db, now };
  const rollupRows = Number((await q('select count(*)::int as n from gpu_rollups')).rows[0]?.n ?? 0);
  console.log(`seeded ${rollupRows.toLocaleString('en')} rollup rows in ${seedSeconds.toFixed(1)} s`);

  const allocation: number[] = [];
  const raw: number[] = [];
  let rssPeak = 0;
  let rawRssPeak = 0;
  for (let i = 0; i < runs; i++) {
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let t = performance.now();
    await allocateRange(options, new Date(T0), new Date(T1));
    allocation.push(performance.now() - t);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss - rss0);
    global.gc?.();
    // baseline: every rollup row of the window into JS, grouped there per node-hour, GPU and job
    const rss1 = process.memoryUsage().rss;
    t = performance.now();
    const rows = await client.query(
      `select n.name, date_trunc('hour', r.bucket) as hour, g.uuid, r.job_ref, r.activity_max
       from gpu_rollups r join gpus g on g.id = r.gpu_id join nodes n on n.id = g.node_id
       where n.cluster = 'bench' and r.bucket >= $1 and r.bucket < $2`,
      [iso(T0), iso(T1)],
    );
    const groups = new Map<string, { minutes: number; idle: number }>();
    for (const r of rows.rows as {
      name: string;
      hour: Date;
      uuid: string;
      job_ref: number | null;
      activity_max: number;
    }[]) {
      const key = `${r.name}|${r.hour.getTime()}|${r.uuid}|${r.job_ref}`;
      const g = groups.get(key) ?? { minutes: 0, idle: 0 };
      g.minutes++;
      if (r.activity_max < 0.05) g.idle++;
      groups.set(key, g);
    }
    raw.push(performance.now() - t);
    rawRssPeak = Math.max(rawRssPeak, process.memoryUsage().rss - rss1);
    console.log(
      `run ${i + 1}: allocateRange ${allocation.at(-1)?.toFixed(0)} ms, raw rows into JS (aggregation only) ${raw.at(-1)?.toFixed(0)} ms, ${groups.size} groups`,
    );
  }
  const [counts] = (
    await q(`select (select count(*)::int from cost_allocations) as hourly,
      (select count(*)::int from cost_node_hours) as node_hours,
      (select sum(cost)::text from cost_allocations) as total`)
  ).rows as { hourly: number; node_hours: number; total: string }[];
  await client.end();
  await handle.close();

  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  const markdown = `## Cost allocation pass (10,000 GPUs, 7 hours of minute rollups, PostgreSQL)

\`npx tsx bench/cost-allocation.bench.ts ${runs}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version},
${new Date().toISOString().slice(0, 10)}, 1-minute load average at start ${loadAtStart.toFixed(2)}. Private PostgreSQL 15 on the same machine.

What one allocation tick does with the default look-back (6 hours + the open hour): ${rollupRows.toLocaleString('en')} minute rollups of
1,250 nodes x 8 GPUs (seeded in ${seedSeconds.toFixed(0)} s), 2,500 jobs, price book by GPU model plus node overhead. It wrote
${counts?.hourly.toLocaleString('en')} hourly allocation rows and ${counts?.node_hours.toLocaleString('en')} node-hours ($${Number(counts?.total ?? 0).toFixed(2)} in all), and rebuilt the day's daily tables.

| | median of ${runs} | runs (ms) | RSS growth, max |
| --- | ---: | --- | ---: |
| \`allocateRange\` (aggregate in SQL, split, write hourly + daily) | **${median(allocation).toFixed(0)} ms** | ${allocation.map((v) => v.toFixed(0)).join(', ')} | ${mb(rssPeak)} MB |
| baseline: the raw rollup rows into JS and grouped there (no pricing, no writes) | ${median(raw).toFixed(0)} ms | ${raw.map((v) => v.toFixed(0)).join(', ')} | ${mb(rawRssPeak)} MB |

The whole tick takes ${(median(allocation) / median(raw)).toFixed(2)}× the time the baseline needs only to read and group the rows.
`;
  writeResultsSection('cost-allocation', markdown);
  console.log(markdown);
} finally {
  pgServer.destroy();
}
