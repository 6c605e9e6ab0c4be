import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCostDeps } from '../../analyzer/cost/create-cost-deps.js';
import { createApp } from '../../api/app.js';
import { sha256Hex } from '../../api/auth.js';
import { DcgmCollectorState, runDcgmScrapeTick } from '../../collector/dcgm/run-dcgm-scrape-tick.js';
import { createCollectorMetrics } from '../../collector/metrics.js';
import { systemClock } from '../../core/clock.js';
import { Config } from '../../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry, getTracer } from '../../core/telemetry.js';
import { createFleet, type SimServer, startSimServer } from '../../sim/index.js';
import {
  alertmanagerAvailable,
  buildWebhookConfig,
  startTestAlertmanager,
  type TestAlertmanager,
} from './helpers/alertmanager.js';
import {
  buildScrapeConfig,
  prometheusAvailable,
  startTestPrometheus,
  type TestPrometheus,
} from './helpers/prometheus.js';

/**
 * End to end: the simulator's dcgm-exporter endpoint reports a critical XID, a real Prometheus loaded with
 * gpuscope's real rule files (alerts/*.rules.yml, unchanged) fires GpuXidCritical, a real Alertmanager routes it
 * to gpuscope's inbound receiver with bearer credentials, and gpuscope stores it and lists it.
 *
 * Why this rule: GpuXidCritical has `for: 0m` by design (DCGM_FI_DEV_XID_ERRORS keeps the last code until the GPU
 * is reset, so there is nothing to wait out), so it fires on the first evaluation after the first scrape. Every
 * rule keeps its real `for`; only the evaluation interval (1 s) and Alertmanager's group_wait (1 s) are short.
 * The simulator's clock is moved into its planted XID burst (79, then 48, then 94: all critical), which lasts
 * 6 minutes of simulated time from there.
 */

const cluster = 'it';
const viewerToken = 'viewer-token-0123456789';
const alertmanagerToken = 'alertmanager-sender-token-0123456789';
const alertsDir = join(import.meta.dirname, '../../alerts');
const ruleFiles = readdirSync(alertsDir)
  .filter((f) => f.endsWith('.rules.yml'))
  .map((f) => join(alertsDir, f));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface StoredAlert {
  alertname: string | null;
  status: string;
  receiver: string;
  node: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
}

const available = prometheusAvailable() && alertmanagerAvailable();

