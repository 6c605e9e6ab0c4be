import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Debian's `prometheus` package; PROMETHEUS_BIN points elsewhere. */
function prometheusBinPath(): string {
  return process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
}

export function findPrometheusBin(): string | undefined {
  const bin = prometheusBinPath();
  return existsSync(bin) ? bin : undefined;
}

/**
 * In CI a missing Prometheus fails the suite; on a developer machine the suite is skipped and this
 * says why and how to get it.
 */
export function prometheusAvailable(): boolean {
  if (findPrometheusBin()) return true;
  if (process.env['CI']) {
    throw new Error(
      `CI is set but ${prometheusBinPath()} is missing: install the Debian package \`prometheus\``,
    );
  }
  console.warn(
    `skipping Prometheus integration tests: ${prometheusBinPath()} not found (apt-get install -y prometheus, or set PROMETHEUS_BIN)`,
  );
  return false;
}

export interface ScrapeTarget {
  /** Becomes the `node` target label. */
  node: string;
  /** Full URL of the exporter's metrics endpoint. */
  url: string;
}

/** One `scrape_configs` job scraping the given targets, each with its own metrics path and `node` label. */
export function buildScrapeConfig(options: {
  job: string;
  targets: ScrapeTarget[];
  intervalSeconds: number;
}) {
  return {
    job_name: options.job,
    scrape_interval: `${options.intervalSeconds}s`,
    scrape_timeout: `${Math.max(1, Math.floor(options.intervalSeconds * 0.8))}s`,
    static_configs: options.targets.map((target) => {
      const url = new URL(target.url);
      return {
        targets: [url.host],
        labels: {
          __metrics_path__: url.pathname,
          __scheme__: url.protocol.replace(':', ''),
          node: target.node,
        },
      };
    }),
  };
}

export interface TestPrometheus {
  url: string;
  port: number;
  dataDir: string;
  /** Prometheus' own log lines so far (stderr). */
  logs(): string;
  /** Stops the server (lifecycle quit, then SIGKILL) and removes its data. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A private Prometheus on a free loopback port with a temp TSDB, `--web.enable-lifecycle`, and the
 * given scrape jobs. Resolves once `/-/ready` answers 200.
 */
export async function startTestPrometheus(options: {
  scrapeConfigs: object[];
  scrapeIntervalSeconds?: number;
  extraArgs?: string[];
  /** Top-level config sections beside `global` and `scrape_configs`, e.g. `rule_files` and `alerting`. */
  extraConfig?: Record<string, unknown>;
}): Promise<TestPrometheus> {
  const bin = findPrometheusBin();
  if (!bin) throw new Error('prometheus binary not found (apt-get install -y prometheus)');
  const dataDir = mkdtempSync(join(tmpdir(), 'gpuscope-prom-'));
  const configPath = join(dataDir, 'prometheus.yml');
  const interval = `${options.scrapeIntervalSeconds ?? 5}s`;
  writeFileSync(
    configPath,
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval },
      scrape_configs: options.scrapeConfigs,
      ...options.extraConfig,
    }),
  );
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, dataDir, configPath, port, options.extraArgs ?? []);
    } catch (error) {
      lastError = error;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  throw lastError;
}

async function launch(bin: string, dataDir: string, configPath: string, port: number, extraArgs: string[]) {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-20_000);
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`prometheus exited with ${exited} on start:\n${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) {
      return {
        url,
        port,
        dataDir,
        logs: () => stderr,
        stop: () => stopPrometheus(child, url, dataDir),
      } satisfies TestPrometheus;
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`prometheus did not become ready within 30 s:\n${stderr}`);
}

async function stopPrometheus(child: ChildProcess, url: string, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await fetch(`${url}/-/quit`, { method: 'POST' }).catch(() => undefined);
    const quit = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!quit) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** Polls an instant query until it returns at least `count` series (or throws after `timeoutMs`). */
export async function waitForSeries(
  url: string,
  query: string,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`).catch(
      () => undefined,
    );
    if (response?.ok) {
      const body = (await response.json()) as { data?: { result?: unknown[] } };
      seen = body.data?.result?.length ?? 0;
      if (seen >= count) return;
    }
    await sleep(250);
  }
  throw new Error(`${query}: ${seen} series after ${timeoutMs} ms, expected ${count}`);
}
