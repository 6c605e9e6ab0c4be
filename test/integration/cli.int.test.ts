import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, postgresAvailable, startTestPostgres } from './helpers/postgres.js';

const root = resolve(import.meta.dirname, '../..');
const entry = join(root, 'bin/gpuscope.ts');
// resolved here, not from the child's cwd, so the demo can run in an empty directory
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}, cwd = root): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, entry, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('gpuscope CLI', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('exits 2 with a clear message, and no password, when the database is unreachable at start', async () => {
    const run = await runCli(['serve'], {
      GPUSCOPE_DATABASE_URL: 'postgres://gpuscope:s3cret@127.0.0.1:1/gpuscope',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /gpuscope: database postgres:\/\/gpuscope:\*\*\*@127\.0\.0\.1:1\/gpuscope is unreachable: .*ECONNREFUSED/,
    );
    expect(run.stderr + run.stdout).not.toContain('s3cret');
  });

  it('exits 2 naming the key when the config file is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpuscope-cli-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'collectors:\n  dcgm:\n    concurrency: 0\n');
    const run = await runCli(['serve', '--config', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`invalid config file ${path}`);
    expect(run.stderr).toMatch(/collectors\.dcgm\.concurrency: /);
  });

  it('refuses a split role on the single-process embedded database', async () => {
    const run = await runCli(['serve', '--role', 'api']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--role api .* needs database\.url/);
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command: frobnicate');
  });

  it.skipIf(!postgresAvailable())('migrates a real PostgreSQL', async () => {
    const server = await startTestPostgres();
    try {
      const url = await server.createDatabase('cli_migrate');
      const run = await runCli(['migrate'], { GPUSCOPE_DATABASE_URL: url });
      expect(run.code, run.stderr).toBe(0);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const tables = await client.query(
        `select tablename from pg_tables where schemaname = 'public' order by 1`,
      );
      await client.end();
      expect(tables.rows.map((r) => r.tablename)).toEqual(
        expect.arrayContaining(['collector_targets', 'gpu_rollups', 'gpu_rollups_hourly', 'gpus', 'nodes']),
      );
    } finally {
      server.destroy();
    }
  });

  it.skipIf(!postgresAvailable())(
    'imports a FOCUS bill, re-imports it without doubling, and refuses a broken one',
    async () => {
      const server = await startTestPostgres();
      try {
        const url = await server.createDatabase('cli_billing');
        const env = { GPUSCOPE_DATABASE_URL: url };
        expect((await runCli(['migrate'], env)).code).toBe(0);
        const focus = join(root, 'test/fixtures/billing/focus-1.0_sample_anonymized_real_240rows.csv');
        const total = async () => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          const result = await client.query(
            'select count(*)::int as n, sum(billed_cost)::text as sum from billing_lines',
          );
          await client.end();
          return result.rows[0] as { n: number; sum: string };
        };
        const first = await runCli(['import', 'billing', '--format', 'focus', focus], env);
        expect(first.code, first.stderr).toBe(0);
        const once = await total();
        expect(once.n).toBe(240);
        const again = await runCli(['import', 'billing', '--format', 'focus', focus], env);
        expect(again.code, again.stderr).toBe(0);
        expect(await total()).toEqual(once);
        // the import allocated its period: the report has the whole bill, adding up to the cent
        const report = await runCli(
          [
            'report',
            'costs',
            '--from',
            '2024-09-01T00:00:00Z',
            '--to',
            '2024-10-01T00:00:00Z',
            '--group-by',
            'team',
          ],
          env,
        );
        expect(report.code, report.stderr).toBe(0);
        const r = JSON.parse(report.stdout) as {
          totalCostUsd: string;
          idleCostUsd: string;
          unallocatedCostUsd: string;
          groups: { key: string; costUsd: string }[];
        };
        const cents = (v: string) => Math.round(Number(v) * 100);
        expect(cents(r.totalCostUsd)).toBe(cents(once.sum));
        expect(
          r.groups.reduce((s, g) => s + cents(g.costUsd), 0) +
            cents(r.idleCostUsd) +
            cents(r.unallocatedCostUsd),
        ).toBe(cents(r.totalCostUsd));
        // no `team` tag in the sample: all of it is spend with no owner
        expect(r.groups.map((g) => g.key)).toEqual(['Unallocated']);
        const csv = await runCli(
          [
            'report',
            'costs',
            '--from',
            '2024-09-01T00:00:00Z',
            '--to',
            '2024-10-01T00:00:00Z',
            '--format',
            'csv',
          ],
          env,
        );
        expect(csv.code, csv.stderr).toBe(0);
        expect(csv.stdout.split('\r\n')[0]).toMatch(/^ChargePeriodStart,ChargePeriodEnd,BillingCurrency,/);
        const bad = await runCli(
          ['report', 'costs', '--from', '2024-09-01', '--to', '2024-10-01', '--group-by', 'cost_center'],
          env,
        );
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--group-by must be one of team, project/);

        const dir = mkdtempSync(join(tmpdir(), 'gpuscope-bill-'));
        const broken = join(dir, 'no-cost-column.csv');
        writeFileSync(
          broken,
          'ChargePeriodStart,ChargePeriodEnd\n2024-09-01T00:00:00Z,2024-09-01T01:00:00Z\n',
        );
        const refused = await runCli(['import', 'billing', '--format', 'focus', broken], env);
        expect(refused.code).toBe(1);
        expect(refused.stdout + refused.stderr).toMatch(/BilledCost/);
        expect(await total()).toEqual(once);
      } finally {
        server.destroy();
      }
    },
  );

  it('runs the demo on the embedded database and shows at least 64 GPUs within 60 s', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gpuscope-demo-'));
    const port = await freePort();
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', tsxLoader, entry, 'demo', '--port', String(port)], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    let gpus = 0;
    while (Date.now() - started < 60_000 && gpus < 64) {
      await new Promise((r) => setTimeout(r, 1000));
      const token = /token \(admin\) (\S+)/.exec(stdout)?.[1];
      if (!token) continue;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/gpus`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.ok) {
        const body = (await res.json()) as { data: { gpuInstanceId: number | null; latest: unknown }[] };
        gpus = body.data.filter((g) => g.gpuInstanceId === null && g.latest !== null).length;
      }
    }
    expect(gpus).toBeGreaterThanOrEqual(64);
    expect(Date.now() - started).toBeLessThan(60_000);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
  });
});
