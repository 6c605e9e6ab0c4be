import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAllDashboards } from './index.js';
import { buildDashboardProvider, buildDatasource } from './lib/provisioning.js';

/** The committed files, path relative to `dashboards/` → content. The unit test compares them byte for byte. */
export function renderDashboardFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of buildAllDashboards()) files.set(d.file, `${JSON.stringify(d.json, null, 2)}\n`);
  files.set('provisioning/dashboards/gpuscope.yaml', buildDashboardProvider());
  files.set('provisioning/datasources/prometheus.yaml', buildDatasource());
  return files;
}

function main() {
  const root = dirname(fileURLToPath(import.meta.url));
  for (const [path, content] of renderDashboardFiles()) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote dashboards/${path}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
