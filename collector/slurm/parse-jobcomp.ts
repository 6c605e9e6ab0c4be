import type { JobRecord, RecordIssue } from '../jobs/types.js';
import { createIssueList } from './job-issues.js';
import { readTextTime } from './parse-sacct-parsable.js';
import { parseTresString, summarizeGpuTres } from './parse-tres.js';
import { applyNodes, applyState, checkTimeOrder, createSlurmRecord } from './slurm-record.js';
import { splitKnownKeys } from './split-known-keys.js';

/** Keys of SchedMD's jobcomp_filetxt.c JOB_FORMAT, plus the array and het job fields it inserts. */
const JOBCOMP_KEYS = new Set([
  'JobId',
  'UserId',
  'GroupId',
  'Name',
  'JobState',
  'Partition',
  'TimeLimit',
  'StartTime',
  'EndTime',
  'NodeList',
  'NodeCnt',
  'ProcCnt',
  'WorkDir',
  'ReservationName',
  'Tres',
  'Account',
  'QOS',
  'WcKey',
  'Cluster',
  'SubmitTime',
  'EligibleTime',
  'ArrayJobId',
  'ArrayTaskId',
  'HetJobId',
  'HetJobOffset',
  'DerivedExitCode',
  'ExitCode',
]);

export interface JobcompContext {
  source: string;
  line: number;
  /** Used when the line says `Cluster=unknown`. */
  cluster: string;
  /** slurmctld's zone: jobcomp/filetxt writes local wall-clock times. */
  timeZone: string;
}

/** One jobcomp/filetxt line → a job record (null, with an issue, when it has no JobId). */
export function parseJobcompLine(
  text: string,
  ctx: JobcompContext,
): { record: JobRecord | null; issues: RecordIssue[] } {
  const issues = createIssueList(ctx);
  const f = splitKnownKeys(text, JOBCOMP_KEYS);
  const get = (key: string) => f.get(key) ?? '';
  const rawId = get('JobId');
  if (!/^\d+$/.test(rawId)) {
    issues.add(
      'JobId',
      rawId === '' ? 'line has no JobId; skipped' : `JobId ${JSON.stringify(rawId)} is not a number; skipped`,
    );
    return { record: null, issues: issues.issues };
  }
  const jobId = formatJobcompId(
    rawId,
    get('ArrayJobId'),
    get('ArrayTaskId'),
    get('HetJobId'),
    get('HetJobOffset'),
  );
  issues.setJobId(jobId);
  const cluster = get('Cluster');
  const record = createSlurmRecord(cluster === '' || cluster === 'unknown' ? ctx.cluster : cluster, jobId);
  record.name = get('Name');
  record.user = /^([^(]*)/.exec(get('UserId'))?.[1] || null;
  record.account = get('Account') || null;
  record.partition = get('Partition') || null;
  applyState(record, [get('JobState')], issues, 'JobState');
  record.submittedAt = readTextTime(get('SubmitTime'), ctx.timeZone, 'SubmitTime', issues);
  record.startedAt = readTextTime(get('StartTime'), ctx.timeZone, 'StartTime', issues);
  record.endedAt = readTextTime(get('EndTime'), ctx.timeZone, 'EndTime', issues);
  checkTimeOrder(record, issues);
  const gpus = summarizeGpuTres(parseTresString(get('Tres')));
  record.gpusAllocated = gpus?.count ?? 0;
  record.gpuType = gpus?.type ?? null;
  applyNodes(record, get('NodeList') || null, issues, 'NodeList');
  const qos = get('QOS');
  if (qos !== '') record.labels.qos = qos;
  return { record, issues: issues.issues };
}

function formatJobcompId(
  id: string,
  arrayJobId: string,
  arrayTaskId: string,
  hetId: string,
  hetOffset: string,
): string {
  if (/^\d+$/.test(arrayJobId) && /^\d+$/.test(arrayTaskId) && arrayJobId !== '0')
    return `${arrayJobId}_${arrayTaskId}`;
  if (/^\d+$/.test(hetId) && /^\d+$/.test(hetOffset) && hetId !== '0') return `${hetId}+${hetOffset}`;
  return id;
}
