import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlurmCollectorConfig } from '../../core/config.js';
import { createSlurmSource } from './slurm-source.js';
import { fixtureDir } from './test-fixtures.js';

let dir: string;

function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho "$@" > ${path}.args\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function config(overrides: Partial<SlurmCollectorConfig>): SlurmCollectorConfig {
  return {
    env: {},
    enabled: true,
    sacct: 'sacct',
    squeue: 'squeue',
    scontrol: 'scontrol',
    intervalSeconds: 60,
    timeoutSeconds: 5,
    controllerTimeZone: 'UTC',
    lookbackHours: 24,
    cluster: 'testcluster',
    ...overrides,
  };
}

const window = { from: new Date('2026-11-22T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z') };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slurm-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listFinishedJobs', () => {
  it('streams sacct --json for the window in UTC, for all users of the cluster', async () => {
    const sacct = fake('sacct', `cat ${join(fixtureDir, 'slurm-22.05/sacct.json')}`);
    const source = createSlurmSource(config({ sacct }), { defaultCluster: 'x' });
    const result = await source.listFinishedJobs(window);
    expect(readFileSync(`${sacct}.args`, 'utf8').trim()).toBe(
      '--json --allusers -S 2026-11-22T00:00:00 -E 2026-11-23T00:00:00 -M testcluster',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.via).toBe('json');
    expect(result.value.meta?.dataParser).toBe('openapi/dbv0.0.38');
    expect(result.value.records.map((r) => [r.jobId, r.gpusAllocated])).toEqual([
      ['1', 0],
      ['2', 0],
      ['3', 0],
      ['4', 0],
      ['5', 3],
      ['6', 1],
    ]);
  });

  it('falls back to --parsable2 with its field list when this sacct rejects --json', async () => {
    const parsable = join(fixtureDir, 'slurm-22.05/sacct-parsable2.txt');
    const sacct = fake(
      'sacct-old',
      `case "$1" in --json) echo "sacct: unrecognized option '--json'" >&2; exit 1;; esac\ncat ${parsable}`,
    );
    const result = await createSlurmSource(config({ sacct }), { defaultCluster: 'x' }).listFinishedJobs(
      window,
    );
    expect(readFileSync(`${sacct}.args`, 'utf8')).toContain('--parsable2 --allusers');
    expect(readFileSync(`${sacct}.args`, 'utf8')).toContain('-o JobID,JobIDRaw,JobName,User,Account');
    expect(result.ok && result.value.via).toBe('parsable2');
    expect(result.ok && result.value.records.find((r) => r.jobId === '5')?.gpusAllocated).toBe(3);
  });

  describe('errors', () => {
    it('returns the exit code and first stderr line of a failing sacct, without a fallback', async () => {
      const sacct = fake('sacct-fails', 'echo "sacct: error: slurmdbd: Connection refused" >&2; exit 1');
      const result = await createSlurmSource(config({ sacct }), { defaultCluster: 'x' }).listFinishedJobs(
        window,
      );
      expect(result).toEqual({
        ok: false,
        error: 'sacct-fails exited with code 1: sacct: error: slurmdbd: Connection refused',
      });
    });

    it('returns a timeout error for a sacct that hangs', async () => {
      const sacct = fake('sacct-hangs', 'sleep 30');
      const source = createSlurmSource(config({ sacct, timeoutSeconds: 0.3 }), { defaultCluster: 'x' });
      expect(await source.listFinishedJobs(window)).toEqual({
        ok: false,
        error: 'sacct-hangs timed out after 0.3 s',
      });
    });

    it('returns not found for a missing sacct binary', async () => {
      const source = createSlurmSource(config({ sacct: 'sacct-missing-binary' }), { defaultCluster: 'x' });
      expect(await source.listFinishedJobs(window)).toEqual({
        ok: false,
        error: 'sacct-missing-binary not found (looked on PATH)',
      });
    });

    it('keeps the jobs before a cut when sacct output is truncated but sacct exits 0', async () => {
      const sacct = fake('sacct-cut', `head -c 9000 ${join(fixtureDir, 'slurm-22.05/sacct.json')}`);
      const result = await createSlurmSource(config({ sacct }), { defaultCluster: 'x' }).listFinishedJobs(
        window,
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.records.length).toBeGreaterThan(0);
      expect(result.value.issues.at(-1)?.message).toContain('truncated at byte 9000');
    });
  });
});

describe('listRunningJobs', () => {
  it('lists running jobs from squeue with GPU indices from scontrol', async () => {
    const squeue = fake('squeue', `cat ${join(fixtureDir, 'slurm-22.05/squeue-running.json')}`);
    const scontrol = fake(
      'scontrol',
      `cat ${join(fixtureDir, 'slurm-22.05/scontrol-show-job-d-running.txt')}`,
    );
    const result = await createSlurmSource(config({ squeue, scontrol }), {
      defaultCluster: 'x',
    }).listRunningJobs();
    expect(readFileSync(`${scontrol}.args`, 'utf8').trim()).toBe('show job -d');
    expect(
      result.ok && result.value.records.map((r) => [r.jobId, r.state, r.allocations.map((a) => a.gpuIndex)]),
    ).toEqual([['8', 'running', [0, 1]]]);
  });

  it('still lists squeue jobs, with an issue, when scontrol fails', async () => {
    const squeue = fake('squeue2', `cat ${join(fixtureDir, 'slurm-22.05/squeue-running.json')}`);
    const scontrol = fake(
      'scontrol-fails',
      'echo "slurm_load_jobs error: Unable to contact slurm controller" >&2; exit 1',
    );
    const result = await createSlurmSource(config({ squeue, scontrol }), {
      defaultCluster: 'x',
    }).listRunningJobs();
    expect(result.ok && result.value.records.map((r) => r.jobId)).toEqual(['8']);
    expect(result.ok && result.value.issues[0]?.message).toBe(
      'scontrol-fails exited with code 1: slurm_load_jobs error: Unable to contact slurm controller',
    );
  });
});

describe('readJobcomp', () => {
  it('parses the complete lines of the configured jobcomp file in the controller zone', async () => {
    const path = join(dir, 'jobcomp.log');
    writeFileSync(path, readFileSync(join(fixtureDir, 'slurm-22.05/jobcomp-filetxt.log')));
    const source = createSlurmSource(config({ jobcompPath: path, controllerTimeZone: 'Asia/Tokyo' }), {
      defaultCluster: 'x',
    });
    const result = await source.readJobcomp(null);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.records.map((r) => r.jobId)).toEqual(['2', '1', '3', '4', '6', '5']);
    expect(result.value.records[0]?.startedAt?.toISOString()).toBe('2026-11-21T19:27:55.000Z');
    const again = await source.readJobcomp(result.value.cursor);
    expect(again.ok && again.value.records).toEqual([]);
  });

  describe('errors', () => {
    it('returns an error for a controller time zone Intl does not know, instead of throwing per line', async () => {
      const path = join(dir, 'jobcomp-tz.log');
      writeFileSync(path, 'JobId=1 JobState=COMPLETED StartTime=2024-01-01T00:00:00\n');
      const source = createSlurmSource(config({ jobcompPath: path, controllerTimeZone: 'Mars/Olympus' }), {
        defaultCluster: 'x',
      });
      expect(await source.readJobcomp(null)).toEqual({
        ok: false,
        error: 'collectors.slurm.controllerTimeZone "Mars/Olympus" is not an IANA time zone',
      });
    });
  });
});
