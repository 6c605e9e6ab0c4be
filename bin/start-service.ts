import { serve } from '@hono/node-server';
import type { Registry } from 'prom-client';
import { createCostDeps } from '../analyzer/cost/create-cost-deps.js';
import { createAddressPolicy } from '../analyzer/webhooks/check-webhook-url.js';
import { createApp } from '../api/app.js';
import { startWebhookDelivery } from '../api/webhooks/start-webhook-delivery.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { checkReadiness, type DbHandle, openDb } from '../core/db.js';
import { createLeaderElection } from '../core/leader-election.js';
import type { Logger } from '../core/log.js';
import { type Shard, WHOLE } from '../core/shard.js';
import { createRegistry, getTracer } from '../core/telemetry.js';
import { createTickerMetrics, type Ticker } from '../core/ticker.js';
import { createActionWiring } from './create-action-wiring.js';
import { createLeaderGate, startAnalyzerTickers, startCollectorTickers } from './start-role-tickers.js';

/** `all` is one process doing everything; the others split it across processes sharing PostgreSQL. */
export type Role = 'all' | 'collector' | 'analyzer' | 'api';

export interface RunningService {
  url: string;
  db: DbHandle;
  registry: Registry;
  tickers: Ticker[];
  stop(): Promise<void>;
}

function splitListen(listen: string): { hostname: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { hostname: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** Opens the store, runs migrations, starts the collectors for the role, and serves the API. */
export async function startService(options: {
  config: Config;
  log: Logger;
  role?: Role;
  /** The collector role's share of the targets (`--shard i/n`). */
  shard?: Shard;
  clock?: Clock;
}): Promise<RunningService> {
  const { config, log } = options;
  const role = options.role ?? 'all';
  const clock = options.clock ?? systemClock;
  const db = await openDb({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolSize: config.database.poolSize,
    log,
  });
  log.info({ database: db.location }, 'database open');
  if (config.database.migrateOnStart) await db.migrate();
  const registry = createRegistry();
  const tracer = getTracer();
  const tickerMetrics = createTickerMetrics(registry);
  const costs = createCostDeps(db.db, config, registry);
  const tickers: Ticker[] = [];
  /** Things with connections of their own (the Kubernetes watch, the leader lock) to end after the tickers stop. */
  const closers: (() => Promise<void>)[] = [];
  const ctxBase = { config, log, clock, db: db.db, registry, tickerMetrics, closers, costs, tracer };

  if (role === 'all' || role === 'collector') {
    tickers.push(...(await startCollectorTickers({ ...ctxBase, shard: options.shard ?? WHOLE })));
  }
  // only the analyzer acts; other replicas' engines serve the actions API (list, approve, pause)
  const actions = createActionWiring(ctxBase, role === 'all' || role === 'analyzer');
  if (role === 'all' || role === 'analyzer') {
    const election = createLeaderElection({
      url: config.database.url,
      name: 'analyzer',
      cluster: config.cluster,
      log,
      registry,
    });
    closers.push(() => election.close());
    const leaderOnly = createLeaderGate(election, registry);
    tickers.push(...(await startAnalyzerTickers({ ...ctxBase, leaderOnly, actions })));
  }
  if (role === 'all' || role === 'api') {
    // every API replica may deliver: leased SKIP LOCKED claims keep them off each other's deliveries
    const webhooks = startWebhookDelivery({ config: config.webhooks, db: db.db, clock, log, registry });
    if (webhooks) closers.push(() => webhooks.stop());
  }

  const app = createApp({
    db: db.db,
    clock,
    registry,
    log,
    tracer,
    tokens: config.auth.tokens,
    isReady: () => checkReadiness(db.db),
    costs,
    webhooks: {
      allowed: createAddressPolicy(config.webhooks.allowPrivateNetworks),
      previousSecretHours: config.webhooks.delivery.previousSecretHours,
    },
    actions: { engine: actions.engine },
    scaling: { cluster: config.cluster, capacity: config.analyzer.capacity },
    // a replica that cannot act stores spot events for the analyzer leader to act on (runSpotEventTick)
    ...(config.inbound
      ? { inbound: { config: config.inbound, cluster: config.cluster, onSpotInterruption: actions.spotHook } }
      : {}),
  });
  const { hostname, port } = splitListen(config.server.listen);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${boundPort}`;
  log.info({ url, role }, 'api listening');

  return {
    url,
    db,
    registry,
    tickers,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const t of tickers) await t.stop();
      for (const close of closers) await close();
      await db.close();
    },
  };
}
