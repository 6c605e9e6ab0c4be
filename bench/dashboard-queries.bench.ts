import { cpus } from 'node:os';
import { runPanelQuery } from '../dashboards/check/run-panel-query.js';
import { startSimStack } from '../dashboards/check/start-sim-stack.js';
import { listPanelQueries, type PanelQuery, substituteVariables } from '../dashboards/index.js';
import { startTestPrometheus, waitForSeries } from '../test/integration/helpers/prometheus.js';
import { writeResultsSection } from './results-file.js';

/**
 * Every dashboard panel query against a real Prometheus scraping a simulated 1,000-GPU fleet (125 nodes x 8)
 * and gpuscope. Target: each query answers in under 1 s. Baseline: the same number of trivial `up` queries
 * (instant or range alike), so the ratio says what the dashboards cost over Prometheus's own floor.
 *
 *   npx tsx bench/dashboard-queries.bench.ts [nodes=125] [scrapeMinutes=4] [repeats=5] [print]
 *
 * `print` lists every query with its series count and leaves RESULTS.md alone (a quick look at a small fleet).
 */
const nodes = Number(process.argv[2] ?? 125);
const scrapeMinutes = Number(process.argv[3] ?? 4);
const repeats = Number(process.argv[4] ?? 5);
const printOnly = process.argv[5] === 'print';
const scrapeSeconds = 5;
/** A one-hour dashboard range at a 15-s step (what Grafana asks for on a ~240-px-wide panel). */
const rangeSeconds = 3600;
const stepSeconds = 15;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Timing {
  query: PanelQuery;
  expr: string;
  series: number;
  seconds: number[];
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (s: number) => (s * 1000).toFixed(1);

async function timeQueries(
  url: string,
  atSeconds: number,
): Promise<{ panels: Timing[]; baseline: Timing[] }> {
  const vars = { cluster: 'sim', node: '.*', gpu: '.*', gpu_model: '.*', team: '.*' };
  const builtIns = { rangeSeconds, intervalSeconds: stepSeconds, rateIntervalSeconds: 60 };
  const window = { atSeconds, rangeSeconds, stepSeconds };
  const panels: Timing[] = listPanelQueries().map((query) => ({
    query,
    expr: substituteVariables(query.expr, { ...builtIns, vars }),
    series: 0,
    seconds: [],
  }));
  const baseline: Timing[] = panels.map((p) => ({ ...p, expr: 'up', seconds: [] }));
  // interleaved rounds so that a background hiccup (a scrape, compaction) hits both sides alike
  for (let round = 0; round < repeats; round++) {
    for (const [i, t] of panels.entries()) {
      for (const side of [t, baseline[i]!]) {
        const outcome = await runPanelQuery(url, side.query, side.expr, window);
        if (outcome.status !== 'success') throw new Error(`${side.expr}: ${outcome.error}`);
        side.series = outcome.series;
        side.seconds.push(outcome.seconds);
      }
    }
  }
  return { panels, baseline };
}

function report(panels: Timing[], baseline: Timing[], series: number, wallSeconds: number): string {
  const all = panels.flatMap((t) => t.seconds);
  const base = baseline.flatMap((t) => t.seconds);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const byMax = [...panels].sort((a, b) => Math.max(...b.seconds) - Math.max(...a.seconds));
  const slowest = byMax[0]!;
  const maxSeconds = Math.max(...all);
  const rows = byMax
    .slice(0, 10)
    .map(
      (t) =>
        `| ${t.query.dashboard} / ${t.query.panel} / ${t.query.refId} | ${t.query.instant ? 'instant' : 'range'} | ${t.series} | ${ms(quantile(t.seconds, 0.5))} | ${ms(Math.max(...t.seconds))} |`,
    );
  return `## Dashboard panel queries on Prometheus (1,000-GPU simulated fleet)

Every panel query of the six dashboards (${panels.length} queries, variables on All, cluster \`sim\`) run ${repeats} times
against Prometheus ${'2.42'} (Debian package) scraping a simulated fleet of ${nodes} nodes x 8 GPUs (dcgm-exporter and
node_exporter endpoints, every ${scrapeSeconds} s) and gpuscope's own /metrics, after ${scrapeMinutes} minutes of scraping
(${series.toLocaleString('en')} series in the head block). Range panels ask \`query_range\` for the last hour at a ${stepSeconds}-s
step, tables and bar gauges an instant query; \`$__rate_interval\` = 60 s, \`$__range\` = 1 h. Baseline: the same
number of \`up\` queries of the same kind, interleaved with them. ${cpus().length} cores shared with other work
(${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; the whole run took ${wallSeconds.toFixed(0)} s.

| measure | panel queries | \`up\` baseline | ratio |
| --- | ---: | ---: | ---: |
| p50 per query (ms) | ${ms(quantile(all, 0.5))} | ${ms(quantile(base, 0.5))} | ${(quantile(all, 0.5) / quantile(base, 0.5)).toFixed(1)}x |
| p95 per query (ms) | ${ms(quantile(all, 0.95))} | ${ms(quantile(base, 0.95))} | ${(quantile(all, 0.95) / quantile(base, 0.95)).toFixed(1)}x |
| max per query (ms) | ${ms(maxSeconds)} | ${ms(Math.max(...base))} | ${(maxSeconds / Math.max(...base)).toFixed(1)}x |
| all ${panels.length} queries once (s, mean of ${repeats} rounds) | ${(sum(all) / repeats).toFixed(2)} | ${(sum(base) / repeats).toFixed(2)} | ${(sum(all) / sum(base)).toFixed(1)}x |

Target: every query under 1 s: **${maxSeconds < 1 ? 'met' : 'not met'}**. The slowest: \`${slowest.expr}\`
(${slowest.query.dashboard} / ${slowest.query.panel}), max ${ms(Math.max(...slowest.seconds))} ms.

The ten slowest by their max:

| query | kind | series | p50 ms | max ms |
| --- | --- | ---: | ---: | ---: |
${rows.join('\n')}

Limits: Prometheus holds only the minutes this run scraped, so a one-hour range reads ${scrapeMinutes} minutes of
samples at a ${scrapeSeconds}-s interval (as many samples per series as ${(scrapeMinutes * 3).toFixed(0)} minutes at dcgm-exporter's
15 s); a 7-day range on a real Prometheus reads more chunks per series and is slower in proportion.`;
}

async function main() {
  const started = performance.now();
  const stack = await startSimStack({ nodes, seed: 42 });
  console.log(`stack up after ${((performance.now() - started) / 1000).toFixed(0)} s: ${nodes * 8} GPUs`);
  const prometheus = await startTestPrometheus({
    scrapeConfigs: stack.scrapeConfigs(scrapeSeconds),
    scrapeIntervalSeconds: scrapeSeconds,
  });
  try {
    for (const s of ['DCGM_FI_DEV_GPU_TEMP', 'gpuscope_cost_usd_total', 'gpuscope_findings']) {
      await waitForSeries(prometheus.url, s, 1, 120_000);
    }
    await sleep(scrapeMinutes * 60_000);
    const head = (await (await fetch(`${prometheus.url}/api/v1/status/tsdb`)).json()) as {
      data: { headStats: { numSeries: number } };
    };
    const { panels, baseline } = await timeQueries(prometheus.url, Math.floor(Date.now() / 1000));
    const body = report(
      panels,
      baseline,
      head.data.headStats.numSeries,
      (performance.now() - started) / 1000,
    );
    console.log(body);
    if (printOnly) {
      for (const t of panels) console.log(`${t.series}\t${ms(Math.max(...t.seconds))} ms\t${t.expr}`);
    } else {
      writeResultsSection('dashboard-queries', body);
    }
  } finally {
    await prometheus.stop();
    await stack.stop();
  }
}

await main();
