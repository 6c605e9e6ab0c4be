import { listGpuSpans } from '../gpu-schedule.js';
import { hashInts, hashString } from '../hash.js';
import type { SimNode } from '../types.js';

export type SlurmJobState = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface SlurmNodeAllocation {
  node: string;
  gpuIndices: number[];
}

/** A Slurm job as the controller and the accounting database know it; times in epoch ms. */
export interface SimSlurmJob {
  jobId: number;
  name: string;
  user: string;
  userId: number;
  account: string;
  partition: string;
  cluster: string;
  gpuType: string;
  submitMs: number;
  startMs: number;
  /** Absent while running. */
  endMs: number | undefined;
  state: SlurmJobState;
  exitCode: number;
  allocations: SlurmNodeAllocation[];
  cpusPerGpu: number;
  memoryMibPerGpu: number;
}

export const simCluster = 'gpusim';
const users = ['alice', 'bob', 'chen', 'dana', 'emeka', 'farah', 'goran', 'hana'] as const;
const accounts = ['research', 'nlp', 'vision', 'speech'] as const;
const jobNames = ['train-llm', 'pretrain', 'finetune', 'eval', 'sweep', 'rl-rollout'] as const;
const hourMs = 3_600_000;
/** Finished jobs get ids from here on, above every id the fleet gives a running job. */
const firstFinishedJobId = 2_000_000;

function pickBy<T>(items: readonly T[], key: number): T {
  return items[key % items.length]!;
}

function gpuTypeOf(node: SimNode): string {
  return node.model.name.includes('A100') ? 'a100' : 'h100';
}

function describeJob(jobId: number, seedKey: number) {
  const key = hashInts(seedKey, jobId, 0x736c726d);
  const userIndex = key % users.length;
  return {
    name: pickBy(jobNames, key >>> 8),
    user: users[userIndex]!,
    userId: 1001 + userIndex,
    account: pickBy(accounts, userIndex),
    partition: 'gpu',
    cluster: simCluster,
    cpusPerGpu: 12,
    memoryMibPerGpu: 128_000,
  };
}

interface JobGpus {
  gpuType: string;
  allocations: SlurmNodeAllocation[];
  /** Set where a GPU's schedule hands it over: the job ends then (the first span) or starts then. */
  startMs?: number;
  endMs?: number;
}

function addJobGpu(byJob: Map<string, JobGpus>, jobId: string, node: SimNode, gpuIndex: number): JobGpus {
  const job = byJob.get(jobId) ?? { gpuType: gpuTypeOf(node), allocations: [] };
  byJob.set(jobId, job);
  const last = job.allocations.at(-1);
  if (last?.node === node.name) last.gpuIndices.push(gpuIndex);
  else job.allocations.push({ node: node.name, gpuIndices: [gpuIndex] });
  return job;
}

/**
 * Every GPU an `hpc_job` label names, grouped per job and node in fleet order: `running` for the labels the
 * GPUs start with (ending where a schedule hands the GPU over), `scheduled` for the jobs a schedule starts.
 */
function collectAllocations(nodes: readonly SimNode[]) {
  const running = new Map<string, JobGpus>();
  const scheduled = new Map<string, JobGpus>();
  for (const node of nodes) {
    if (node.scheduler !== 'slurm') continue;
    for (const gpu of node.gpus) {
      const [first, ...later] = listGpuSpans(gpu);
      if (first?.allocation?.kind === 'slurm') {
        const job = addJobGpu(running, first.allocation.jobId, node, gpu.index);
        if (later.length > 0) job.endMs = Math.min(job.endMs ?? first.toMs, first.toMs);
      }
      for (const span of later) {
        if (span.allocation?.kind !== 'slurm') continue;
        const job = addJobGpu(scheduled, span.allocation.jobId, node, gpu.index);
        job.startMs = Math.min(job.startMs ?? span.fromMs, span.fromMs);
        job.endMs = Math.max(job.endMs ?? span.toMs, span.toMs);
      }
    }
  }
  return { running, scheduled };
}

