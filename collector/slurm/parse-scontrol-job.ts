import type { GpuAllocation, JobRecord, RecordIssue } from '../jobs/types.js';
import { createIssueList, type IssueList } from './job-issues.js';
import { gresAllocations, parseGresDetail } from './parse-gres-detail.js';
import { splitKnownKeys } from './split-known-keys.js';

/** Keys scontrol show job -d prints (22.05–25.x); a value word `X=` with X not listed stays part of the value. */
const SCONTROL_KEYS = new Set(
  (
    'JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet JobName UserId GroupId ' +
    'MCS_label Priority Nice Account QOS JobState Reason Dependency Requeue Restarts BatchFlag Reboot ExitCode ' +
    'DerivedExitCode RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime StartTime EndTime Deadline ' +
    'SuspendTime SecsPreSuspend LastSchedEval Scheduler Partition AllocNode:Sid ReqNodeList ExcNodeList NodeList ' +
    'SchedNodeList BatchHost NumNodes NumCPUs NumTasks CPUs/Task ReqB:S:C:T TRES ReqTRES AllocTRES Socks/Node ' +
    'NtasksPerN:B:S:C CoreSpec JOB_GRES MinCPUsNode MinMemoryNode MinMemoryCPU MinTmpDiskNode Features DelayBoot ' +
    'OverSubscribe Contiguous Licenses LicensesAlloc Network Command WorkDir StdErr StdIn StdOut Power TresPerNode ' +
    'TresPerJob TresPerTask TresPerSocket CpusPerTres MemPerTres TresBind TresFreq Comment AdminComment ' +
    'SystemComment Reservation MailUser MailType Container ContainerID OOMKillStep Segment Prefer ResvPorts ' +
    'NtasksPerTRES CPU_IDs Mem GRES Nodes'
  ).split(' '),
);

export interface ScontrolJob {
  /** `123`, or `123_4` for an array task. */
  jobId: string;
  rawState: string;
  allocations: GpuAllocation[];
}

/**
 * `scontrol show job -d` text (jobs separated by blank lines) → per job, the GPU indices from its per-node detail
 * lines (`Nodes=vm CPU_IDs=0 Mem=0 GRES=gpu:h100:2(IDX:0-1)`).
 */
export function parseScontrolJobs(
  text: string,
  source = 'scontrol show job -d',
): { jobs: ScontrolJob[]; issues: RecordIssue[] } {
  const jobs: ScontrolJob[] = [];
  const issues: RecordIssue[] = [];
  const lines = text.split('\n');
  let block: { text: string; line: number }[] = [];
  const flush = () => {
    if (block.length > 0) {
      const list = createIssueList({ source, line: block[0]?.line ?? null });
      const job = parseBlock(block, list);
      if (job !== null) jobs.push(job);
      issues.push(...list.issues);
    }
    block = [];
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') flush();
    else block.push({ text: line, line: i + 1 });
  });
  flush();
  return { jobs, issues };
}

function parseBlock(block: { text: string; line: number }[], issues: IssueList): ScontrolJob | null {
  const header: string[] = [];
  const allocations: GpuAllocation[] = [];
  const details: { text: string; line: number }[] = [];
  for (const entry of block) {
    if (entry.text.trimStart().startsWith('Nodes=')) details.push(entry);
    else header.push(entry.text);
  }
  const f = splitKnownKeys(header.join('\n'), SCONTROL_KEYS);
  const id = f.get('JobId') ?? '';
  if (!/^\d+$/.test(id)) {
    issues.add('JobId', 'job block has no numeric JobId; skipped');
    return null;
  }
  const arrayJobId = f.get('ArrayJobId');
  const arrayTaskId = f.get('ArrayTaskId');
  const jobId =
    arrayJobId !== undefined && /^\d+$/.test(arrayTaskId ?? '') ? `${arrayJobId}_${arrayTaskId}` : id;
  issues.setJobId(jobId);
  for (const detail of details) {
    const d = splitKnownKeys(detail.text.trim(), SCONTROL_KEYS);
    const gres = d.get('GRES');
    if (gres === undefined || gres === '') continue;
    const parsed = parseGresDetail(gres);
    if (parsed === null) issues.add('GRES', `line ${detail.line}: cannot read GRES ${JSON.stringify(gres)}`);
    else allocations.push(...gresAllocations(d.get('Nodes') ?? '', parsed));
  }
  return { jobId, rawState: f.get('JobState') ?? '', allocations };
}

/** Puts scontrol's GPU indices on squeue's records (matched by job id); records scontrol did not list keep theirs. */
export function applyScontrolAllocations(records: JobRecord[], jobs: readonly ScontrolJob[]): void {
  const byId = new Map(jobs.map((job) => [job.jobId, job.allocations]));
  for (const record of records) {
    const allocations = byId.get(record.jobId);
    if (allocations !== undefined && allocations.length > 0) record.allocations = allocations;
  }
}
