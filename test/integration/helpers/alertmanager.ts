import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './postgres.js';

/** Debian's `prometheus-alertmanager` package; ALERTMANAGER_BIN points elsewhere. */
function alertmanagerBinPath(): string {
  return process.env['ALERTMANAGER_BIN'] ?? '/usr/bin/prometheus-alertmanager';
}

export function findAlertmanagerBin(): string | undefined {
  const bin = alertmanagerBinPath();
  return existsSync(bin) ? bin : undefined;
}

/** In CI a missing Alertmanager fails the suite; on a developer machine the suite is skipped and this says why. */
export function alertmanagerAvailable(): boolean {
  if (findAlertmanagerBin()) return true;
  if (process.env['CI']) {
    throw new Error(
      `CI is set but ${alertmanagerBinPath()} is missing: install the Debian package \`prometheus-alertmanager\``,
    );
  }
  console.warn(
    `skipping Alertmanager integration tests: ${alertmanagerBinPath()} not found (apt-get install -y prometheus-alertmanager, or set ALERTMANAGER_BIN)`,
  );
  return false;
}

/**
 * One route to one webhook receiver, with bearer credentials (`http_config.authorization`) and short group timers
 * so a test sees the first notification within seconds.
 */
export function buildWebhookConfig(options: {
  receiver: string;
  url: string;
  bearerToken: string;
  groupWaitSeconds?: number;
}) {
  return {
    route: {
      receiver: options.receiver,
      group_by: ['alertname'],
      group_wait: `${options.groupWaitSeconds ?? 1}s`,
      group_interval: '5s',
      repeat_interval: '1h',
    },
    receivers: [
      {
        name: options.receiver,
        webhook_configs: [
          {
            url: options.url,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: options.bearerToken } },
          },
        ],
      },
    ],
  };
}

export interface TestAlertmanager {
  url: string;
  port: number;
  /** Alertmanager's own log lines so far (stderr). */
  logs(): string;
  /** `GET /api/v2/alerts`: the alerts Alertmanager holds now. */
  alerts(): Promise<{ labels: Record<string, string>; status: { state: string } }[]>;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its data. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A private Alertmanager on a free loopback port with a temp storage dir and clustering off (no gossip port to
 * collide with another test). Resolves once `/-/ready` answers 200.
 */
export async function startTestAlertmanager(options: { config: object }): Promise<TestAlertmanager> {
  const bin = findAlertmanagerBin();
  if (!bin) throw new Error('alertmanager binary not found (apt-get install -y prometheus-alertmanager)');
  const dataDir = mkdtempSync(join(tmpdir(), 'gpuscope-am-'));
  const configPath = join(dataDir, 'alertmanager.yml');
  writeFileSync(configPath, stringify(options.config));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, dataDir, configPath, port);
    } catch (error) {
      lastError = error;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  throw lastError;
}

async function launch(bin: string, dataDir: string, configPath: string, port: number) {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      `--config.file=${configPath}`,
      `--storage.path=${join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
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
    if (exited !== undefined) throw new Error(`alertmanager exited with ${exited} on start:\n${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) {
      return {
        url,
        port,
        logs: () => stderr,
        alerts: async () => {
          const response = await fetch(`${url}/api/v2/alerts`);
          if (!response.ok) throw new Error(`GET ${url}/api/v2/alerts: ${response.status}`);
          return (await response.json()) as Awaited<ReturnType<TestAlertmanager['alerts']>>;
        },
        stop: () => stopAlertmanager(child, dataDir),
      } satisfies TestAlertmanager;
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`alertmanager did not become ready within 30 s:\n${stderr}`);
}

async function stopAlertmanager(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const quit = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!quit) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}
