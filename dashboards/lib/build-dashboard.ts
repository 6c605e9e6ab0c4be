import {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  type Dashboard,
  DashboardCursorSync,
  FieldColorModeId,
  type FieldConfigSource,
  type GraphFieldConfig,
  LegendDisplayMode,
  type Panel,
  PercentChangeColorMode,
  type RowPanel,
  SortOrder,
  StackingMode,
  TableCellHeight,
  ThresholdsMode,
  TooltipDisplayMode,
  VizOrientation,
} from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { DashboardSpec, PanelKind, PanelSpec } from './spec.js';
import { buildVariables, datasourceRef } from './variables.js';

/** Oldest Grafana the JSON is written for (schemaVersion 39); newer versions migrate it on load. */
export const minGrafanaVersion = '10.4.0';
const schemaVersion = 39;

/** A Prometheus query target as Grafana stores it. */
export interface PrometheusTarget {
  refId: string;
  datasource: typeof datasourceRef;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format: 'time_series' | 'table';
  editorMode: 'code';
}

interface ImportInput {
  name: string;
  label: string;
  description: string;
  type: 'datasource';
  pluginId: string;
  pluginName: string;
}

interface ImportRequirement {
  type: 'grafana' | 'datasource' | 'panel';
  id: string;
  name: string;
  version: string;
}

/** A dashboard ready for Grafana's import (the `__inputs`/`__requires` the export format adds). */
export type ImportableDashboard = { __inputs: ImportInput[]; __requires: ImportRequirement[] } & Dashboard;

const panelNames: Record<PanelKind, string> = {
  stat: 'Stat',
  timeseries: 'Time series',
  table: 'Table',
  bargauge: 'Bar gauge',
};

const defaultSize: Record<PanelKind, { w: number; h: number }> = {
  stat: { w: 4, h: 4 },
  timeseries: { w: 12, h: 8 },
  table: { w: 12, h: 8 },
  bargauge: { w: 8, h: 8 },
};

/** Table and bar-gauge panels show the newest value (instant); stats and graphs read a range. */
export function isInstantPanel(kind: PanelKind): boolean {
  return kind === 'table' || kind === 'bargauge';
}

function buildTargets(panel: PanelSpec): PrometheusTarget[] {
  const instant = isInstantPanel(panel.kind);
  return panel.queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: datasourceRef,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !instant,
    instant,
    format: panel.kind === 'table' ? 'table' : 'time_series',
    editorMode: 'code',
  }));
}

function describe(panel: PanelSpec): string {
  const empty = panel.queries.filter((q) => q.expectEmptyInSim).map((q) => q.expectEmptyInSim);
  return empty.length === 0
    ? panel.description
    : `${panel.description} Empty on the simulator: ${empty.join('; ')}.`;
}

function buildFieldConfig(panel: PanelSpec): FieldConfigSource {
  // an interface has no index signature, so the typed config is spread into the record Grafana's type wants
  const custom: Record<string, unknown> =
    panel.kind === 'timeseries'
      ? {
          ...({
            lineWidth: 1,
            fillOpacity: panel.stacked ? 30 : 10,
            spanNulls: false,
            stacking: { mode: panel.stacked ? StackingMode.Normal : StackingMode.None, group: 'A' },
          } satisfies GraphFieldConfig),
        }
      : {};
  return {
    defaults: {
      unit: panel.unit,
      ...(panel.min !== undefined ? { min: panel.min } : {}),
      ...(panel.max !== undefined ? { max: panel.max } : {}),
      ...(panel.decimals !== undefined ? { decimals: panel.decimals } : {}),
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [{ value: null, color: 'green' }, ...(panel.thresholds ?? [])],
      },
      color: { mode: panel.thresholds ? FieldColorModeId.Thresholds : FieldColorModeId.PaletteClassic },
      custom,
    },
    overrides: [],
  };
}

const reduceLast = { calcs: ['lastNotNull'], fields: '', values: false };

