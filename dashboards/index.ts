import { cost } from './defs/cost.js';
import { fabric } from './defs/fabric.js';
import { fleetOverview } from './defs/fleet-overview.js';
import { gpuDetail } from './defs/gpu-detail.js';
import { recommendations } from './defs/recommendations.js';
import { teams } from './defs/teams.js';
import { buildDashboard, type ImportableDashboard, isInstantPanel } from './lib/build-dashboard.js';
import type { DashboardSpec, PanelKind } from './lib/spec.js';

export type { ImportableDashboard, PrometheusTarget } from './lib/build-dashboard.js';
export type { DashboardSpec, PanelSpec, QuerySpec, VariableName } from './lib/spec.js';
export { variableQueries } from './lib/variables.js';

/** Every dashboard gpuscope ships, in the order the README lists them. */
export const dashboardSpecs: readonly DashboardSpec[] = [
  fleetOverview,
  gpuDetail,
  teams,
  fabric,
  cost,
  recommendations,
];

export interface BuiltDashboard {
  spec: DashboardSpec;
  file: string;
  json: ImportableDashboard;
}

export function buildAllDashboards(): BuiltDashboard[] {
  return dashboardSpecs.map((spec) => ({ spec, file: `${spec.file}.json`, json: buildDashboard(spec) }));
}

/** One PromQL query of one panel, as the e2e test and the bench run it. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  kind: PanelKind;
  refId: string;
  expr: string;
  /** Tables and bar gauges ask for the newest value only; the rest for a range. */
  instant: boolean;
  expectEmptyInSim?: string;
}

export function listPanelQueries(specs: readonly DashboardSpec[] = dashboardSpecs): PanelQuery[] {
  return specs.flatMap((d) =>
    d.rows.flatMap((r) =>
      r.panels.flatMap((p) =>
        p.queries.map((q, i) => ({
          dashboard: d.uid,
          panel: p.title,
          kind: p.kind,
          refId: String.fromCharCode(65 + i),
          expr: q.expr,
          instant: isInstantPanel(p.kind),
          ...(q.expectEmptyInSim ? { expectEmptyInSim: q.expectEmptyInSim } : {}),
        })),
      ),
    ),
  );
}

/** Grafana's built-in variables a query may use, replaced the way Grafana would for a given range and step. */
export function substituteVariables(
  expr: string,
  values: {
    rangeSeconds: number;
    intervalSeconds: number;
    rateIntervalSeconds: number;
    vars: Record<string, string>;
  },
): string {
  let out = expr
    .replaceAll('$__rate_interval', `${values.rateIntervalSeconds}s`)
    .replaceAll('$__range', `${values.rangeSeconds}s`)
    .replaceAll('$__interval', `${values.intervalSeconds}s`);
  // longest names first so `$gpu_model` is never read as `$gpu` followed by `_model`
  for (const name of Object.keys(values.vars).sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), values.vars[name] ?? '');
  }
  return out;
}
