/**
 * Label matchers shared by the dashboards. DCGM series are filtered by the `cluster` and `node` target labels
 * and dcgm-exporter's `modelName`; gpuscope's own series by the labels it exports.
 */
export const dcgm = 'cluster=~"$cluster", node=~"$node", modelName=~"$gpu_model"';
export const dcgmGpu = 'cluster=~"$cluster", node=~"$node", gpu=~"$gpu"';
export const clusterOnly = 'cluster=~"$cluster"';
export const costSel = 'cluster=~"$cluster", team=~"$team", gpu_model=~"$gpu_model"';
export const teamSel = 'cluster=~"$cluster", team=~"$team"';
export const linkSel = (linkType: 'infiniband' | 'nvlink') =>
  `cluster=~"$cluster", node=~"$node", link_type="${linkType}"`;

/** Activity the idle detector and the cost allocation call idle (`analyzer.idle.activityMax`, 0.05). */
export const busyActivity = 0.05;

/** Reasons shared by the panels whose series cannot exist on the simulator. */
export const emptyReasons = {
  actions:
    'no action runs against the simulator (the action engine defaults to dry-run and the test configures no executor)',
  webhooks: 'the simulator run configures no webhook subscriber, so nothing is delivered or dead-lettered',
  unpriced: 'every simulated node has a price-book price, so no GPU-hour is unpriced',
} as const;
