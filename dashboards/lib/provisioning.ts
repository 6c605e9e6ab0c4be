import { stringify } from 'yaml';

/** Where the provisioning file tells Grafana to read the dashboards from (mount `dashboards/*.json` there). */
export const dashboardsMountPath = '/var/lib/grafana/dashboards/gpuscope';

/** Grafana's file provider for the gpuscope folder. */
export function buildDashboardProvider(): string {
  return `# Grafana dashboard provisioning: mount gpuscope's dashboards/*.json at ${dashboardsMountPath}\n${stringify(
    {
      apiVersion: 1,
      providers: [
        {
          name: 'gpuscope',
          orgId: 1,
          folder: 'GPU (gpuscope)',
          folderUid: 'gpuscope',
          type: 'file',
          disableDeletion: false,
          allowUiUpdates: false,
          updateIntervalSeconds: 60,
          options: { path: dashboardsMountPath, foldersFromFilesStructure: false },
        },
      ],
    },
  )}`;
}

/**
 * The Prometheus data source the dashboards' `DS_PROMETHEUS` variable picks when provisioned (the default one of
 * type prometheus). `timeInterval` matches dcgm-exporter's 15 s collection so `$__rate_interval` covers 4 scrapes.
 */
export function buildDatasource(): string {
  return `# Grafana data source provisioning: the Prometheus that scrapes dcgm-exporter, node_exporter and gpuscope\n${stringify(
    {
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          type: 'prometheus',
          uid: 'prometheus',
          access: 'proxy',
          url: 'http://prometheus:9090',
          isDefault: true,
          editable: true,
          jsonData: { timeInterval: '15s', httpMethod: 'POST' },
        },
      ],
    },
  )}`;
}
