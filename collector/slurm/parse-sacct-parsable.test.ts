import { describe, expect, it } from 'vitest';
import { parseSacctParsable } from './parse-sacct-parsable.js';
import { readFixture } from './test-fixtures.js';

const HABROK_COLUMNS =
  'JobID,JobName,User,Partition,NodeList,NNodes,NCPUs,NTasks,State,Submit,Start,End,Timelimit,Elapsed,TotalCPU,CPUTime,UserCPU,SystemCPU,ReqMem,MaxRSS,MaxVMSize,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot,TRESUsageOutTot,MaxDiskRead,MaxDiskWrite,MaxRSSNode,MaxRSSTask,MaxVMSizeNode,MaxVMSizeTask,MaxDiskReadNode,MaxDiskReadTask,MaxDiskWriteNode,MaxDiskWriteTask,Comment'.split(
    ',',
  );

describe('parseSacctParsable', () => {
  it('reads the real 22.05 --parsable2 capture with its header, counting gres/gpu once', () => {
    const { records, issues } = parseSacctParsable(readFixture('slurm-22.05/sacct-parsable2.txt'), {
      source: 'sacct --parsable2',
      cluster: 'testcluster',
    });
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.jobId, r.state, r.gpusAllocated])).toEqual([
      ['1', 'completed', 0],
      ['2', 'failed', 0],
      ['3', 'completed', 0],
      ['4', 'completed', 0],
      ['5', 'completed', 3],
      ['6', 'failed', 1],
    ]);
    expect(records[4]).toMatchObject({
      account: 'llm-team',
      gpuType: 'h100',
      nodes: ['vm'],
      startedAt: new Date('2026-11-22T04:29:29Z'),
      endedAt: new Date('2026-11-22T04:29:31Z'),
    });
  });

  it('reads the headerless snowman-delimited Habrok output given its columns and zone', () => {
    const { records, issues } = parseSacctParsable(readFixture('sacct_parsable_snowman_delim_habrok.txt'), {
      source: 'habrok',
      cluster: 'habrok',
      delimiter: '☃',
      columns: HABROK_COLUMNS,
      timeZone: 'Europe/Amsterdam',
    });
    expect(issues).toEqual([]);
    const cancelled = records.find((r) => r.jobId === '4034541');
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      rawState: 'CANCELLED by 10304007',
      submittedAt: new Date('2023-08-31T10:29:47Z'),
      nodes: ['a100gpu2'],
    });
    expect(records.find((r) => r.jobId === '5908801_3')?.state).toBe('completed');
    expect(records.find((r) => r.jobId === '4047445')).toMatchObject({ startedAt: null, nodes: [] });
  });

  it('takes gpuutil and gpumem from the largest step TRESUsageInMax of the job', () => {
    const { records } = parseSacctParsable(readFixture('sacct_parsable_snowman_delim_habrok.txt'), {
      source: 'habrok',
      cluster: 'habrok',
      delimiter: '☃',
      columns: HABROK_COLUMNS,
    });
    const job = records.find((r) => r.jobId === '7965768');
    expect(job).toMatchObject({ gpusAllocated: 1, gpuType: 'v100' });
    expect(job?.schedulerGpuUsage).toEqual({ utilizationPercent: 90, memoryBytes: 20500736 * 1024 });
  });

  describe('errors', () => {
    it('skips a row with the wrong number of fields and names its line', () => {
      const text = 'JobID|JobName|State\n1|a|COMPLETED\n2|b\n3|c|FAILED\n';
      const { records, issues } = parseSacctParsable(text, { source: 'sacct', cluster: 'c' });
      expect(records.map((r) => r.jobId)).toEqual(['1', '3']);
      expect(issues).toMatchObject([{ line: 3, jobId: null }]);
    });

    it('keeps a row with an unknown state and a garbled time, reporting both', () => {
      const text = 'JobID|State|Start\n9|WEIRD|yesterday\n';
      const { records, issues } = parseSacctParsable(text, { source: 'sacct', cluster: 'c' });
      expect(records[0]).toMatchObject({ state: 'unknown', startedAt: null });
      expect(issues.map((i) => [i.field, i.jobId, i.line])).toEqual([
        ['State', '9', 2],
        ['Start', '9', 2],
      ]);
    });
  });
});
