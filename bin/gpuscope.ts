#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../core/config.js';
import { DatabaseUnavailableError, openDb } from '../core/db.js';
import { AppError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { parseShard } from '../core/shard.js';
import { startTracing } from '../core/tracing.js';

const usage = `gpuscope — GPU cluster observability and cost optimisation

Usage:
  gpuscope serve [--config FILE] [--role all|collector|analyzer|api] [--shard i/n]
  gpuscope demo [--nodes N] [--port P] [--seed S] [--data-dir DIR]
  gpuscope migrate [--config FILE]
  gpuscope backfill --from ISO --to ISO [--config FILE]
  gpuscope import billing --format focus|cur FILE [--config FILE]
  gpuscope analyze [--at ISO] [--config FILE]
  gpuscope report costs --from ISO --to ISO [--group-by team|project|user|job|namespace|node|gpuModel]
                        [--format json|csv] [--share-policy none|weighted|even] [--allocate] [--config FILE]

The config file may also be given as GPUSCOPE_CONFIG; see README.md for keys and env overrides.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
    // only `import billing FILE` and `report costs` take positionals; anywhere else one is a typo
    if (command !== 'import' && command !== 'report' && parsed.positionals.length > 0) {
      throw new Error(`unexpected argument: ${parsed.positionals[0]}`);
    }
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!command || values.help || command === 'help') {
    console.log(usage);
    return command ? 0 : 2;
  }
  const tracing = await startTracing();
  try {
    switch (command) {
      case 'serve':
        return await runServe(values.config, values.role ?? 'all', values.shard);
      case 'demo': {
        const { runDemo } = await import('./demo.js');
        return await runDemo({
          nodes: toInt(values.nodes, 'nodes'),
          port: toInt(values.port, 'port'),
          seed: toInt(values.seed, 'seed'),
          ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
        });
      }
      case 'migrate':
        return await runMigrate(values.config);
      case 'backfill':
        return await runBackfillCommand(values.config, values.from, values.to);
      case 'import':
        return await runImportCommand(values.config, values.format, positionals);
      case 'report':
        return await runReportCommand(values, positionals);
      case 'analyze':
        return await runAnalyzeCommand(values.config, values.at);
      default:
        console.error(`unknown command: ${command}\n\n${usage}`);
        return 2;
    }
  } finally {
    await tracing?.shutdown().catch(() => undefined);
  }
}

function toInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${name} must be a whole number, got ${value}`);
  return n;
}

async function runServe(
  configPath: string | undefined,
  role: string,
  shardText: string | undefined,
): Promise<number> {
  if (role !== 'all' && role !== 'collector' && role !== 'analyzer' && role !== 'api') {
    throw new ConfigError(`--role must be all, collector, analyzer or api, got ${role}`);
  }
  if (shardText !== undefined && role !== 'collector') {
    throw new ConfigError('--shard splits the scrape targets among collectors: use it with --role collector');
  }
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  const config = loadConfig({ path: configPath });
  if (role !== 'all' && !config.database.url) {
    throw new ConfigError(
      `--role ${role} runs beside other processes and needs database.url: embedded PGlite serves one process`,
    );
  }
  const log = createLogger({ level: config.log.level });
  const { startService } = await import('./start-service.js');
  const service = await startService({ config, log, role, ...(shard ? { shard } : {}) });
  await waitForSignal();
  log.info('shutting down');
  await service.stop();
  return 0;
}

async function runMigrate(configPath: string | undefined): Promise<number> {
  const config = loadConfig({ path: configPath });
  const log = createLogger({ level: config.log.level });
  const db = await openDb({ url: config.database.url, dataDir: config.database.dataDir, log });
  try {
    await db.migrate();
    log.info({ database: db.location }, 'migrations applied');
  } finally {
    await db.close();
  }
  return 0;
}

async function runBackfillCommand(
  configPath: string | undefined,
  from?: string,
  to?: string,
): Promise<number> {
  const fromMs = Date.parse(from ?? '');
  const toMs = Date.parse(to ?? '');
  if (Number.isNaN(fromMs) || Number.isNaN(toMs))
    throw new ConfigError('backfill needs --from ISO and --to ISO');
  if (fromMs >= toMs) throw new ConfigError('--from must be before --to');
  const config = loadConfig({ path: configPath });
  if (!config.collectors.prometheus)
    throw new ConfigError('backfill reads collectors.prometheus.url; none is configured');
  const log = createLogger({ level: config.log.level });
  const db = await openDb({ url: config.database.url, dataDir: config.database.dataDir, log });
  try {
    if (config.database.migrateOnStart) await db.migrate();
    const { runBackfill } = await import('../collector/prometheus/backfill.js');
    const { createCollectorMetrics } = await import('../collector/metrics.js');
    const { createRegistry, getTracer } = await import('../core/telemetry.js');
    const { systemClock } = await import('../core/clock.js');
    const summary = await runBackfill(
      {
        db: db.db,
        clock: systemClock,
        log,
        tracer: getTracer(),
        metrics: createCollectorMetrics(createRegistry({ defaultMetrics: false })),
      },
      { cluster: config.cluster, prometheus: config.collectors.prometheus },
      fromMs,
      toMs,
    );
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await db.close();
  }
  return 0;
}

