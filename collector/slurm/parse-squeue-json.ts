import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { createIssueList } from './job-issues.js';
import { isObject, readNumber, readString, readWords } from './json-values.js';
import { gresAllocations, parseGresDetail } from './parse-gres-detail.js';
import { parseTresString, summarizeGpuTres } from './parse-tres.js';
import {
  applyNodes,
  applyState,
  checkTimeOrder,
  createSlurmRecord,
  formatSlurmJobId,
  readEpochTime,
} from './slurm-record.js';

export interface SqueueContext {
  source: string;
  cluster: string;
}

/** `squeue --json` (v0.0.38 flat numbers … v0.0.4x wrapped numbers and state arrays) → job records. */
export function parseSqueueJson(
  text: string,
  ctx: SqueueContext,
): { records: JobRecord[]; issues: RecordIssue[] } {
  const top = createIssueList({ source: ctx.source, line: null });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    top.add(null, `not valid JSON: ${(e as Error).message}`);
    return { records: [], issues: top.issues };
  }
  const jobs = isObject(document) ? document.jobs : undefined;
  if (!Array.isArray(jobs)) {
    top.add('jobs', 'document has no jobs array');
    return { records: [], issues: top.issues };
  }
  const records: JobRecord[] = [];
  const issues = [...top.issues];
  jobs.forEach((job, i) => {
    const parsed = parseSqueueJob(job, ctx, i);
    if (parsed.record !== null) records.push(parsed.record);
    issues.push(...parsed.issues);
  });
  return { records, issues };
}

function parseSqueueJob(
  job: unknown,
  ctx: SqueueContext,
  index: number,
): { record: JobRecord | null; issues: RecordIssue[] } {
  const issues = createIssueList({ source: ctx.source, line: null });
  const id = isObject(job) ? readNumber(job.job_id) : null;
  if (!isObject(job) || id === null) {
    issues.add('job_id', `jobs[${index}] has no numeric job_id; skipped`);
    return { record: null, issues: issues.issues };
  }
  const jobId = formatSlurmJobId(id, readNumber(job.array_job_id), readNumber(job.array_task_id), {
    id: readNumber(job.het_job_id),
    offset: readNumber(job.het_job_offset),
  });
  issues.setJobId(jobId);
  const record = createSlurmRecord(readString(job.cluster) ?? ctx.cluster, jobId);
  record.name = readString(job.name) ?? '';
  record.user = readString(job.user_name);
  record.account = readString(job.account);
  record.partition = readString(job.partition);
  applyState(record, readWords(job.job_state), issues, 'job_state');
  record.submittedAt = readEpochTime(readNumber(job.submit_time), 'submit_time', issues, record.state);
  record.startedAt = readEpochTime(readNumber(job.start_time), 'start_time', issues, record.state);
  // squeue's end_time of a live job is its projected end (start + limit), not an end.
  const live = ['pending', 'running', 'suspended'].includes(record.state);
  record.endedAt = live ? null : readEpochTime(readNumber(job.end_time), 'end_time', issues, record.state);
  checkTimeOrder(record, issues);
  const allocated = summarizeGpuTres(parseTresString(readString(job.tres_alloc_str) ?? ''));
  const requested = summarizeGpuTres(parseTresString(readString(job.tres_req_str) ?? ''));
  record.gpusAllocated = allocated?.count ?? 0;
  record.gpusRequested = requested?.count ?? null;
  record.gpuType = allocated?.type ?? requested?.type ?? null;
  applyNodes(record, readString(job.nodes), issues, 'nodes');
  record.allocations = readGresDetail(job.gres_detail, record.nodes);
  return { record, issues: issues.issues };
}

/** gres_detail holds one GRES string per allocated node, in node-list order. */
function readGresDetail(detail: unknown, nodes: readonly string[]): JobRecord['allocations'] {
  if (!Array.isArray(detail)) return [];
  return detail.flatMap((text, i) => {
    const node = nodes[i];
    const gres = typeof text === 'string' ? parseGresDetail(text) : null;
    return node === undefined || gres === null ? [] : gresAllocations(node, gres);
  });
}
