import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabelValues, runPanelQuery } from '../../dashboards/check/run-panel-query.js';
import { type SimStack, startSimStack } from '../../dashboards/check/start-sim-stack.js';
import {
  dashboardSpecs,
  listPanelQueries,
  substituteVariables,
  variableQueries,
} from '../../dashboards/index.js';
import {
  prometheusAvailable,
  startTestPrometheus,
  type TestPrometheus,
  waitForSeries,
} from './helpers/prometheus.js';

/**
 * Every panel query of every dashboard against a real Prometheus that scrapes the simulator's exporters and
 * gpuscope's own /metrics (gpuscope itself scraping the same simulator, on embedded PGlite). A query must parse
 * and return series on the simulated fleet, unless its panel says why it is empty there (`expectEmptyInSim`).
 */
const scrapeSeconds = 2;
const queries = listPanelQueries();
let stack: SimStack | undefined;
let prometheus: TestPrometheus | undefined;
let atSeconds = 0;
/** The label value of the largest series of an instant query. */
async function topLabel(url: string, expr: string, label: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: `topk(1, ${expr})` })}`);
  const body = (await response.json()) as { data: { result: { metric: Record<string, string> }[] } };
  const value = body.data.result[0]?.metric[label];
  if (!value) throw new Error(`${expr}: no ${label}`);
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The series each family of panels needs before its queries can answer. */
const needed = [
  'DCGM_FI_DEV_GPU_TEMP',
  'node_infiniband_state_id',
  'gpuscope_link_utilization_ratio{link_type="infiniband"}',
  'gpuscope_link_utilization_ratio{link_type="nvlink"}',
  // error counters appear with the first increase gpuscope sees: its second DCGM scrape of the erring NVLink
  'gpuscope_link_errors_total',
  'gpuscope_jobs_gpus_allocated',
  'gpuscope_team_gpu_efficiency_ratio',
  'gpuscope_team_waste_usd_per_month',
  'gpuscope_findings',
  'gpuscope_cost_usd_total',
  'gpuscope_idle_cost_usd_total{kind="idle"}',
  'gpuscope_gpu_hourly_cost_usd',
  'gpuscope_budget_spent_usd',
];

const window = () => ({ atSeconds, rangeSeconds: 600, stepSeconds: 15 });
const builtIns = { rangeSeconds: 600, intervalSeconds: 15, rateIntervalSeconds: 60 };

describe.skipIf(!prometheusAvailable())(
  'dashboard queries on a real Prometheus scraping the simulator',
  () => {
    beforeAll(async () => {
      stack = await startSimStack({ nodes: 20, seed: 42 });
      prometheus = await startTestPrometheus({
        scrapeConfigs: stack.scrapeConfigs(scrapeSeconds),
        scrapeIntervalSeconds: scrapeSeconds,
      });
      for (const series of needed) await waitForSeries(prometheus.url, series, 1, 90_000);
      // enough samples after the first for rate() over $__rate_interval and increase() over the range
      await sleep(5 * scrapeSeconds * 1000);
      atSeconds = Math.floor(Date.now() / 1000);
    }, 240_000);

    afterAll(async () => {
      await prometheus?.stop();
      await stack?.stop();
    });

    it('resolves every template variable of every dashboard to at least one value', async () => {
      for (const name of new Set(dashboardSpecs.flatMap((d) => d.variables))) {
        const query = substituteVariables(variableQueries[name].query, {
          ...builtIns,
          vars: { cluster: 'sim', node: '.*' },
        });
        const values = await resolveLabelValues(prometheus!.url, query);
        expect(values.length, `${name}: ${query}`).toBeGreaterThan(0);
      }
    });

    it.each(queries.map((q) => [`${q.dashboard} / ${q.panel} / ${q.refId}`, q] as const))(
      '%s parses and returns data with every variable on All',
      async (_name, query) => {
        const vars = { cluster: 'sim', node: '.*', gpu: '.*', gpu_model: '.*', team: '.*' };
        const expr = substituteVariables(query.expr, { ...builtIns, vars });
        const outcome = await runPanelQuery(prometheus!.url, query, expr, window());
        expect(outcome.error, expr).toBeUndefined();
        expect(outcome.status).toBe('success');
        if (!query.expectEmptyInSim) expect(outcome.series, `no data: ${expr}`).toBeGreaterThan(0);
      },
    );

    it('returns data with one real value per variable too: the NVLink-error node and its GPU 0, or a team with waste and its GPU model', async () => {
      // the node of the planted NVLink errors: busy 8-GPU job, so activity, NVLink and error panels all have data
      const node = stack!.fleet.groundTruth().scenarios.find((s) => s.kind === 'nvlink-errors')!.node;
      const model = (
        await resolveLabelValues(
          prometheus!.url,
          `label_values(DCGM_FI_DEV_GPU_TEMP{node="${node}"}, modelName)`,
        )
      )[0]!;
      // which teams have findings and idle GPUs of which model depends on how much history the run had (35 to 65
      // minutes, by the wall clock): the team panels get a team with waste and that team's own GPU model
      const team = await topLabel(
        prometheus!.url,
        `sum by (team) (gpuscope_team_waste_usd_per_month{team!=""}) and on (team) sum by (team) (gpuscope_idle_cost_usd_total{kind="idle"})`,
        'team',
      );
      const teamModel = await topLabel(
        prometheus!.url,
        `sum by (gpu_model) (gpuscope_idle_cost_usd_total{kind="idle", team="${team}"})`,
        'gpu_model',
      );
      const selections = [
        { cluster: 'sim', node, gpu: '0', gpu_model: model, team },
        { cluster: 'sim', node: '.*', gpu: '.*', gpu_model: teamModel, team },
      ];
      const failed: string[] = [];
      for (const query of queries) {
        const outcomes = [];
        for (const vars of selections) {
          const expr = substituteVariables(query.expr, { ...builtIns, vars });
          const outcome = await runPanelQuery(prometheus!.url, query, expr, window());
          outcomes.push({ expr, outcome });
          if (outcome.status !== 'success' || outcome.series > 0) break;
        }
        const last = outcomes.at(-1)!;
        if (last.outcome.status !== 'success') failed.push(`${query.panel}: ${last.outcome.error}`);
        else if (last.outcome.series === 0 && !query.expectEmptyInSim)
          failed.push(`${query.panel}: no data: ${outcomes.map((o) => o.expr).join(' | ')}`);
      }
      expect(failed).toEqual([]);
    });
  },
);
