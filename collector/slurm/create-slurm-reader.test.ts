import { describe, expect, it } from 'vitest';
import { Config } from '../../core/config.js';
import { err, ok } from '../../core/result.js';
import type { JobRecord } from '../jobs/types.js';
import { createSlurmReader } from './create-slurm-reader.js';
import type { SlurmSource } from './slurm-source.js';

const now = new Date('2026-12-02T12:00:00Z');
const slurm = Config.parse({ collectors: { slurm: { lookbackHours: 2 } } }).collectors.slurm!;

function record(jobId: string, allocations: JobRecord['allocations'] = []): JobRecord {
  return {
    source: 'slurm',
    cluster: 'hpc',
    jobId,
    name: 'n',
    user: null,
    account: null,
    namespace: null,
    partition: null,
    team: null,
    project: null,
    state: 'running',
    rawState: 'RUNNING',
    submittedAt: null,
    startedAt: null,
    endedAt: null,
    gpusRequested: null,
    gpusAllocated: 2,
    gpuType: null,
    nodes: [],
    allocations,
    schedulerGpuUsage: null,
    owners: [],
    labels: {},
  };
}

function fakeSource(answers: { finished: boolean }) {
  const windows: { from: Date; to: Date }[] = [];
  const source: SlurmSource = {
    listFinishedJobs: async (window) => {
      windows.push(window);
      const batch = { records: [record('7')], issues: [], meta: null, via: 'json' as const };
      return answers.finished ? ok(batch) : err('sacct timed out after 30 s');
    },
    listRunningJobs: async () =>
      ok({
        records: [record('7', [{ node: 'n1', gpuIndex: 0, gpuUuid: null, migProfile: null }])],
        issues: [],
        meta: null,
        via: 'squeue' as const,
      }),
    readJobcomp: async () => err('not configured'),
  };
  return { source, windows };
}

describe('createSlurmReader', () => {
  it('reads sacct from the look-back on the first pass, then from the last read with an overlap', async () => {
    const fake = fakeSource({ finished: true });
    const reader = createSlurmReader(slurm, { defaultCluster: 'c1', source: fake.source });
    expect(reader.target).toBe('slurm://c1');
    const first = await reader.read(now);
    await reader.read(new Date(now.getTime() + 60_000));
    expect(fake.windows.map((w) => [w.from.toISOString(), w.to.toISOString()])).toEqual([
      ['2026-12-02T10:00:00.000Z', '2026-12-02T12:00:00.000Z'],
      ['2026-12-02T11:50:00.000Z', '2026-12-02T12:01:00.000Z'],
    ]);
    // the running view (with GPU indices) comes after sacct's view of the same job, so it wins the upsert
    expect(first.jobs.map((j) => j.allocations.length)).toEqual([0, 1]);
    expect(first.errors).toEqual([]);
    expect(first.jobs[0]).toMatchObject({ cluster: 'c1', labels: { slurm_cluster: 'hpc' } });
  });

  it('reports a failed sacct as an error, keeps the running jobs, and does not move the window on', async () => {
    const fake = fakeSource({ finished: false });
    const reader = createSlurmReader(slurm, { defaultCluster: 'c1', source: fake.source });
    const first = await reader.read(now);
    await reader.read(new Date(now.getTime() + 60_000));
    expect(first.errors).toEqual(['sacct timed out after 30 s']);
    expect(first.jobs).toHaveLength(1);
    expect(fake.windows[1]?.from.toISOString()).toBe('2026-12-02T10:01:00.000Z');
  });
});
