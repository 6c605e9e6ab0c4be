import { randomBytes } from 'node:crypto';
import { parseConfig } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { createFleet, startSimServer } from '../sim/index.js';
import { buildSimSources } from './sim-sources.js';
import { startService } from './start-service.js';

export interface DemoOptions {
  nodes: number;
  port: number;
  seed: number;
  dataDir?: string;
}

/**
 * The whole pipeline on one machine with nothing installed: a simulated fleet of dcgm-exporter
 * endpoints, the collector scraping it, embedded PGlite, and the API. Runs until interrupted.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const log = createLogger({ level: 'warn' });
  const fleet = createFleet({ seed: options.seed, nodeCount: options.nodes, startMs: Date.now() });
  const sim = await startSimServer({ fleet });
  const token = randomBytes(24).toString('base64url');
  const dataDir = options.dataDir ?? './data/demo';
  const config = parseConfig({
    cluster: 'demo',
    server: { listen: `127.0.0.1:${options.port}` },
    database: { dataDir },
    auth: { tokens: [{ name: 'demo-admin', role: 'admin', token }] },
    ...buildSimSources(fleet, sim, dataDir),
    costs: { intervalMinutes: 1 },
    // a demo shows findings within minutes: short windows (production defaults are 30 minutes and 7 days)
    analyzer: {
      intervalMinutes: 1,
      slowIntervalMinutes: 5,
      idle: { windowMinutes: 10 },
      bottleneck: { windowMinutes: 10 },
      dataQuality: { windowMinutes: 10 },
      capacity: { windowMinutes: 10, minMinutes: 8 },
      rightSizing: { lookbackDays: 1, minHours: 0.25 },
    },
    budgets: [{ name: 'research-gpu', team: 'research', monthlyUsd: 25_000 }],
  });
  const service = await startService({ config, log });
  const gpuCount = fleet.nodes.reduce((n, node) => n + node.gpus.length, 0);
  console.log(`gpuscope demo: ${fleet.nodes.length} simulated nodes, ${gpuCount} GPUs, seed ${options.seed}

  API           ${service.url}/api/v1/gpus
  jobs          ${service.url}/api/v1/jobs
  links         ${service.url}/api/v1/links
  targets       ${service.url}/api/v1/targets
  costs         ${service.url}/api/v1/costs?groupBy=team  (and &format=csv)
  cost report   ${service.url}/reports/costs  (HTML; send the token as a Bearer header)
  budgets       ${service.url}/api/v1/budgets
  findings      ${service.url}/api/v1/findings  (idle GPUs, bottlenecks, links, health, data quality,
                right-sizing, drift; the first within about ten minutes)
  recommendations ${service.url}/api/v1/recommendations
  metrics       ${service.url}/metrics
  OpenAPI       ${service.url}/openapi.json
  ground truth  ${sim.groundTruthUrl}
  token (admin) ${token}

  curl -s -H "Authorization: Bearer ${token}" ${service.url}/api/v1/gpus | head -c 600

The first scrape lands within seconds; one simulated exporter hangs on purpose (see /api/v1/targets).
Press Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await service.stop();
  await sim.close();
  return 0;
}
