/**
 * What a dashboard is made of before it becomes Grafana JSON: rows of panels, each with its PromQL and
 * whether the simulator run can legitimately leave it empty. The JSON builder (`build-dashboard.ts`)
 * turns these into `@grafana/schema` types; the e2e test and the bench read the same specs.
 */

/** Template variables a dashboard can declare; `DS_PROMETHEUS` is always there. */
export type VariableName = 'cluster' | 'node' | 'team' | 'gpu_model' | 'gpu';

export type PanelKind = 'stat' | 'timeseries' | 'table' | 'bargauge';

export interface QuerySpec {
  expr: string;
  /** Grafana legend template, e.g. `{{team}}`. */
  legend?: string;
  /**
   * Why this query returns nothing on the simulated fleet (a series that only exists after an action, a
   * webhook delivery, an unpriced node...). The e2e test accepts an empty result only for these; the reason
   * is also written into the panel description.
   */
  expectEmptyInSim?: string;
}

export interface Threshold {
  value: number;
  color: string;
}

export interface PanelSpec {
  kind: PanelKind;
  title: string;
  description: string;
  /** Grafana unit id: `percentunit`, `watt`, `celsius`, `Bps`, `currencyUSD`, `short`, ... */
  unit: string;
  queries: QuerySpec[];
  /** Grid columns (of 24) and rows; defaults by kind. */
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
  /** Colour steps above the base (green); e.g. `[{ value: 80, color: 'orange' }]`. */
  thresholds?: Threshold[];
  /** Timeseries: stack the series (totals by group). */
  stacked?: boolean;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  /** File name under `dashboards/` without `.json`. */
  file: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableName[];
  /** Default time range, e.g. `now-6h`. */
  from: string;
  rows: RowSpec[];
}
