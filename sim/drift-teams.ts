import { createPodSuffix } from './allocations.js';
import { dayMs, driftDays, minuteMs, morningMs, scheduleRun } from './drift-schedule.js';
import type { DriftScenarioTruth, TeamDayTruth, TimeWindow } from './ground-truth.js';
import type { Random } from './hash.js';
import { createUid, type SimPod } from './jobs/pods.js';
import type { SimNode } from './types.js';
import { createBackgroundWorkload } from './workloads.js';

/** Team jobs start two minutes after the recurring runs. */
const teamStartMinute = 2;

interface TeamPlan {
  kind: 'spend-jump' | 'spend-growth' | 'spend-fall';
  namespace: string;
  team: string;
  cronJob: string;
  gpuIndices: readonly number[];
  /** Minutes the day's job runs on each of its GPUs; day `driftDays - 1` is the judged one. */
  minutes(day: number, jitter: number): number;
}

/**
 * A team flat at ~20 minutes on 4 GPUs a day that runs 72 on the last; one growing 6 minutes a day, its last day
 * its biggest but on its line; one flat at ~30 minutes that all but stops on the last day (a fall is no drift).
 */
const teamPlans: readonly TeamPlan[] = [
  {
    kind: 'spend-jump',
    namespace: 'vision',
    team: 'perception',
    cronJob: 'detector-retrain',
    gpuIndices: [0, 1, 2, 3],
    minutes: (day, jitter) => (day < driftDays - 1 ? 20 + jitter : 72),
  },
  {
    kind: 'spend-growth',
    namespace: 'nlp',
    team: 'language',
    cronJob: 'corpus-embed',
    gpuIndices: [4, 5],
    minutes: (day, jitter) => 16 + 6 * day + jitter,
  },
  {
    kind: 'spend-fall',
    namespace: 'recsys',
    team: 'ads',
    cronJob: 'ranker-train',
    gpuIndices: [6, 7],
    minutes: (day, jitter) => (day < driftDays - 1 ? 30 + jitter : 6),
  },
];

/** A pod of a CronJob's Job, running from `startMs` to `endMs` (then Succeeded). */
export interface DriftPod extends SimPod {
  endMs: number;
  cronJob: { name: string; uid: string };
}

/** The day's pod of the team's CronJob: Job `<cronjob>-<scheduled minute>` as the CronJob controller names it. */
function createTeamPod(
  plan: TeamPlan,
  node: SimNode,
  ctx: { seedKey: number; random: Random },
  window: TimeWindow,
): DriftPod {
  const cronUid = createUid(ctx.seedKey, `${plan.namespace}/cronjob/${plan.cronJob}`);
  const job = `${plan.cronJob}-${Math.floor(window.fromMs / minuteMs)}`;
  const jobUid = createUid(ctx.seedKey, `${plan.namespace}/job/${job}`);
  const name = `${job}-${createPodSuffix(ctx.random)}`;
  return {
    namespace: plan.namespace,
    name,
    uid: createUid(ctx.seedKey, `${plan.namespace}/pod/${name}`),
    nodeName: node.name,
    nodeIndex: node.index,
    container: 'trainer',
    resources: { 'nvidia.com/gpu': plan.gpuIndices.length },
    owner: { apiVersion: 'batch/v1', kind: 'Job', name: job, uid: jobUid },
    labels: {
      'batch.kubernetes.io/controller-uid': jobUid,
      'batch.kubernetes.io/job-name': job,
      'controller-uid': jobUid,
      'job-name': job,
      team: plan.team,
    },
    startMs: window.fromMs,
    endMs: window.toMs,
    cronJob: { name: plan.cronJob, uid: cronUid },
  };
}

function plantTeam(
  plan: TeamPlan,
  node: SimNode,
  ctx: { seedKey: number; random: Random; firstDayMs: number },
  pods: DriftPod[],
): DriftScenarioTruth {
  const gpus = plan.gpuIndices.map((i) => node.gpus[i]!);
  const days: TeamDayTruth[] = [];
  for (let day = 0; day < driftDays; day++) {
    const dayStart = ctx.firstDayMs + day * dayMs;
    const minutes = plan.minutes(day, ctx.random.int(-1, 1));
    const fromMs = dayStart + morningMs + teamStartMinute * minuteMs;
    const window = { fromMs, toMs: fromMs + minutes * minuteMs };
    const pod = createTeamPod(plan, node, ctx, window);
    const workload = createBackgroundWorkload(ctx.random, node.model, gpus.length);
    const allocation = {
      kind: 'pod' as const,
      pod: { namespace: pod.namespace, pod: pod.name, container: pod.container },
    };
    scheduleRun(gpus, { allocation, workload }, window);
    pods.push(pod);
    days.push({
      dayMs: dayStart,
      job: pod.owner!.name,
      pod: pod.name,
      ...window,
      gpuMinutes: minutes * gpus.length,
    });
  }
  const jumps = plan.kind === 'spend-jump';
  return {
    id: `${plan.kind}-1`,
    kind: plan.kind,
    node: node.name,
    gpuUuids: gpus.map((g) => g.uuid),
    expect: {
      finding: jumps ? 'drift_spend' : null,
      subject: { type: 'team', id: plan.team },
      namespace: plan.namespace,
      days,
    },
  };
}

/** Plants every team's daily CronJob pods on the node's GPUs: their truth, and the pods in start order. */
export function plantTeams(
  node: SimNode,
  ctx: { seedKey: number; random: Random; firstDayMs: number },
): { truth: DriftScenarioTruth[]; pods: DriftPod[] } {
  const pods: DriftPod[] = [];
  const truth = teamPlans.map((plan) => plantTeam(plan, node, ctx, pods));
  pods.sort((a, b) => a.startMs - b.startMs || (a.name < b.name ? -1 : 1));
  return { truth, pods };
}
