import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { createIssueList, type IssueList } from './job-issues.js';
import { parseLocalDateTime } from './local-time.js';
import { mergeUsageMax } from './parse-sacct-json.js';
import { parseTresString, readGpuUsage, summarizeGpuTres } from './parse-tres.js';
import { applyNodes, applyState, checkTimeOrder, createSlurmRecord } from './slurm-record.js';

/**
 * The fields the fallback command asks for (`sacct --parsable2 -o …`). JobID carries the array form `123_4`;
 * TRESUsageInMax is on step rows and holds `gres/gpuutil`/`gres/gpumem` where the site gathers them.
 */
export const SACCT_PARSABLE_FIELDS = [
  'JobID',
  'JobIDRaw',
  'JobName',
  'User',
  'Account',
  'Partition',
  'State',
  'Submit',
  'Start',
  'End',
  'AllocTRES',
  'ReqTRES',
  'NodeList',
  'TRESUsageInMax',
  'Cluster',
] as const;

export interface SacctParsableOptions {
  source: string;
  cluster: string;
  /** `|` for --parsable2; sites pick others (`--delimiter=☃`). */
  delimiter?: string;
  /** Column names for headerless output (`--noheader`); otherwise the first line is the header. */
  columns?: readonly string[];
  /** Zone sacct printed times in: the TZ of the process that ran it. */
  timeZone?: string;
}

export interface ParsedJobs {
  records: JobRecord[];
  issues: RecordIssue[];
}

/** `sacct --parsable2` (or `--parsable`, trailing delimiter) output → job records; step rows add GPU usage. */
export function parseSacctParsable(text: string, options: SacctParsableOptions): ParsedJobs {
  const delimiter = options.delimiter ?? '|';
  const lines = text.split('\n');
  let columns = options.columns;
  let first = 0;
  if (columns === undefined) {
    columns = (lines[0] ?? '').replace(/\r$/, '').split(delimiter);
    first = 1;
  }
  const index = new Map(columns.map((name, i) => [name.toLowerCase(), i]));
  const records: JobRecord[] = [];
  const issues: RecordIssue[] = [];
  const byId = new Map<string, JobRecord>();
  for (let n = first; n < lines.length; n++) {
    const line = (lines[n] ?? '').replace(/\r$/, '');
    if (line === '') continue;
    const list = createIssueList({ source: options.source, line: n + 1 });
    const fields = splitRow(line, delimiter, columns.length, list);
    if (fields !== null) {
      const get = (name: string) => fields[index.get(name.toLowerCase()) ?? -1] ?? '';
      readRow(get, options, list, byId, records);
    }
    issues.push(...list.issues);
  }
  return { records, issues };
}

function splitRow(line: string, delimiter: string, expected: number, issues: IssueList): string[] | null {
  const fields = line.split(delimiter);
  if (fields.length === expected + 1 && fields[expected] === '') fields.pop();
  if (fields.length === expected) return fields;
  issues.add(null, `row has ${fields.length} fields, the header ${expected}; skipped`);
  return null;
}

function readRow(
  get: (name: string) => string,
  options: SacctParsableOptions,
  issues: IssueList,
  byId: Map<string, JobRecord>,
  records: JobRecord[],
): void {
  const jobId = get('JobID') || get('JobIDRaw');
  issues.setJobId(jobId || null);
  if (jobId === '') {
    issues.add('JobID', 'row has no JobID; skipped');
    return;
  }
  const dot = jobId.indexOf('.');
  if (dot >= 0) {
    applyStepUsage(byId.get(jobId.slice(0, dot)), get('TRESUsageInMax'));
    return;
  }
  const record = readJobRow(jobId, get, options, issues);
  byId.set(jobId, record);
  records.push(record);
}

function readJobRow(
  jobId: string,
  get: (name: string) => string,
  options: SacctParsableOptions,
  issues: IssueList,
): JobRecord {
  const record = createSlurmRecord(get('Cluster') || options.cluster, jobId);
  record.name = get('JobName');
  record.user = get('User') || null;
  record.account = get('Account') || null;
  record.partition = get('Partition') || null;
  applyState(record, [get('State')], issues, 'State');
  const zone = options.timeZone ?? 'UTC';
  record.submittedAt = readTextTime(get('Submit'), zone, 'Submit', issues);
  record.startedAt = readTextTime(get('Start'), zone, 'Start', issues);
  record.endedAt = readTextTime(get('End'), zone, 'End', issues);
  checkTimeOrder(record, issues);
  const allocated = summarizeGpuTres(parseTresString(get('AllocTRES')));
  const requested = summarizeGpuTres(parseTresString(get('ReqTRES')));
  record.gpusAllocated = allocated?.count ?? 0;
  record.gpusRequested = requested?.count ?? null;
  record.gpuType = allocated?.type ?? requested?.type ?? null;
  applyNodes(record, get('NodeList') || null, issues, 'NodeList');
  applyStepUsage(record, get('TRESUsageInMax'));
  return record;
}

/** `Unknown`/`None`/empty mean "not (yet) happened"; anything else that is not a timestamp is reported. */
export function readTextTime(text: string, timeZone: string, field: string, issues: IssueList): Date | null {
  if (text === '' || text === 'Unknown' || text === 'None' || text === 'N/A') return null;
  const date = parseLocalDateTime(text, timeZone);
  if (date === null) issues.add(field, `not a time: ${JSON.stringify(text)}`);
  return date;
}

function applyStepUsage(record: JobRecord | undefined, tresUsage: string): void {
  if (record === undefined || tresUsage === '') return;
  const usage = readGpuUsage(parseTresString(tresUsage));
  if (usage.utilizationPercent === null && usage.memoryBytes === null) return;
  record.schedulerGpuUsage = mergeUsageMax(record.schedulerGpuUsage, usage);
}
