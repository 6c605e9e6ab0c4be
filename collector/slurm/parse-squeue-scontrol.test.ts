import { describe, expect, it } from 'vitest';
import { parseGresDetail } from './parse-gres-detail.js';
import { applyScontrolAllocations, parseScontrolJobs } from './parse-scontrol-job.js';
import { parseSqueueJson } from './parse-squeue-json.js';
import { readFixture } from './test-fixtures.js';

const ctx = { source: 'squeue --json', cluster: 'fallback' };

describe('parseSqueueJson', () => {
  it('reads the real 22.05 capture: states, GPU counts and the running job without an end', () => {
    const { records, issues } = parseSqueueJson(readFixture('slurm-22.05/squeue-running.json'), ctx);
    expect(issues).toEqual([]);
    const running = records.find((r) => r.jobId === '8');
    expect(running).toMatchObject({
      state: 'running',
      account: 'research',
      user: 'root',
      cluster: 'testcluster',
      gpusAllocated: 2,
      gpuType: 'h100',
      nodes: ['vm'],
      startedAt: new Date(1795321960 * 1000),
      endedAt: null,
    });
    expect(running?.allocations.map((a) => [a.node, a.gpuIndex])).toEqual([
      ['vm', 0],
      ['vm', 1],
    ]);
    expect(records.find((r) => r.jobId === '6')).toMatchObject({ state: 'failed', gpusAllocated: 1 });
  });

  it('reads the newer shape with wrapped numbers and a state array', () => {
    const text = JSON.stringify({
      jobs: [
        {
          job_id: 42,
          job_state: ['RUNNING'],
          array_job_id: { set: true, infinite: false, number: 40 },
          array_task_id: { set: true, infinite: false, number: 2 },
          start_time: { set: true, infinite: false, number: 1700000000 },
          submit_time: { set: true, infinite: false, number: 1699999000 },
          end_time: { set: true, infinite: false, number: 1700086400 },
          nodes: 'gpu[01-02]',
          tres_alloc_str: 'cpu=8,gres/gpu:a100=8',
          gres_detail: ['gpu:a100:4(IDX:0-3)', 'gpu:a100:4(IDX:4-7)'],
        },
      ],
    });
    const { records } = parseSqueueJson(text, ctx);
    expect(records[0]).toMatchObject({ jobId: '40_2', state: 'running', gpusAllocated: 8, endedAt: null });
    expect(records[0]?.allocations).toHaveLength(8);
    expect(records[0]?.allocations[7]).toEqual({
      node: 'gpu02',
      gpuIndex: 7,
      gpuUuid: null,
      migProfile: null,
    });
  });

  describe('errors', () => {
    it('returns an issue, not a throw, for text that is not JSON', () => {
      const { records, issues } = parseSqueueJson('{"jobs": [', ctx);
      expect(records).toEqual([]);
      expect(issues[0]?.message).toContain('not valid JSON');
    });

    it('skips a job without a job_id and keeps the others', () => {
      const { records, issues } = parseSqueueJson(
        '{"jobs": [{"name": "x"}, {"job_id": 3, "job_state": "PENDING"}]}',
        ctx,
      );
      expect(records.map((r) => r.jobId)).toEqual(['3']);
      expect(issues[0]).toMatchObject({ field: 'job_id' });
    });
  });
});

describe('parseScontrolJobs', () => {
  it('reads GPU indices from the per-node detail line of the real capture', () => {
    const { jobs, issues } = parseScontrolJobs(readFixture('slurm-22.05/scontrol-show-job-d-running.txt'));
    expect(issues).toEqual([]);
    expect(jobs).toEqual([
      {
        jobId: '8',
        rawState: 'RUNNING',
        allocations: [
          { node: 'vm', gpuIndex: 0, gpuUuid: null, migProfile: null },
          { node: 'vm', gpuIndex: 1, gpuUuid: null, migProfile: null },
        ],
      },
    ]);
  });

  it('separates jobs at blank lines, names array tasks and expands multi-node detail lines', () => {
    const text = [
      'JobId=11 ArrayJobId=10 ArrayTaskId=1 JobName=my array job',
      '   JobState=RUNNING Reason=None Dependency=(null)',
      '     Nodes=gpu[01-02] CPU_IDs=0-3 Mem=0 GRES=gpu:a100:2(IDX:2-3)',
      '',
      'JobId=12 JobName=cpu',
      '   JobState=PENDING Reason=Resources',
      '',
    ].join('\n');
    const { jobs } = parseScontrolJobs(text);
    expect(jobs.map((j) => [j.jobId, j.allocations.map((a) => `${a.node}:${a.gpuIndex}`)])).toEqual([
      ['10_1', ['gpu01:2', 'gpu01:3', 'gpu02:2', 'gpu02:3']],
      ['12', []],
    ]);
  });

  it('gives squeue records the indices scontrol reports for the same job id', () => {
    const { records } = parseSqueueJson(readFixture('slurm-22.05/squeue-running.json'), ctx);
    for (const r of records) r.allocations = [];
    applyScontrolAllocations(
      records,
      parseScontrolJobs(readFixture('slurm-22.05/scontrol-show-job-d-running.txt')).jobs,
    );
    expect(records.find((r) => r.jobId === '8')?.allocations.map((a) => a.gpuIndex)).toEqual([0, 1]);
    expect(records.find((r) => r.jobId === '7')?.allocations).toEqual([]);
  });

  describe('errors', () => {
    it('reports unreadable GRES detail with its line and a block without a JobId', () => {
      const text =
        'JobId=5 JobState=RUNNING\n  Nodes=n1 CPU_IDs=0 Mem=0 GRES=gpu:h100:2(IDX:zero)\n\nJobState=RUNNING\n';
      const { jobs, issues } = parseScontrolJobs(text);
      expect(jobs.map((j) => j.jobId)).toEqual(['5']);
      expect(issues.map((i) => [i.field, i.jobId])).toEqual([
        ['GRES', '5'],
        ['JobId', null],
      ]);
      expect(issues[0]?.message).toContain('line 2');
    });
  });
});

describe('parseGresDetail', () => {
  it('reads typed, untyped and multi-entry GRES with index lists, ignoring non-GPU GRES', () => {
    expect(parseGresDetail('gpu:2(IDX:0,2)')).toEqual([{ type: null, count: 2, indices: [0, 2] }]);
    expect(parseGresDetail('gpu:a100:1(IDX:3),shard:2(0/8)')).toEqual([
      { type: 'a100', count: 1, indices: [3] },
    ]);
    expect(parseGresDetail('gpu:h100:1(IDX:N/A)')).toEqual([{ type: 'h100', count: 1, indices: [] }]);
  });
});
