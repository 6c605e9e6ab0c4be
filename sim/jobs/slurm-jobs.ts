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

/** Every GPU an `hpc_job` label names, grouped per job and node in fleet order. */
function collectRunningAllocations(nodes: readonly SimNode[]) {
  const byJob = new Map<string, { gpuType: string; allocations: SlurmNodeAllocation[] }>();
  for (const node of nodes) {
    if (node.scheduler !== 'slurm') continue;
    for (const gpu of node.gpus) {
      if (gpu.allocation?.kind !== 'slurm') continue;
      const job = byJob.get(gpu.allocation.jobId) ?? { gpuType: gpuTypeOf(node), allocations: [] };
      byJob.set(gpu.allocation.jobId, job);
      const last = job.allocations.at(-1);
      if (last?.node === node.name) last.gpuIndices.push(gpu.index);
      else job.allocations.push({ node: node.name, gpuIndices: [gpu.index] });
    }
  }
  return byJob;
}

/** The state a finished job ended in: most complete, some fail, a few are cancelled. */
function pickFinishedState(key: number): { state: SlurmJobState; exitCode: number } {
  const roll = key % 10;
  if (roll < 7) return { state: 'COMPLETED', exitCode: 0 };
  if (roll < 9) return { state: 'FAILED', exitCode: 1 };
  return { state: 'CANCELLED', exitCode: 0 };
}

/**
 * The Slurm jobs behind the fleet's `hpc_job` labels, all running from before `fleetStartMs` on,
 * and for each one the job that held the same GPUs before it, finished a minute before it started.
 */
export function listSlurmJobs(
  nodes: readonly SimNode[],
  seedKey: number,
  fleetStartMs: number,
): SimSlurmJob[] {
  const running: SimSlurmJob[] = [];
  const finished: SimSlurmJob[] = [];
  for (const [id, { gpuType, allocations }] of collectRunningAllocations(nodes)) {
    const jobId = Number(id);
    const key = hashInts(seedKey, hashString(id), 0x73746172);
    const startMs = Math.floor((fleetStartMs - hourMs - (key % (47 * hourMs))) / 1000) * 1000;
    const job = { ...describeJob(jobId, seedKey), jobId, gpuType, allocations, startMs };
    running.push({ ...job, submitMs: startMs - 90_000, endMs: undefined, state: 'RUNNING', exitCode: 0 });
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
