import { spawnSync } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJobView, listJobViews } from '../../collector/jobs/job-views.js';
import { createJobMetrics } from '../../collector/jobs/metrics.js';
import { JobReadersState, runJobsTick } from '../../collector/jobs/run-jobs-tick.js';
import { createSlurmReader } from '../../collector/slurm/create-slurm-reader.js';
import { parseSacctParsable, SACCT_PARSABLE_FIELDS } from '../../collector/slurm/parse-sacct-parsable.js';
import { createSlurmSource, formatSlurmTime, type SlurmSource } from '../../collector/slurm/slurm-source.js';
import { createManualClock } from '../../core/clock.js';
import type { SlurmCollectorConfig } from '../../core/config.js';
import { openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { runCommand } from '../../core/run-command.js';
import { createRegistry } from '../../core/telemetry.js';

/**
 * gpuscope against a real one-node Slurm 22.05 with 4 GRES GPUs and accounting, started by
 * scripts/start-local-slurm.sh (.ci/run does that). Jobs are submitted with sbatch and read back through the real
 * sacct, squeue and scontrol.
 */

const account = process.env.SLURM_TEST_ACCOUNT ?? 'gpuscope-test';
const stateDir = process.env.SLURM_STATE_DIR ?? '/tmp/gpuscope-slurm';

function run(command: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, TZ: 'UTC' },
  });
  return {
    ok: result.status === 0,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? String(result.error ?? ''),
  };
}

/** In CI a missing Slurm fails the suite; on a developer machine it is skipped with how to start one. */
function slurmAvailable(): boolean {
  const ping = run('scontrol', ['ping']);
  const up = ping.ok && /UP/.test(ping.stdout) && run('sacct', ['-n', '-X', '-S', 'now-1minutes']).ok;
  if (up) return true;
  const why = `Slurm is not answering (scontrol ping: ${ping.stdout.trim() || ping.stderr.trim()})`;
  if (process.env.CI) throw new Error(`CI is set but ${why}: run scripts/start-local-slurm.sh first`);
  console.warn(`skipping Slurm integration tests: ${why}; start one with sudo scripts/start-local-slurm.sh`);
  return false;
}

function clusterName(): string {
  return /ClusterName\s*=\s*(\S+)/.exec(run('scontrol', ['show', 'config']).stdout)?.[1] ?? 'gpuscope';
}

function submit(name: string, gres: string, script: string): string {
  const result = run('sbatch', [
    '--parsable',
    `--gres=${gres}`,
    '-A',
    account,
    '-J',
    name,
    '-o',
    '/dev/null',
    '--wrap',
    script,
  ]);
  if (!result.ok) throw new Error(`sbatch failed: ${result.stderr}`);
  return result.stdout.trim().split(';')[0] ?? '';
}

async function waitFor(what: string, check: () => boolean, seconds = 40): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`gave up waiting for ${what} after ${seconds} s`);
}

/** State as a windowed query (like the reader's) sees it: slurmdbd can list a job by id before it does by time. */
function sacctState(jobId: string, from: Date): string {
  const rows = run('sacct', [
    '-n',
    '-X',
    '-P',
    '--allusers',
    '-S',
    formatSlurmTime(from),
    '-o',
    'JobID,State',
  ]).stdout;
  return (
    rows
      .split('\n')
      .find((row) => row.startsWith(`${jobId}|`))
      ?.split('|')[1] ?? ''
  );
}

const available = slurmAvailable();