describe.runIf(available)('Prometheus → Alertmanager → gpuscope inbound receiver', () => {
  let handle: DbHandle;
  let sim: SimServer;
  let gpuscope: ReturnType<typeof serve>;
  let gpuscopeUrl: string;
  let alertmanager: TestAlertmanager;
  let prometheus: TestPrometheus;
  const registry = createRegistry({ defaultMetrics: false });
  const fleet = createFleet({ seed: 7, nodeCount: 8, gpusPerNode: 8, startMs: Date.now() });
  const burst = fleet.groundTruth().scenarios.find((s) => s.kind === 'xid-burst');
  if (burst?.fromMs === undefined) throw new Error('the simulated fleet has no timed xid-burst scenario');
  const burstFromMs = burst.fromMs;

  beforeAll(async () => {
    handle = await openDb({ inMemory: true });
    await handle.migrate();
    const config = Config.parse({
      inbound: {
        alertmanager: { bearerTokens: [{ name: 'alertmanager', tokenSha256: sha256Hex(alertmanagerToken) }] },
      },
    });
    if (!config.inbound) throw new Error('inbound config did not parse');
    const app = createApp({
      db: handle.db,
      clock: systemClock,
      registry,
      log: createSilentLogger(),
      tracer: getTracer(),
      tokens: [{ name: 'viewer', role: 'viewer', token: viewerToken }],
      isReady: () => checkReadiness(handle.db),
      costs: createCostDeps(handle.db, config, registry),
      inbound: { config: config.inbound, cluster },
    });
    gpuscope = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    gpuscopeUrl = `http://127.0.0.1:${(gpuscope.address() as AddressInfo).port}`;

    // 30 s of simulated time into the burst now, and running on with the wall clock from there
    const shiftMs = burstFromMs + 30_000 - Date.now();
    sim = await startSimServer({ fleet, host: '127.0.0.1', port: 0, clock: () => Date.now() + shiftMs });
    const target = sim.targets.find((t) => t.node === burst.node);
    if (!target) throw new Error(`no simulator target for ${burst.node}`);

    // gpuscope's own collector reads the node once, so the receiver can link the alert to a node it knows
    const scrape = await runDcgmScrapeTick(
      {
        db: handle.db,
        clock: systemClock,
        log: createSilentLogger(),
        tracer: getTracer(),
        metrics: createCollectorMetrics(createRegistry({ defaultMetrics: false })),
      },
      new DcgmCollectorState(),
      { cluster, targets: [target], timeoutSeconds: 5, maxBodyBytes: 16 * 1024 * 1024, concurrency: 1 },
    );
    expect(scrape.targetsUp).toBe(1);

    alertmanager = await startTestAlertmanager({
      config: buildWebhookConfig({
        receiver: 'gpuscope',
        url: `${gpuscopeUrl}/api/v1/inbound/alertmanager`,
        bearerToken: alertmanagerToken,
      }),
    });
    prometheus = await startTestPrometheus({
      scrapeConfigs: [buildScrapeConfig({ job: 'dcgm-exporter', targets: [target], intervalSeconds: 1 })],
      scrapeIntervalSeconds: 1,
      extraConfig: {
        rule_files: ruleFiles,
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanager.port}`] }] }] },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await sim?.close();
    await new Promise<void>((resolve) => (gpuscope ? gpuscope.close(() => resolve()) : resolve()));
    await handle?.close();
  });

  async function listStoredAlerts(): Promise<StoredAlert[]> {
    const response = await fetch(`${gpuscopeUrl}/api/v1/inbound/alerts?status=firing`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: StoredAlert[] }).data;
  }

  it('stores the alert Prometheus fired from gpuscope rules and Alertmanager delivered', async () => {
    const deadline = Date.now() + 60_000;
    let stored: StoredAlert[] = [];
    while (Date.now() < deadline) {
      stored = await listStoredAlerts();
      if (stored.length > 0) break;
      await sleep(500);
    }
    if (stored.length === 0) {
      const held = await alertmanager.alerts().catch((e: unknown) => String(e));
      throw new Error(
        `no alert reached gpuscope in 60 s; Alertmanager holds ${JSON.stringify(held)}\n` +
          `alertmanager log:\n${alertmanager.logs()}\nprometheus log:\n${prometheus.logs()}`,
      );
    }

    // one GPU, one alert: nothing else in the real rule set fires on a healthy exporter
    expect(stored.map((a) => a.alertname)).toEqual(['GpuXidCritical']);
    const [alert] = stored;
    expect(alert).toMatchObject({
      alertname: 'GpuXidCritical',
      status: 'firing',
      receiver: 'gpuscope',
      node: burst.node,
      labels: {
        alertname: 'GpuXidCritical',
        severity: 'critical',
        UUID: burst.gpuUuid,
        job: 'dcgm-exporter',
        node: burst.node,
      },
      annotations: { runbook_url: 'alerts/RUNBOOKS.md#gpuxidcritical' },
    });
    expect(alert?.annotations['summary']).toMatch(
      new RegExp(`^XID (79|48|94) on GPU \\d+ of ${burst.node}$`),
    );
    expect(alert?.annotations['description']).toMatch(
      /a code that means failing hardware or a needed GPU reset/,
    );
    expect(alert?.generatorUrl).toContain('/graph?g0.expr=');

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/gpuscope_inbound_events_total\{source="alertmanager",result="accepted"\} 1\b/);
  }, 90_000);
});
