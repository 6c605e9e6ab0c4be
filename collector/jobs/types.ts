/**
 * The one shape every job source (Slurm, Kubernetes) normalises to, so attribution and the API never see a
 * scheduler's own format. Times are absolute instants; GPU counts are whole physical GPUs or MIG slices.
 */

export type JobSource = 'slurm' | 'kubernetes';

/** Scheduler states folded into one vocabulary; `rawState` on the record keeps the scheduler's word. */
export const JOB_STATES = [
  'pending',
  'running',
  'suspended',
  'completing',
  'completed',
  'failed',
  'cancelled',
  'timeout',
  'preempted',
  'node_fail',
  'out_of_memory',
  'boot_fail',
  'deadline',
  'unknown',
] as const;
export type JobState = (typeof JOB_STATES)[number];

const ACTIVE_STATES: ReadonlySet<JobState> = new Set([
  'pending',
  'running',
  'suspended',
  'completing',
  'unknown',
]);

/** States after which a job holds no GPU any more. */
export function isTerminalJobState(state: JobState): boolean {
  return !ACTIVE_STATES.has(state);
}

/** One GPU a job held on one node. Index or UUID may be unknown (sacct gives counts, not indices). */
export interface GpuAllocation {
  node: string;
  /** nvidia-smi / CUDA index on the node, as Slurm's `IDX:` or the device plugin reports it. */
  gpuIndex: number | null;
  gpuUuid: string | null;
  /** MIG profile such as `1g.10gb` when the job holds a MIG slice rather than a whole GPU. */
  migProfile: string | null;
}

/** Per-job GPU usage that some Slurm sites record as TRES usage (`gres/gpuutil`, `gres/gpumem`). */
export interface SchedulerGpuUsage {
  /** Sum over the job's GPUs of utilisation percent, as Slurm's gpuutil reports it. */
  utilizationPercent: number | null;
  memoryBytes: number | null;
}

/** One link of a Kubernetes ownerReferences chain, nearest owner first. */
export interface OwnerRef {
  kind: string;
  name: string;
  apiVersion: string | null;
}

export interface JobRecord {
  source: JobSource;
  cluster: string;
  /** Slurm job id (`1234`, array task `1234_7`, het job `1234+1`) or Kubernetes `namespace/pod`. */
  jobId: string;
  name: string;
  user: string | null;
  /** Slurm account. */
  account: string | null;
  /** Kubernetes namespace. */
  namespace: string | null;
  partition: string | null;
  team: string | null;
  project: string | null;
  state: JobState;
  /** The scheduler's own state word(s), e.g. `CANCELLED by 1000`, `OutOfMemory`, `Succeeded`. */
  rawState: string;
  submittedAt: Date | null;
  startedAt: Date | null;
  endedAt: Date | null;
  gpusRequested: number | null;
  gpusAllocated: number;
  /** GPU type from a typed GRES (`gpu:a100`) or a node/MIG resource name; null when untyped. */
  gpuType: string | null;
  nodes: string[];
  allocations: GpuAllocation[];
  schedulerGpuUsage: SchedulerGpuUsage | null;
  /** Kubernetes owner chain (Pod → ReplicaSet → Deployment …); empty for Slurm. */
  owners: OwnerRef[];
  labels: Record<string, string>;
  /**
   * Kubernetes only: `namespace/pod` of every pod of the job, so a GPU-minute whose exporter labels name a
   * pod finds its job. Absent for Slurm (the exporter's `hpc_job` label is the job id itself).
   */
  pods?: string[];
}

/** A problem with one input record or line: never thrown, always reported with where it was. */
export interface RecordIssue {
  /** File name, command (`sacct --json`) or API path the record came from. */
  source: string;
  line: number | null;
  field: string | null;
  jobId: string | null;
  message: string;
}

export function formatRecordIssue(issue: RecordIssue): string {
  const where = [
    issue.source,
    issue.line === null ? null : `line ${issue.line}`,
    issue.jobId === null ? null : `job ${issue.jobId}`,
    issue.field === null ? null : `field ${issue.field}`,
  ].filter((part) => part !== null);
  return `${where.join(', ')}: ${issue.message}`;
}
