import type { JobRecord, JobState } from '../jobs/types.js';
import { isTerminalJobState } from '../jobs/types.js';
import { expandHostlist } from './hostlist.js';
import type { IssueList } from './job-issues.js';
import { mapSlurmState } from './job-state.js';

export function createSlurmRecord(cluster: string, jobId: string): JobRecord {
  return {
    source: 'slurm',
    cluster,
    jobId,
    name: '',
    user: null,
    account: null,
    namespace: null,
    partition: null,
    team: null,
    project: null,
    state: 'unknown',
    rawState: '',
    submittedAt: null,
    startedAt: null,
    endedAt: null,
    gpusRequested: null,
    gpusAllocated: 0,
    gpuType: null,
    nodes: [],
    allocations: [],
    schedulerGpuUsage: null,
    owners: [],
    labels: {},
  };
}

/** Slurm id text: array task `123_4` first, het component `123+1` next, else the plain id. */
export function formatSlurmJobId(
  jobId: number,
  arrayJobId: number | null,
  arrayTaskId: number | null,
  het?: { id: number | null; offset: number | null },
): string {
  if (arrayJobId !== null && arrayJobId > 0 && arrayTaskId !== null && arrayTaskId >= 0)
    return `${arrayJobId}_${arrayTaskId}`;
  if (het !== undefined && het.id !== null && het.id > 0 && het.offset !== null)
    return `${het.id}+${het.offset}`;
  return String(jobId);
}

export function applyState(
  record: JobRecord,
  words: readonly string[],
  issues: IssueList,
  field: string,
): void {
  record.rawState = words.join(',');
  const state = mapSlurmState(words);
  if (state === null)
    issues.add(field, `unknown Slurm job state ${JSON.stringify(record.rawState)}; recorded as unknown`);
  record.state = state ?? 'unknown';
}

/**
 * Epoch seconds → Date. 0 is Slurm's "not yet" (a pending job's start, a running job's end) and is null without an
 * issue, except an end of 0 on a finished job. Negative, missing or non-numeric values are null with an issue.
 */
export function readEpochTime(
  value: number | null | undefined,
  field: string,
  issues: IssueList,
  state: JobState,
): Date | null {
  if (value === undefined || value === null) {
    issues.add(field, 'time is missing');
    return null;
  }
  if (value < 0) {
    issues.add(field, `negative time ${value}`);
    return null;
  }
  if (value === 0) {
    if (field.endsWith('end') && isTerminalJobState(state))
      issues.add(field, `finished job (${state}) has no end time`);
    return null;
  }
  return new Date(value * 1000);
}

export function applyNodes(
  record: JobRecord,
  hostlist: string | null,
  issues: IssueList,
  field: string,
): void {
  if (hostlist === null) return;
  const hosts = expandHostlist(hostlist);
  if (hosts.ok) record.nodes = hosts.value;
  else issues.add(field, hosts.error);
}

export function checkTimeOrder(record: JobRecord, issues: IssueList): void {
  if (record.startedAt !== null && record.endedAt !== null && record.endedAt < record.startedAt) {
    issues.add(
      'end',
      `end ${record.endedAt.toISOString()} is before start ${record.startedAt.toISOString()}`,
    );
  }
}
