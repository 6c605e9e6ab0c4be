import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { parseSacctJob } from './parse-sacct-json.js';
import { type SacctMeta, streamSacctJson } from './stream-sacct-json.js';
import { readFixture } from './test-fixtures.js';

const options = { source: 'sacct --json', cluster: 'fallback' };

function chunked(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

async function collect(input: AsyncIterable<Buffer | string> | Iterable<Buffer>) {
  const records: JobRecord[] = [];
  const issues: RecordIssue[] = [];
  const metas: SacctMeta[] = [];
  for await (const event of streamSacctJson(toAsync(input), options)) {
    if (event.type === 'job') records.push(event.record);
    else if (event.type === 'issue') issues.push(event.issue);
    else metas.push(event.meta);
  }
  return { records, issues, metas };
}

async function* toAsync<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> {
  yield* items;
}

const fixtures = [
  'sacct_json_slurm_21_8_8.json',
  'sacct_json_slurm_22_5_9.json',
  'sacct_json_slurm_23_2_6.json',
  'sacct_json_slurm_23_11_5.json',
  'sacct_json_v0.0.43_multi_gpu_sarc_generated.json',
  'slurmdb_v0.0.44_job_slurm-web.json',
  'slurm-22.05/sacct-with-steps.json',
];

describe('streamSacctJson', () => {
  it.each(fixtures)('yields the same records as parsing %s whole, whatever the chunk size', async (name) => {
    const text = readFixture(name);
    const expected = (JSON.parse(text) as { jobs: unknown[] }).jobs.map(
      (job) => parseSacctJob(job, { ...options, line: null }).record,
    );
    for (const size of [1, 7, 4096, text.length]) {
      const { records, issues } = await collect(chunked(text, size));
      expect(issues).toEqual([]);
      expect(records).toEqual(expected);
    }
  });

  it('reports the data_parser version from meta, new and old spellings', async () => {
    const newer = await collect([Buffer.from(readFixture('sacct_json_slurm_23_2_6.json'))]);
    expect(newer.metas).toEqual([{ dataParser: 'data_parser/v0.0.39', slurmRelease: '23.02.6' }]);
    const older = await collect([Buffer.from(readFixture('slurm-22.05/sacct.json'))]);
    expect(older.metas).toEqual([{ dataParser: 'openapi/dbv0.0.38', slurmRelease: '22.05.8' }]);
  });

  it('cuts objects correctly around braces, quotes and backslashes inside strings split across chunks', async () => {
    const job = JSON.parse(readFixture('slurm-22.05/sacct.json')).jobs[0];
    job.name = 'odd } { ] [ " \\ \\\\" name ☃';
    const text = JSON.stringify({ meta: {}, jobs: [job, { ...job, job_id: 2 }] });
    for (const size of [1, 2, 3]) {
      const { records } = await collect(chunked(text, size));
      expect(records.map((r) => [r.jobId, r.name])).toEqual([
        ['1', job.name],
        ['2', job.name],
      ]);
    }
  });

  it('reads from a Readable stream', async () => {
    const { records } = await collect(Readable.from(chunked(readFixture('slurm-22.05/sacct.json'), 100)));
    expect(records.map((r) => r.jobId)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('reports entries of the top-level errors array as issues', async () => {
    const text = JSON.stringify({ errors: [{ description: 'Nothing found', error_number: 9000 }], jobs: [] });
    const { issues } = await collect([Buffer.from(text)]);
    expect(issues).toMatchObject([{ field: 'errors', message: 'sacct reported: Nothing found' }]);
  });

  describe('errors', () => {
    it('keeps every job before a cut and names the byte offset of the truncation', async () => {
      const text = readFixture('slurm-22.05/sacct.json');
      const cut = text.indexOf('"job_id": 5');
      const { records, issues } = await collect(chunked(text.slice(0, cut), 64));
      expect(records.map((r) => r.jobId)).toEqual(['1', '2', '3', '4']);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.message).toContain(`truncated at byte ${Buffer.byteLength(text.slice(0, cut))}`);
      expect(issues[0]?.message).toContain('4 complete jobs');
    });

    it('skips one malformed job object with its line number and keeps the ones around it', async () => {
      const text = '{"jobs": [\n{"job_id": 1, "time": {}},\n{"job_id": 2, "time": {} x},\n{"job_id": 3}\n]}';
      const { records, issues } = await collect([Buffer.from(text)]);
      expect(records.map((r) => r.jobId)).toEqual(['1', '3']);
      const invalid = issues.find((i) => i.message.includes('not valid JSON'));
      expect(invalid?.line).toBe(3);
    });

    it('reports a document without a jobs array', async () => {
      const { issues } = await collect([Buffer.from('{"meta": {}, "errors": []}')]);
      expect(issues).toMatchObject([{ field: 'jobs', message: 'document has no top-level jobs array' }]);
    });

    it('reports empty input as truncated at byte 0', async () => {
      const { issues } = await collect([]);
      expect(issues[0]?.message).toContain('truncated at byte 0');
    });
  });
});
