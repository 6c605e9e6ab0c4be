import { countGpus, type SimSlurmJob } from '../jobs/slurm-jobs.js';
import { formatHostlist, formatIndexRanges } from './hostlist.js';
import { formatTresAllocStr } from './squeue-json.js';

/** `2026-11-22T04:32:40`: controller-local time; the simulated controller runs in UTC. */
function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

/** `HH:MM:SS`, or `D-HH:MM:SS` from one day on. */
function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const clock = [Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return days > 0 ? `${days}-${clock}` : clock;
}

function formatDetailLines(job: SimSlurmJob): string[] {
  return job.allocations.map((a) => {
    const cpus = a.gpuIndices.length * job.cpusPerGpu;
    const gres = `gpu:${job.gpuType}:${a.gpuIndices.length}(IDX:${formatIndexRanges(a.gpuIndices)})`;
    return `     Nodes=${a.node} CPU_IDs=0-${cpus - 1} Mem=${a.gpuIndices.length * job.memoryMibPerGpu} GRES=${gres}`;
  });
}

/** One job as `scontrol show job -d` prints it, with a `Nodes=… GRES=gpu:<type>:N(IDX:…)` line per node. */
export function formatScontrolJob(job: SimSlurmJob, nowMs: number): string {
  const nodes = formatHostlist(job.allocations.map((a) => a.node));
  const gpus = countGpus(job);
  const perNode = job.allocations[0]!.gpuIndices.length;
  const running = job.state === 'RUNNING';
  const lines = [
    `JobId=${job.jobId} JobName=${job.name}`,
    `   UserId=${job.user}(${job.userId}) GroupId=${job.user}(${job.userId}) MCS_label=N/A`,
    `   Priority=${4294901759 - (job.jobId % 1000)} Nice=0 Account=${job.account} QOS=normal`,
    `   JobState=${job.state} Reason=None Dependency=(null)`,
    `   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=${job.exitCode}:0`,
    `   DerivedExitCode=${job.exitCode}:0`,
    `   RunTime=${formatDuration((job.endMs ?? nowMs) - job.startMs)} TimeLimit=UNLIMITED TimeMin=N/A`,
    `   SubmitTime=${formatTime(job.submitMs)} EligibleTime=${formatTime(job.submitMs)}`,
    `   AccrueTime=${formatTime(job.submitMs)}`,
    `   StartTime=${formatTime(job.startMs)} EndTime=${job.endMs === undefined ? 'Unknown' : formatTime(job.endMs)} Deadline=N/A`,
    `   SuspendTime=None SecsPreSuspend=0 LastSchedEval=${formatTime(job.startMs)} Scheduler=Main`,
    `   Partition=${job.partition} AllocNode:Sid=login-01:${1000 + (job.jobId % 9000)}`,
    '   ReqNodeList=(null) ExcNodeList=(null)',
    `   NodeList=${nodes}`,
    `   BatchHost=${job.allocations[0]!.node}`,
    `   NumNodes=${job.allocations.length} NumCPUs=${gpus * job.cpusPerGpu} NumTasks=${job.allocations.length} CPUs/Task=1 ReqB:S:C:T=0:0:*:*`,
    `   TRES=${formatTresAllocStr(job)}`,
    '   Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=*',
    `   JOB_GRES=gpu:${job.gpuType}:${gpus}`,
    ...(running ? formatDetailLines(job) : []),
    `   MinCPUsNode=${perNode * job.cpusPerGpu} MinMemoryNode=0 MinTmpDiskNode=0`,
    '   Features=(null) DelayBoot=00:00:00',
    '   OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null)',
    `   Command=/home/${job.user}/${job.name}.sbatch`,
    `   WorkDir=/home/${job.user}`,
    `   StdErr=/home/${job.user}/slurm-${job.jobId}.out`,
    '   StdIn=/dev/null',
    `   StdOut=/home/${job.user}/slurm-${job.jobId}.out`,
    '   Power=',
    `   TresPerNode=gres:gpu:${job.gpuType}:${perNode}`,
    '   ',
  ];
  return `${lines.join('\n')}\n\n`;
}

/** `scontrol show job -d` for the given jobs; Slurm answers `No jobs in the system` for none. */
export function renderScontrolShowJobs(jobs: readonly SimSlurmJob[], nowMs: number): string {
  if (jobs.length === 0) return 'No jobs in the system\n';
  return jobs.map((job) => formatScontrolJob(job, nowMs)).join('');
}