describe.skipIf(!available)('Slurm job reader against a real Slurm', () => {
  let source: SlurmSource;
  let config: SlurmCollectorConfig;
  const ids = { done: '', failed: '', running: '' };
  const from = new Date(Date.now() - 5 * 60_000);

  beforeAll(async () => {
    config = {
      enabled: true,
      sacct: 'sacct',
      squeue: 'squeue',
      scontrol: 'scontrol',
      intervalSeconds: 60,
      timeoutSeconds: 20,
      cluster: clusterName(),
      jobcompPath: join(stateDir, 'jobcomp.log'),
      controllerTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      lookbackHours: 1,
      env: {},
    };
    source = createSlurmSource(config, { defaultCluster: 'unused' });
    // 2 + 1 GPUs first, then the 2-GPU long job once they are done: the node has 4.
    ids.done = submit('gpuscope-done', 'gpu:h100:2', 'sleep 1');
    ids.failed = submit('gpuscope-failed', 'gpu:h100:1', 'sleep 1; exit 3');
    await waitFor(
      'the short jobs in sacct',
      () => sacctState(ids.done, from) === 'COMPLETED' && sacctState(ids.failed, from) === 'FAILED',
    );
    ids.running = submit('gpuscope-running', 'gpu:h100:2', 'sleep 120');
    await waitFor(
      'the long job to run',
      () => run('squeue', ['-h', '-j', ids.running, '-o', '%T']).stdout.trim() === 'RUNNING',
    );
    // slurmctld reports the start to slurmdbd asynchronously; sacct lists the job a moment after squeue does.
    await waitFor('sacct to list the long job', () => sacctState(ids.running, from) === 'RUNNING');
  });

  afterAll(() => {
    if (ids.running !== '') run('scancel', [ids.running]);
  });

  it('reads finished jobs through sacct --json: ids, account, states, times and GPU counts', async () => {
    const result = await source.listFinishedJobs({ from, to: new Date(Date.now() + 60_000) });
    if (!result.ok) throw new Error(result.error);
    expect(result.value.via).toBe('json');
    expect(result.value.meta?.slurmRelease).toMatch(/^\d+\.\d+/);
    const byId = new Map(result.value.records.map((r) => [r.jobId, r]));
    const done = byId.get(ids.done);
    expect(done).toMatchObject({
      name: 'gpuscope-done',
      account,
      user: userInfo().username,
      state: 'completed',
      gpusAllocated: 2,
      gpuType: 'h100',
      nodes: [hostname().split('.')[0]],
    });
    expect(done?.startedAt?.getTime()).toBeGreaterThanOrEqual(from.getTime() - 1000);
    expect(done?.endedAt?.getTime()).toBeGreaterThanOrEqual(done?.startedAt?.getTime() ?? Number.NaN);
    expect(byId.get(ids.failed)).toMatchObject({ state: 'failed', gpusAllocated: 1, account });
    expect(byId.get(ids.running)).toMatchObject({ state: 'running', endedAt: null, gpusAllocated: 2 });
    const ours = result.value.issues.filter((i) => Object.values(ids).includes(i.jobId ?? ''));
    expect(ours).toEqual([]);
  });

  it('reads the running job and its GPU indices through squeue and scontrol', async () => {
    const result = await source.listRunningJobs();
    if (!result.ok) throw new Error(result.error);
    const running = result.value.records.find((r) => r.jobId === ids.running);
    expect(running).toMatchObject({ state: 'running', account, gpusAllocated: 2, endedAt: null });
    const indices = running?.allocations.map((a) => a.gpuIndex) ?? [];
    expect(indices).toHaveLength(2);
    expect(new Set(indices).size).toBe(2);
    for (const index of indices) expect([0, 1, 2, 3]).toContain(index);
    expect(result.value.records.some((r) => r.jobId === ids.done)).toBe(false);
  });

  it('accepts the fallback --parsable2 field list on the real sacct', async () => {
    const args = ['--parsable2', '--allusers', '-S', formatSlurmTime(from), '-M', config.cluster ?? ''];
    const result = await runCommand({
      command: 'sacct',
      args: [...args, '-o', SACCT_PARSABLE_FIELDS.join(',')],
      timeoutSeconds: 20,
      env: { TZ: 'UTC' },
    });
    if (!result.ok) throw new Error(result.error.message);
    const parsed = parseSacctParsable(result.value.stdout, {
      source: 'sacct',
      cluster: 'x',
      timeZone: 'UTC',
    });
    expect(parsed.issues).toEqual([]);
    expect(parsed.records.find((r) => r.jobId === ids.done)).toMatchObject({
      state: 'completed',
      gpusAllocated: 2,
      account,
    });
  });

  it('reads the finished jobs from the jobcomp/filetxt log', async () => {
    const result = await source.readJobcomp(null);
    if (!result.ok) throw new Error(result.error);
    const done = result.value.records.find((r) => r.jobId === ids.done);
    expect(done).toMatchObject({ state: 'completed', gpusAllocated: 2, account });
    expect(done?.endedAt?.getTime()).toBeGreaterThan(from.getTime());
  });

  it('stores them through the reader and the jobs tick, and serves the running job with its GPU indices', async () => {
    const handle = await openDb({ inMemory: true });
    try {
      await handle.migrate();
      const clock = createManualClock(Date.now());
      const metrics = createJobMetrics(createRegistry({ defaultMetrics: false }));
      const reader = createSlurmReader(config, { defaultCluster: 'lab' });
      const deps = { db: handle.db, clock, log: createSilentLogger(), metrics };
      const summary = await runJobsTick(deps, new JobReadersState(), [reader]);
      expect(summary.failedReaders).toBe(0);
      const running = await getJobView(handle.db, ids.running, 'slurm', clock.now());
      expect(running).toMatchObject({ cluster: 'lab', state: 'running', account, gpusAllocated: 2 });
      expect(running.gpus.map((g) => g.index).filter((i) => i !== null)).toHaveLength(2);
      const jobs = await listJobViews(handle.db, {
        from: from.toISOString(),
        limit: 100,
        nowMs: clock.now(),
      });
      const states = Object.fromEntries(jobs.data.map((j) => [j.id, j.state]));
      expect(states).toMatchObject({
        [ids.done]: 'completed',
        [ids.failed]: 'failed',
        [ids.running]: 'running',
      });
    } finally {
      await handle.close();
    }
  });
});