async function runImportCommand(
  configPath: string | undefined,
  format: string | undefined,
  positionals: string[],
): Promise<number> {
  const [what, file, ...extra] = positionals;
  if (what !== 'billing' || !file || extra.length > 0) {
    throw new ConfigError('usage: gpuscope import billing --format focus|cur FILE');
  }
  if (format !== 'focus' && format !== 'cur')
    throw new ConfigError(`--format must be focus or cur, got ${format}`);
  const config = loadConfig({ path: configPath });
  const log = createLogger({ level: config.log.level, destination: process.stderr });
  const db = await openDb({ url: config.database.url, dataDir: config.database.dataDir, log });
  try {
    if (config.database.migrateOnStart) await db.migrate();
    const { importBillingFile } = await import('../collector/billing/import-billing-file.js');
    const { systemClock } = await import('../core/clock.js');
    const result = await importBillingFile({ db: db.db, clock: systemClock }, file, { format });
    if (!result.ok) {
      console.error(`gpuscope: ${result.error}`);
      return 1;
    }
    const { issues, ...summary } = result.value;
    console.log(JSON.stringify(summary, null, 2));
    for (const i of issues.slice(0, 20)) {
      const what = i.skipped ? 'row skipped' : 'imported, flagged';
      console.error(`${i.file}:${i.line} ${i.field} ${JSON.stringify(i.value)}: ${i.message} (${what})`);
    }
    if (summary.issueCount > 20) console.error(`… and ${summary.issueCount - 20} more issues`);
    // the bill replaces the estimates of its hours now, not only when a service next runs
    const { allocatePendingImports, allocationOptionsFromConfig } = await import(
      '../analyzer/cost/run-allocation-tick.js'
    );
    const now = new Date(systemClock.now());
    const allocated = await allocatePendingImports(
      { ...allocationOptionsFromConfig(config), db: db.db, now },
      log,
      Math.floor(now.getTime() / 3_600_000) * 3_600_000,
    );
    console.error(`allocated ${allocated.hours} hours of ${allocated.imports} billing period(s)`);
  } finally {
    await db.close();
  }
  return 0;
}

async function runAnalyzeCommand(
  configPath: string | undefined,
  atText: string | undefined,
): Promise<number> {
  const at = atText === undefined ? new Date() : new Date(atText);
  if (Number.isNaN(at.getTime()) || (atText !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(atText))) {
    throw new ConfigError(`--at "${atText}" is not an ISO 8601 time`);
  }
  const config = loadConfig({ path: configPath });
  const log = createLogger({ level: config.log.level, destination: process.stderr });
  const db = await openDb({ url: config.database.url, dataDir: config.database.dataDir, log });
  try {
    if (config.database.migrateOnStart) await db.migrate();
    const { analyzerInputsFromConfig, runAnalyzerPass } = await import(
      '../analyzer/findings/run-analyzer-pass.js'
    );
    const { createAnalyzerMetrics } = await import('../analyzer/findings/analyzer-metrics.js');
    const { createRegistry } = await import('../core/telemetry.js');
    const metrics = createAnalyzerMetrics(createRegistry({ defaultMetrics: false }));
    const result = await runAnalyzerPass(
      {
        db: db.db,
        cluster: config.cluster,
        config: config.analyzer,
        metrics,
        ...analyzerInputsFromConfig(config),
      },
      at,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.close();
  }
  return 0;
}

async function runReportCommand(
  values: ReturnType<typeof parseOptions>['values'],
  positionals: string[],
): Promise<number> {
  if (positionals.length !== 1 || positionals[0] !== 'costs') {
    throw new ConfigError(
      'usage: gpuscope report costs --from ISO --to ISO [--group-by K] [--format json|csv]',
    );
  }
  const config = loadConfig({ path: values.config });
  const log = createLogger({ level: config.log.level, destination: process.stderr });
  const db = await openDb({ url: config.database.url, dataDir: config.database.dataDir, log });
  try {
    if (config.database.migrateOnStart) await db.migrate();
    const { reportCosts } = await import('./report-costs.js');
    const out = await reportCosts(
      db.db,
      config,
      {
        from: values.from,
        to: values.to,
        groupBy: values['group-by'],
        format: values.format,
        sharePolicy: values['share-policy'],
        allocate: values.allocate ?? false,
      },
      Date.now(),
    );
    process.stdout.write(out);
  } finally {
    await db.close();
  }
  return 0;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
      console.error(`gpuscope: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof AppError && error.expose) {
      // e.g. a report refused for mixing currencies: the message says why, a stack would not help
      console.error(`gpuscope: ${error.message}`);
      process.exit(1);
    }
    if (error instanceof Error && 'summary' in error) {
      // a backfill that stopped part-way: say how far it got, without a stack
      console.error(`gpuscope: ${error.message}`);
      console.error(JSON.stringify(error.summary, null, 2));
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      config: { type: 'string' },
      role: { type: 'string', default: 'all' },
      shard: { type: 'string' },
      nodes: { type: 'string', default: '20' },
      port: { type: 'string', default: '8080' },
      seed: { type: 'string', default: '42' },
      'data-dir': { type: 'string' },
      from: { type: 'string' },
      at: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      'group-by': { type: 'string' },
      'share-policy': { type: 'string' },
      allocate: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
}
