import { type VariableModel, VariableRefresh, VariableSort } from '@grafana/schema';
import type { VariableName } from './spec.js';

/** The data source every panel and variable names; `__inputs` maps it on import, the variable when provisioned. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
export const datasourceUid = '${DS_PROMETHEUS}';
export const datasourceRef = { type: 'prometheus', uid: datasourceUid } as const;

/**
 * The label each variable filters on, and where its values come from. DCGM series carry `cluster` and `node`
 * as target labels (see README: the scrape configuration) and `modelName` from dcgm-exporter; gpuscope's own
 * series name the team and the GPU model themselves.
 */
export const variableQueries: Record<VariableName, { label: string; query: string; multi: boolean }> = {
  cluster: { label: 'Cluster', query: 'label_values(DCGM_FI_DEV_GPU_TEMP, cluster)', multi: true },
  node: {
    label: 'Node',
    query: 'label_values(DCGM_FI_DEV_GPU_TEMP{cluster=~"$cluster"}, node)',
    multi: true,
  },
  gpu_model: {
    label: 'GPU model',
    query: 'label_values(DCGM_FI_DEV_GPU_TEMP{cluster=~"$cluster"}, modelName)',
    multi: true,
  },
  team: {
    label: 'Team',
    query: 'label_values(gpuscope_jobs_gpus_allocated{cluster=~"$cluster"}, team)',
    multi: true,
  },
  gpu: {
    label: 'GPU',
    query: 'label_values(DCGM_FI_DEV_GPU_TEMP{cluster=~"$cluster", node=~"$node"}, gpu)',
    multi: true,
  },
};

function datasourceVariable(): VariableModel {
  return {
    name: 'DS_PROMETHEUS',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    refresh: VariableRefresh.onDashboardLoad,
    options: [],
    hide: 0,
  };
}

function queryVariable(name: VariableName): VariableModel {
  const v = variableQueries[name];
  return {
    name,
    label: v.label,
    type: 'query',
    datasource: datasourceRef,
    query: v.query,
    refresh: VariableRefresh.onTimeRangeChanged,
    sort: VariableSort.naturalAsc,
    multi: v.multi,
    includeAll: true,
    allValue: '.*',
    current: { text: ['All'], value: ['$__all'], selected: true },
    options: [],
    hide: 0,
  };
}

/** `DS_PROMETHEUS` first, then the dashboard's own variables in a fixed order (each depends on those before). */
export function buildVariables(names: readonly VariableName[]): VariableModel[] {
  const order: VariableName[] = ['cluster', 'node', 'gpu', 'gpu_model', 'team'];
  return [datasourceVariable(), ...order.filter((n) => names.includes(n)).map(queryVariable)];
}
