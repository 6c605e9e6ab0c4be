import { describe, expect, it } from 'vitest';
import { parseSacctJob } from './parse-sacct-json.js';
import { readFixture } from './test-fixtures.js';

const ctx = { source: 'sacct --json', line: null, cluster: 'fallback' };

function jobsOf(name: string): unknown[] {
  return (JSON.parse(readFixture(name)) as { jobs: unknown[] }).jobs;
}

function firstJob(name: string): Record<string, unknown> {
  return structuredClone(jobsOf(name)[0]) as Record<string, unknown>;
}

describe('parseSacctJob', () => {
  it('reads a Slurm 21.08 (dbv0.0.37) job with an untyped gres/gpu and plain numbers', () => {
    const { record, issues } = parseSacctJob(jobsOf('sacct_json_slurm_21_8_8.json')[0], ctx);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({
      jobId: '55978384',
      cluster: 'cedar',
      user: 'purah',
      account: 'rrg-bengioy-ad_gpu',
      partition: 'gpubackfill',
      state: 'pending',
      rawState: 'REQUEUED',
      gpusAllocated: 1,
      gpusRequested: 1,
      gpuType: null,
      nodes: ['cdr896'],
      startedAt: new Date(1673275023 * 1000),
    });
  });

  it('names an array task 123_4 and expands the node hostlist (22.05 shape)', () => {
    const { record } = parseSacctJob(jobsOf('sacct_json_slurm_22_5_9.json')[0], ctx);
    expect(record?.jobId).toBe('20247445_100');
    expect(record?.nodes).toEqual(['ng30103', 'ng30203', 'ng30706', 'ng30707']);
    expect(record?.gpusAllocated).toBe(16);
    expect(record).toMatchObject({ state: 'failed', endedAt: new Date(1693865044 * 1000) });
  });

  it('reads {set, number} wrappers and an array state (23.11), leaving a running job without an end', () => {
    const { record, issues } = parseSacctJob(jobsOf('sacct_json_slurm_23_11_5.json')[0], ctx);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({
      jobId: '4',
      state: 'running',
      rawState: 'RUNNING',
      gpusAllocated: 2,
      endedAt: null,
    });
  });

  it('reads the 23.02 shape with a string state and wrapped task ids', () => {
    const { record } = parseSacctJob(jobsOf('sacct_json_slurm_23_2_6.json')[0], ctx);
    expect(record).toMatchObject({ jobId: '4', state: 'running', gpusAllocated: 2, nodes: ['mila02'] });
  });

  it('reads typed gpu:a100 TRES (0.0.43) as count and type, and CANCELLED in an array', () => {
    const records = jobsOf('sacct_json_v0.0.43_multi_gpu_sarc_generated.json').map(
      (j) => parseSacctJob(j, ctx).record,
    );
    expect(records.map((r) => r?.gpusAllocated)).toEqual([1, 4, 1, 1, 1, 1, 0]);
    expect(records[0]).toMatchObject({ state: 'cancelled', gpuType: 'a100', jobId: '1' });
  });

  it('counts gres/gpu once when gres/gpu:h100 is listed beside it (real 22.05 capture)', () => {
    const job5 = jobsOf('slurm-22.05/sacct.json')[4];
    expect(parseSacctJob(job5, ctx).record).toMatchObject({ jobId: '5', gpusAllocated: 3, gpuType: 'h100' });
  });

  it('reports zero GPUs for a slurmrestd 0.0.44 job whose TRES has no gres entry', () => {
    const { record, issues } = parseSacctJob(jobsOf('slurmdb_v0.0.44_job_slurm-web.json')[0], ctx);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({
      state: 'completed',
      gpusAllocated: 0,
      gpusRequested: null,
      cluster: 'hpc',
    });
  });

  it('takes gpuutil/gpumem from the largest step usage where the site records them', () => {
    const job = structuredClone(jobsOf('slurm-22.05/sacct-with-steps.json')[5]) as Record<string, unknown>;
    const steps = job.steps as Array<{ tres: { requested: { max: unknown[] } } }>;
    const usage = (util: number, mem: number) => [
      { type: 'gres', name: 'gpuutil', id: 1003, count: util },
      { type: 'gres', name: 'gpumem', id: 1004, count: mem },
    ];
    steps[0]!.tres.requested.max = usage(40, 1000);
    steps.push(structuredClone(steps[0]!));
    steps[1]!.tres.requested.max = usage(90, 500);
    expect(parseSacctJob(job, ctx).record?.schedulerGpuUsage).toEqual({
      utilizationPercent: 90,
      memoryBytes: 1000,
    });
  });

  describe('errors', () => {
    it('keeps a job with an unknown state as unknown and reports the word', () => {
      const job = firstJob('sacct_json_slurm_23_11_5.json');
      (job.state as { current: unknown }).current = ['LAUNCH_FAILED_SOMEHOW'];
      const { record, issues } = parseSacctJob(job, ctx);
      expect(record?.state).toBe('unknown');
      expect(record?.rawState).toBe('LAUNCH_FAILED_SOMEHOW');
      expect(issues).toMatchObject([{ field: 'state.current', jobId: '4' }]);
      expect(issues[0]?.message).toContain('LAUNCH_FAILED_SOMEHOW');
    });

    it('turns a negative start and a missing end into null times with an issue each', () => {
      const job = firstJob('slurm-22.05/sacct.json');
      const time = job.time as Record<string, unknown>;
      time.start = -5;
      delete time.end;
      const { record, issues } = parseSacctJob(job, ctx);
      expect(record).toMatchObject({ startedAt: null, endedAt: null, state: 'completed' });
      expect(issues.map((i) => i.field)).toEqual(['time.start', 'time.end']);
      expect(issues[0]?.message).toContain('negative time -5');
    });

    it('reports a finished job with an end time of 0', () => {
      const job = firstJob('slurm-22.05/sacct.json');
      (job.time as Record<string, unknown>).end = 0;
      expect(parseSacctJob(job, ctx).issues[0]?.message).toContain('has no end time');
    });

    it('skips a job without a job_id and says why', () => {
      const job = firstJob('slurm-22.05/sacct.json');
      delete job.job_id;
      const { record, issues } = parseSacctJob(job, ctx);
      expect(record).toBeNull();
      expect(issues).toMatchObject([{ field: 'job_id', source: 'sacct --json' }]);
    });

    it('reports a malformed node list and keeps the job', () => {
      const job = firstJob('slurm-22.05/sacct.json');
      job.nodes = 'vm[01-';
      const { record, issues } = parseSacctJob(job, ctx);
      expect(record?.nodes).toEqual([]);
      expect(issues[0]?.field).toBe('nodes');
    });
  });
});