function buildOptions(panel: PanelSpec): Record<string, unknown> {
  switch (panel.kind) {
    case 'stat':
      return {
        reduceOptions: reduceLast,
        orientation: VizOrientation.Auto,
        colorMode: panel.thresholds ? BigValueColorMode.Background : BigValueColorMode.Value,
        graphMode: BigValueGraphMode.Area,
        justifyMode: BigValueJustifyMode.Auto,
        textMode: BigValueTextMode.Auto,
        percentChangeColorMode: PercentChangeColorMode.Standard,
        showPercentChange: false,
        wideLayout: true,
      } satisfies StatOptions;
    case 'timeseries':
      return {
        legend: {
          showLegend: true,
          displayMode: LegendDisplayMode.Table,
          placement: 'right',
          calcs: ['lastNotNull', 'max'],
        },
        tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
      } satisfies TimeSeriesOptions;
    case 'table':
      return { showHeader: true, frameIndex: 0, cellHeight: TableCellHeight.Sm } satisfies TableOptions;
    case 'bargauge':
      return {
        reduceOptions: reduceLast,
        orientation: VizOrientation.Horizontal,
        displayMode: BarGaugeDisplayMode.Gradient,
        valueMode: BarGaugeValueMode.Color,
        namePlacement: BarGaugeNamePlacement.Auto,
        showUnfilled: true,
        sizing: BarGaugeSizing.Auto,
        minVizHeight: 16,
        minVizWidth: 8,
        maxVizHeight: 300,
        legend: { showLegend: false, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
      } satisfies BarGaugeOptions;
  }
}

/** Places panels left to right in 24 columns, wrapping to a new line when the next one does not fit. */
class GridCursor {
  x = 0;
  y = 0;
  lineHeight = 0;
  nextId = 1;

  place(w: number, h: number) {
    if (this.x + w > 24) this.newLine();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.lineHeight = Math.max(this.lineHeight, h);
    return pos;
  }

  newLine() {
    this.y += this.lineHeight;
    this.x = 0;
    this.lineHeight = 0;
  }
}

function buildPanel(panel: PanelSpec, cursor: GridCursor): Panel {
  const size = defaultSize[panel.kind];
  return {
    id: cursor.nextId++,
    type: panel.kind,
    title: panel.title,
    description: describe(panel),
    datasource: datasourceRef,
    gridPos: cursor.place(panel.width ?? size.w, panel.height ?? size.h),
    targets: buildTargets(panel) as unknown as Record<string, unknown>[],
    fieldConfig: buildFieldConfig(panel),
    options: buildOptions(panel),
    ...(panel.kind === 'table'
      ? {
          transformations: [
            { id: 'merge', options: {} },
            { id: 'organize', options: { excludeByName: { Time: true } } },
          ],
        }
      : {}),
  };
}

function buildRequires(spec: DashboardSpec): ImportRequirement[] {
  const kinds = [...new Set(spec.rows.flatMap((r) => r.panels.map((p) => p.kind)))].sort();
  return [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: minGrafanaVersion },
    { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ...kinds.map((k) => ({ type: 'panel' as const, id: k, name: panelNames[k], version: '' })),
  ];
}

/** The Grafana JSON of one dashboard spec, typed by `@grafana/schema` and ready for import or provisioning. */
export function buildDashboard(spec: DashboardSpec): ImportableDashboard {
  const cursor = new GridCursor();
  const panels: (Panel | RowPanel)[] = [];
  for (const row of spec.rows) {
    cursor.newLine();
    panels.push({
      id: cursor.nextId++,
      type: 'row',
      title: row.title,
      collapsed: false,
      panels: [],
      gridPos: cursor.place(24, 1),
    });
    cursor.newLine();
    for (const panel of row.panels) panels.push(buildPanel(panel, cursor));
  }
  const dashboard: Dashboard = {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['gpuscope', ...spec.tags],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    schemaVersion,
    version: 1,
    refresh: '1m',
    time: { from: spec.from, to: 'now' },
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [
      {
        title: 'gpuscope dashboards',
        type: 'dashboards',
        tags: ['gpuscope'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    annotations: { list: [] },
    templating: { list: buildVariables(spec.variables) },
    panels,
  };
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        description: 'The Prometheus that scrapes dcgm-exporter, node_exporter and gpuscope',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    __requires: buildRequires(spec),
    ...dashboard,
  };
}