/** A job a GPU's schedule starts: submitted 90 s before, running until the next span (if any). */
function createScheduledJob(id: string, gpus: JobGpus, seedKey: number): SimSlurmJob {
  const jobId = Number(id);
  const startMs = gpus.startMs!;
  // A job still on some GPU at the end of its schedule (toMs = Infinity) is running.
  const endMs = Number.isFinite(gpus.endMs) ? gpus.endMs : undefined;
  return {
    ...describeJob(jobId, seedKey),
    jobId,
    gpuType: gpus.gpuType,
    allocations: gpus.allocations,
    submitMs: startMs - 90_000,
    startMs,
    endMs,
    state: endMs === undefined ? 'RUNNING' : 'COMPLETED',
    exitCode: 0,
  };
}

/** The state a finished job ended in: most complete, some fail, a few are cancelled. */
function pickFinishedState(key: number): { state: SlurmJobState; exitCode: number } {
  const roll = key % 10;
  if (roll < 7) return { state: 'COMPLETED', exitCode: 0 };
  if (roll < 9) return { state: 'FAILED', exitCode: 1 };
  return { state: 'CANCELLED', exitCode: 0 };
}

/**
 * The Slurm jobs behind the fleet's `hpc_job` labels, all running from before `fleetStartMs` on (until a
 * GPU's schedule hands it over, then COMPLETED), and for each one the job that held the same GPUs before it,
 * finished a minute before it started; then the jobs a schedule starts later.
 */
export function listSlurmJobs(
  nodes: readonly SimNode[],
  seedKey: number,
  fleetStartMs: number,
): SimSlurmJob[] {
  const running: SimSlurmJob[] = [];
  const finished: SimSlurmJob[] = [];
  const { running: labelled, scheduled } = collectAllocations(nodes);
  // Jobs a schedule ends come last, so adding one leaves every other predecessor's id as it was.
  const ordered = [...labelled].sort(
    ([, a], [, b]) => Number(a.endMs !== undefined) - Number(b.endMs !== undefined),
  );
  for (const [id, { gpuType, allocations, endMs: handedOverMs }] of ordered) {
    const jobId = Number(id);
    const key = hashInts(seedKey, hashString(id), 0x73746172);
    const startMs = Math.floor((fleetStartMs - hourMs - (key % (47 * hourMs))) / 1000) * 1000;
    const job = { ...describeJob(jobId, seedKey), jobId, gpuType, allocations, startMs };
    const state = handedOverMs === undefined ? 'RUNNING' : 'COMPLETED';
    running.push({ ...job, submitMs: startMs - 90_000, endMs: handedOverMs, state, exitCode: 0 });
    const earlierId = firstFinishedJobId + finished.length;
    const endMs = startMs - 60_000;
    const earlierStartMs = endMs - (1 + (key % 5)) * hourMs - (key % 3_600) * 1000;
    finished.push({
      ...describeJob(earlierId, seedKey),
      ...pickFinishedState(key >>> 4),
      jobId: earlierId,
      gpuType,
      allocations,
      submitMs: earlierStartMs - 30_000,
      startMs: earlierStartMs,
      endMs,
    });
  }
  for (const [id, gpus] of scheduled) running.push(createScheduledJob(id, gpus, seedKey));
  return [...finished, ...running].sort((a, b) => a.jobId - b.jobId);
}

/** The job as of `tMs`: not yet submitted is undefined; the state is the one it had then. */
export function viewJobAt(job: SimSlurmJob, tMs: number): SimSlurmJob | undefined {
  if (tMs < job.startMs) return undefined;
  if (job.endMs !== undefined && tMs < job.endMs)
    return { ...job, endMs: undefined, state: 'RUNNING', exitCode: 0 };
  return job;
}

export function countGpus(job: SimSlurmJob): number {
  return job.allocations.reduce((sum, a) => sum + a.gpuIndices.length, 0);
}
