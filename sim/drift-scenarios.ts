import { dayMs, driftDays, minuteMs, morningMs, scheduleRun } from './drift-schedule.js';
import { type DriftPod, plantTeams } from './drift-teams.js';
import type { DriftScenarioTruth, RecurringRunTruth, TimeWindow } from './ground-truth.js';
import type { Random } from './hash.js';
import type { SimSlurmJob } from './jobs/slurm-jobs.js';
import type { SimNode, Workload } from './types.js';
import { createWave } from './waves.js';
import { createBackgroundWorkload, createIdleWorkload } from './workloads.js';

export { driftDays, findFirstDriftDay } from './drift-schedule.js';
export type { DriftPod } from './drift-teams.js';

const runMinutes = 12;
/** Minutes after 09:00 of a day's first and second run of a recurring job. */
const runSlots = [0, 15] as const;
/** 8 runs in all: a baseline of 7 before the newest, more than the detector's 5. */
const runsPerDay = [2, 2, 1, 1, 1, 1] as const;
const firstJobId = 1_600_000;

/** What sacct says about the user of a series; `account` follows the fleet's user → account pairing. */
interface SeriesIdentity {
  name: string;
  user: string;
  userId: number;
  account: string;
}

interface SeriesPlan extends SeriesIdentity {
  kind: 'job-drift-latest' | 'job-drift-gradual' | 'job-steady-noisy';
  gpuIndices: readonly number[];
  /** Activity level of each run, oldest first (before a small seeded jitter). */
  levels: readonly number[];
  test: 'latest run' | 'last 3 runs' | null;
}

/**
 * A steady series whose newest run drops by 40 %; one that slides by a quarter over its last three runs, each
 * alone within the spread the earlier ones had; and a noisy one whose newest run is its lowest (~25 % under the
 * mean, so a drop-share rule alone would fire) yet well inside the spread of the runs before (p ≈ 0.09).
 */
const seriesPlans: readonly SeriesPlan[] = [
  {
    kind: 'job-drift-latest',
    name: 'nightly-eval',
    user: 'chen',
    userId: 1003,
    account: 'vision',
    gpuIndices: [0, 1],
    levels: [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.48],
    test: 'latest run',
  },
  {
    kind: 'job-drift-gradual',
    name: 'feature-extract',
    user: 'dana',
    userId: 1004,
    account: 'speech',
    gpuIndices: [2, 3],
    levels: [0.72, 0.72, 0.72, 0.72, 0.72, 0.54, 0.52, 0.53],
    test: 'last 3 runs',
  },
  {
    kind: 'job-steady-noisy',
    name: 'hparam-sweep',
    user: 'farah',
    userId: 1006,
    account: 'nlp',
    gpuIndices: [4, 5],
    levels: [0.62, 0.48, 0.71, 0.55, 0.68, 0.52, 0.66, 0.46],
    test: null,
  },
];

export interface DriftPlanted {
  truth: DriftScenarioTruth[];
  /** Name, user and account of each recurring run's Slurm id (the job list derives the rest from schedules). */
  slurmIdentities: Map<number, SeriesIdentity>;
  pods: DriftPod[];
  /** Per day, from the first job's start to the last one's end. */
  windows: TimeWindow[];
}

/** A recurring run's load: the ordinary job's figures at a fixed activity level with a small swing. */
function createRunWorkload(random: Random, node: SimNode, gpus: number, level: number): Workload {
  const base = createBackgroundWorkload(random, node.model, gpus);
  return { ...base, activity: createWave(random, level, 0.02, [600, 3600]) };
}

function listRunStarts(firstDayMs: number): number[] {
  return runsPerDay.flatMap((count, day) =>
    runSlots.slice(0, count).map((slot) => firstDayMs + day * dayMs + morningMs + slot * minuteMs),
  );
}

