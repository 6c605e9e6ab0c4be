import type { DashboardSpec } from '../lib/spec.js';
import { clusterOnly, emptyReasons, teamSel } from './selectors.js';

export const recommendations: DashboardSpec = {
  uid: 'gpuscope-recommendations',
  file: 'recommendations',
  title: 'Recommendations and actions',
  description:
    'What the analyzer found and what acting on it would save; webhook deliveries to autoscalers and the actions gpuscope took, with what they saved.',
  tags: ['recommendations', 'actions', 'webhooks'],
  variables: ['cluster', 'team'],
  from: 'now-7d',
  rows: [
    {
      title: 'Findings',
      panels: [
        {
          kind: 'stat',
          title: 'Open findings',
          description: 'Findings not resolved, all kinds.',
          unit: 'short',
          queries: [{ expr: `sum(gpuscope_findings{${clusterOnly}})` }],
        },
        {
          kind: 'stat',
          title: 'Critical findings',
          description: 'Open findings of severity critical.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [
            {
              // zero (not empty) while no finding is critical, yet empty if gpuscope's findings are not scraped at all
              expr: `sum(gpuscope_findings{${clusterOnly}, severity="critical"}) or 0 * sum(gpuscope_findings{${clusterOnly}})`,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Savings available per month',
          description:
            'Monthly cost of the open idle, bottleneck and right-sizing findings: what acting would save.',
          unit: 'currencyUSD',
          queries: [{ expr: `sum(gpuscope_team_waste_usd_per_month{${teamSel}})` }],
        },
        {
          kind: 'stat',
          title: 'Analyzer pass age',
          description: 'Time since the as-of time of the last analyzer pass.',
          unit: 's',
          thresholds: [{ value: 900, color: 'orange' }],
          queries: [{ expr: `time() - max(gpuscope_analyzer_last_pass_timestamp_seconds{${clusterOnly}})` }],
        },
        {
          kind: 'table',
          title: 'Open findings by kind and severity',
          description:
            'Counts per finding kind and severity; the findings themselves are at /api/v1/findings.',
          unit: 'short',
          queries: [{ expr: `sum by (kind, severity) (gpuscope_findings{${clusterOnly}})` }],
          width: 8,
        },
        {
          kind: 'timeseries',
          title: 'Open findings by severity',
          description: 'Open findings over time, by severity.',
          unit: 'short',
          stacked: true,
          queries: [
            { expr: `sum by (severity) (gpuscope_findings{${clusterOnly}})`, legend: '{{severity}}' },
          ],
        },
        {
          kind: 'bargauge',
          title: 'Savings per month by team and family',
          description:
            "What each team's open findings cost per month, by family (idle, bottleneck, right_size).",
          unit: 'currencyUSD',
          queries: [
            {
              expr: `topk(15, sum by (team, family) (gpuscope_team_waste_usd_per_month{${teamSel}}))`,
              legend: '{{team}} {{family}}',
            },
          ],
          width: 12,
        },
        {
          kind: 'timeseries',
          title: 'Idle GPUs by kind',
          description: 'Idle verdicts over time: the reclaim and release recommendations behind them.',
          unit: 'short',
          stacked: true,
          queries: [{ expr: `sum by (kind) (gpuscope_idle_gpus{${clusterOnly}})`, legend: '{{kind}}' }],
        },
      ],
    },
    {
      title: 'Webhooks',
      panels: [
        {
          kind: 'timeseries',
          title: 'Webhook deliveries',
          description: 'Signed recommendation webhooks delivered per second, by result.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (result) (rate(gpuscope_webhook_deliveries_total{${clusterOnly}}[$__rate_interval]))`,
              legend: '{{result}}',
              expectEmptyInSim: emptyReasons.webhooks,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Pending deliveries',
          description: 'Webhook deliveries waiting in the outbox (new or retrying).',
          unit: 'short',
          queries: [
            {
              expr: `sum(gpuscope_webhook_pending_deliveries{${clusterOnly}})`,
              expectEmptyInSim: emptyReasons.webhooks,
            },
          ],
          width: 6,
        },
        {
          kind: 'stat',
          title: 'Dead letters',
          description: 'Deliveries that ran out of retries; replay them from the API.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [
            {
              expr: `sum(gpuscope_webhook_dead_letters{${clusterOnly}})`,
              expectEmptyInSim: emptyReasons.webhooks,
            },
          ],
          width: 6,
        },
      ],
    },
    {
      title: 'Actions',
      panels: [
        {
          kind: 'stat',
          title: 'Realized savings',
          description: 'Savings of actions gpuscope carried out, in the time range.',
          unit: 'currencyUSD',
          queries: [
            {
              expr: `sum(increase(gpuscope_action_realized_savings_usd_total{${clusterOnly}}[$__range]))`,
              expectEmptyInSim: emptyReasons.actions,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Actions paused',
          description: '1 while the action engine is paused (kill switch or too many failures).',
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [
            {
              expr: `max(gpuscope_actions_paused{${clusterOnly}})`,
              expectEmptyInSim: emptyReasons.actions,
            },
          ],
        },
        {
          kind: 'stat',
          title: 'Failed actions',
          description: 'Actions that failed in the time range.',
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
          queries: [
            {
              expr: `sum(increase(gpuscope_actions_failed_total{${clusterOnly}}[$__range]))`,
              expectEmptyInSim: emptyReasons.actions,
            },
          ],
        },
        {
          kind: 'table',
          title: 'Actions by kind and state',
          description:
            'Actions in the time range by kind (scale, drain, suspend, ...) and state (dry-run, approved, done, failed).',
          unit: 'short',
          queries: [
            {
              expr: `sum by (kind, state) (increase(gpuscope_actions_total{${clusterOnly}}[$__range]))`,
              expectEmptyInSim: emptyReasons.actions,
            },
          ],
        },
        {
          kind: 'timeseries',
          title: 'Actions per hour',
          description: 'Actions by kind and state per hour.',
          unit: 'short',
          stacked: true,
          queries: [
            {
              expr: `sum by (kind, state) (increase(gpuscope_actions_total{${clusterOnly}}[1h]))`,
              legend: '{{kind}} {{state}}',
              expectEmptyInSim: emptyReasons.actions,
            },
          ],
        },
      ],
    },
  ],
};
