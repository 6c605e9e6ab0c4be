import { describe, expect, it } from 'vitest';
import { parseJobcompLine } from './parse-jobcomp.js';
import { readFixture } from './test-fixtures.js';

const ctx = { source: 'jobcomp.log', line: 1, cluster: 'teaching', timeZone: 'UTC' };

function lines(name: string): string[] {
  return readFixture(name)
    .split('\n')
    .filter((l) => l !== '');
}

describe('parseJobcompLine', () => {
  it('reads the real 22.05 GPU line with typed and untyped gres counted once', () => {
    const line = lines('slurm-22.05/jobcomp-filetxt.log').find((l) => l.startsWith('JobId=5 '));
    const { record, issues } = parseJobcompLine(line ?? '', ctx);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({
      jobId: '5',
      user: 'root',
      name: 'pretrain',
      account: 'llm-team',
      cluster: 'testcluster',
      state: 'completed',
      gpusAllocated: 3,
      gpuType: 'h100',
      nodes: ['vm'],
      startedAt: new Date('2026-11-22T04:29:29Z'),
    });
  });

  it('parses every line of the real teaching-cluster log without an issue', () => {
    const all = lines('slurm_jobcomp_filetxt_sample.log').map((l, i) =>
      parseJobcompLine(l, { ...ctx, line: i + 1 }),
    );
    expect(all.flatMap((r) => r.issues)).toEqual([]);
    expect(all.every((r) => r.record !== null)).toBe(true);
    expect(new Set(all.map((r) => r.record?.state))).toEqual(
      new Set(['cancelled', 'completed', 'failed', 'timeout']),
    );
  });

  it('names array tasks 362_1 and reads StartTime=Unknown and NodeList=(null) as absent', () => {
    const log = lines('slurm_jobcomp_filetxt_sample.log');
    const task = parseJobcompLine(log.find((l) => l.startsWith('JobId=363 ')) ?? '', ctx).record;
    expect(task?.jobId).toBe('362_1');
    const never = parseJobcompLine(log.find((l) => l.startsWith('JobId=283 ')) ?? '', ctx).record;
    expect(never).toMatchObject({ startedAt: null, nodes: [], cluster: 'teaching', account: null });
  });

  it('keeps spaces inside values by splitting only on known keys', () => {
    const text =
      'JobId=9 UserId=ana(1000) GroupId=ana(1000) Name=my job x=1 JobState=COMPLETED Partition=gpu TimeLimit=5 StartTime=2024-03-01T06:00:00 EndTime=2024-03-01T07:00:00 NodeList=n[1-2] NodeCnt=2 ProcCnt=2 WorkDir=/home/ana/my dir ReservationName= Tres=cpu=2,gres/gpu=2 Account=a QOS=normal WcKey= Cluster=c SubmitTime=2024-03-01T05:00:00 EligibleTime=2024-03-01T05:00:00 DerivedExitCode=0:0 ExitCode=0:0';
    expect(parseJobcompLine(text, ctx).record).toMatchObject({
      name: 'my job x=1',
      nodes: ['n1', 'n2'],
      gpusAllocated: 2,
    });
  });

  it('converts controller-local times with the configured DST zone', () => {
    const text =
      'JobId=1 UserId=a(1) Name=x JobState=COMPLETED StartTime=2024-07-01T12:00:00 EndTime=2024-12-01T12:00:00';
    const { record } = parseJobcompLine(text, { ...ctx, timeZone: 'Europe/Berlin' });
    expect(record?.startedAt?.toISOString()).toBe('2024-07-01T10:00:00.000Z');
    expect(record?.endedAt?.toISOString()).toBe('2024-12-01T11:00:00.000Z');
  });

  describe('errors', () => {
    it('skips a line without a JobId and names its line', () => {
      const { record, issues } = parseJobcompLine('garbage line', { ...ctx, line: 17 });
      expect(record).toBeNull();
      expect(issues).toMatchObject([{ line: 17, field: 'JobId', source: 'jobcomp.log' }]);
    });

    it('keeps a line with an unknown state and an end before its start, with an issue each', () => {
      const text = 'JobId=4 JobState=EXPLODED StartTime=2024-03-01T08:00:00 EndTime=2024-03-01T07:00:00';
      const { record, issues } = parseJobcompLine(text, ctx);
      expect(record?.state).toBe('unknown');
      expect(issues.map((i) => i.field)).toEqual(['JobState', 'end']);
    });
  });
});