function plantSeries(
  plan: SeriesPlan,
  index: number,
  node: SimNode,
  random: Random,
  firstDayMs: number,
  identities: Map<number, SeriesIdentity>,
): DriftScenarioTruth {
  const gpus = plan.gpuIndices.map((i) => node.gpus[i]!);
  const runs: RecurringRunTruth[] = listRunStarts(firstDayMs).map((fromMs, run) => {
    const jobId = firstJobId + run * 10 + index;
    const activityLevel = Math.round((plan.levels[run]! + random.between(-0.01, 0.01)) * 1000) / 1000;
    const toMs = fromMs + runMinutes * minuteMs;
    const workload = createRunWorkload(random, node, gpus.length, activityLevel);
    scheduleRun(gpus, { allocation: { kind: 'slurm', jobId: String(jobId) }, workload }, { fromMs, toMs });
    identities.set(jobId, plan);
    return { jobId: String(jobId), fromMs, toMs, activityLevel };
  });
  const latest = runs.at(-1)!.jobId;
  const { name, user } = plan;
  return {
    id: `${plan.kind}-1`,
    kind: plan.kind,
    node: node.name,
    jobId: latest,
    gpuUuids: gpus.map((g) => g.uuid),
    expect: {
      finding: plan.test === null ? null : 'drift_job_efficiency',
      subject: { type: 'job', id: latest },
      test: plan.test,
      name,
      user,
      gpusAllocated: gpus.length,
      runs,
    },
  };
}

/** Each day's span from its first start to its last end, over every GPU's schedule. */
function findWindows(nodes: readonly SimNode[], firstDayMs: number): TimeWindow[] {
  return Array.from({ length: driftDays }, (_, day) => {
    const from = firstDayMs + day * dayMs;
    const phases = nodes
      .flatMap((n) => n.gpus.flatMap((g) => g.schedule ?? []))
      .filter((p) => p.fromMs >= from && p.fromMs < from + dayMs);
    const times = phases.map((p) => p.fromMs);
    return { fromMs: Math.min(...times), toMs: Math.max(...times) };
  });
}

/**
 * Plants the recurring Slurm series on `slurm` (8 GPUs, 2 per series) and the team CronJobs on `kubernetes`
 * (8 GPUs), every GPU unallocated and flat idle outside its runs. Returns the truth, the Slurm identities and pods.
 */
export function plantDriftScenarios(
  nodes: { slurm: SimNode; kubernetes: SimNode },
  ctx: { seedKey: number; random: Random; firstDayMs: number },
): DriftPlanted {
  for (const gpu of [...nodes.slurm.gpus, ...nodes.kubernetes.gpus]) {
    gpu.allocation = undefined;
    gpu.workload = createIdleWorkload();
    gpu.schedule = [];
  }
  const identities = new Map<number, SeriesIdentity>();
  const truth = seriesPlans.map((plan, i) =>
    plantSeries(plan, i, nodes.slurm, ctx.random, ctx.firstDayMs, identities),
  );
  const teams = plantTeams(nodes.kubernetes, ctx);
  truth.push(...teams.truth);
  // a GPU's phases must be in time order: the series' runs were added run by run, the pods day by day
  for (const gpu of [...nodes.slurm.gpus, ...nodes.kubernetes.gpus])
    gpu.schedule?.sort((a, b) => a.fromMs - b.fromMs);
  return {
    truth,
    slurmIdentities: identities,
    pods: teams.pods,
    windows: findWindows([nodes.slurm, nodes.kubernetes], ctx.firstDayMs),
  };
}

/** The fleet's Slurm jobs with each recurring run's name, user and account set. */
export function applySlurmIdentities(
  jobs: readonly SimSlurmJob[],
  identities: ReadonlyMap<number, SeriesIdentity>,
): SimSlurmJob[] {
  return jobs.map((job) => {
    const identity = identities.get(job.jobId);
    if (!identity) return job;
    const { name, user, userId, account } = identity;
    return { ...job, name, user, userId, account };
  });
}
