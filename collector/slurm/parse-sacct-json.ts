import type { JobRecord, RecordIssue, SchedulerGpuUsage } from '../jobs/types.js';
import { createIssueList, type IssueList, type RecordPlace } from './job-issues.js';
import { field, isObject, type JsonObject, readNumber, readString, readWords } from './json-values.js';
import { readGpuUsage, summarizeGpuTres, tresEntriesFromJson } from './parse-tres.js';
import {
  applyNodes,
  applyState,
  checkTimeOrder,
  createSlurmRecord,
  formatSlurmJobId,
  readEpochTime,
} from './slurm-record.js';

export interface SacctJsonContext extends RecordPlace {
  /** Used when the job object names no cluster. */
  cluster: string;
}

export interface ParsedJob {
  record: JobRecord | null;
  issues: RecordIssue[];
}

/** One element of `sacct --json`'s `jobs` array (data_parser 0.0.37 … 0.0.44) → a `JobRecord`. */
export function parseSacctJob(job: unknown, ctx: SacctJsonContext): ParsedJob {
  const issues = createIssueList(ctx);
  if (!isObject(job)) {
    issues.add(null, 'job entry is not an object; skipped');
    return { record: null, issues: issues.issues };
  }
  const numericId = readNumber(job.job_id);
  if (numericId === null) {
    issues.add('job_id', 'job has no numeric job_id; skipped');
    return { record: null, issues: issues.issues };
  }
  const jobId = formatSlurmJobId(
    numericId,
    readNumber(field(job, 'array', 'job_id')),
    readNumber(field(job, 'array', 'task_id')),
    { id: readNumber(field(job, 'het', 'job_id')), offset: readNumber(field(job, 'het', 'job_offset')) },
  );
  issues.setJobId(jobId);
  const record = createSlurmRecord(readString(job.cluster) ?? ctx.cluster, jobId);
  record.name = readString(job.name) ?? '';
  record.user = readString(job.user) ?? readString(field(job, 'association', 'user'));
  record.account = readString(job.account) ?? readString(field(job, 'association', 'account'));
  record.partition = readString(job.partition);
  applyState(record, readWords(field(job, 'state', 'current')), issues, 'state.current');
  applyTimes(record, job, issues);
  applyGpus(record, job);
  applyNodes(record, readString(job.nodes), issues, 'nodes');
  record.schedulerGpuUsage = readStepGpuUsage(job.steps);
  const qos = readString(job.qos);
  if (qos !== null) record.labels.qos = qos;
  return { record, issues: issues.issues };
}

function applyTimes(record: JobRecord, job: JsonObject, issues: IssueList): void {
  const time = job.time;
  if (!isObject(time)) {
    issues.add('time', 'job has no time object');
    return;
  }
  const read = (key: string) => (key in time ? readNumber(time[key]) : undefined);
  record.submittedAt = readEpochTime(read('submission'), 'time.submission', issues, record.state);
  record.startedAt = readEpochTime(read('start'), 'time.start', issues, record.state);
  record.endedAt = readEpochTime(read('end'), 'time.end', issues, record.state);
  // A running job's end is its projected end in some versions; it has not ended.
  if (record.state === 'running' || record.state === 'pending' || record.state === 'suspended')
    record.endedAt = null;
  checkTimeOrder(record, issues);
}

function applyGpus(record: JobRecord, job: JsonObject): void {
  const allocated = summarizeGpuTres(tresEntriesFromJson(field(job, 'tres', 'allocated')));
  const requested = summarizeGpuTres(tresEntriesFromJson(field(job, 'tres', 'requested')));
  record.gpusAllocated = allocated?.count ?? 0;
  record.gpusRequested = requested?.count ?? null;
  record.gpuType = allocated?.type ?? requested?.type ?? null;
}

/**
 * Steps' `tres.requested.max` is sacct's TRESUsageInMax: where a site gathers `gres/gpuutil`/`gres/gpumem`, the
 * job's usage is the largest over its steps. Null when no step reports either.
 */
export function readStepGpuUsage(steps: unknown): SchedulerGpuUsage | null {
  if (!Array.isArray(steps)) return null;
  let usage: SchedulerGpuUsage | null = null;
  for (const step of steps) {
    const found = readGpuUsage(tresEntriesFromJson(field(step, 'tres', 'requested', 'max')));
    if (found.utilizationPercent === null && found.memoryBytes === null) continue;
    usage = mergeUsageMax(usage, found);
  }
  return usage;
}

export function mergeUsageMax(a: SchedulerGpuUsage | null, b: SchedulerGpuUsage): SchedulerGpuUsage {
  if (a === null) return b;
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  return {
    utilizationPercent: max(a.utilizationPercent, b.utilizationPercent),
    memoryBytes: max(a.memoryBytes, b.memoryBytes),
  };
}
