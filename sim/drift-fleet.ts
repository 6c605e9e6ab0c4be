import {
  applySlurmIdentities,
  type DriftPod,
  driftDays,
  findFirstDriftDay,
  plantDriftScenarios,
} from './drift-scenarios.js';
import { sampleIbPorts } from './fabric/ib-ports.js';
import type { Fleet } from './fleet.js';
import { buildNode } from './fleet-layout.js';
import { buildNodeLabelBlocks, renderDcgmExporterText } from './formats/dcgm-exporter.js';
import { renderIbSysfsTree, writeSysfsFiles } from './formats/ib-sysfs.js';
import { renderNodeExporterIbText } from './formats/node-exporter-ib.js';
import { formatPod } from './formats/pod-list.js';
import type { TimeWindow } from './ground-truth.js';
import { createRandom, hashInts, toSeedKey } from './hash.js';
import { listSlurmJobs } from './jobs/slurm-jobs.js';
import { createSlurmRenderers } from './jobs/slurm-render.js';
import { computeGpuSample } from './sample.js';

export interface DriftFleetOptions {
  seed: number;
  /** Day 0 is the first UTC midnight at or after this; the fleet runs `driftDays` days from there. */
  startMs: number;
}

/** A Fleet (serve it with `startSimServer`) whose ground truth is in `groundTruth().drift`. */
export interface DriftFleet extends Fleet {
  readonly pods: readonly DriftPod[];
  /** UTC midnight of each simulated day, oldest first. */
  readonly days: readonly number[];
  /** Per day, from its first job's start to its last job's end: outside them every GPU is unallocated and idle. */
  readonly windows: readonly TimeWindow[];
  /** The pods created by `tMs` as v1 Pods (a finished one Succeeded), and the Jobs and CronJobs owning them. */
  listKubernetesObjects(tMs: number): { pods: Record<string, unknown>[]; owners: Record<string, unknown>[] };
}

const driftSalt = 0x64726674;
const podCreatedBeforeStartMs = 20_000;

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The pod as the API server shows it at `tMs`: Running (formatPod's shape), or Succeeded once it ended. */
export function formatDriftPod(pod: DriftPod, tMs: number, resourceVersion: string): Record<string, unknown> {
  const running = formatPod(pod, resourceVersion);
  if (tMs < pod.endMs) return running;
  const [container] = running.status.containerStatuses;
  const ended = formatTime(pod.endMs);
  const started = formatTime(pod.startMs);
  const condition = (type: string, status: string) => ({
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: status === 'False' ? ended : started,
    ...(type === 'PodScheduled' ? {} : { reason: 'PodCompleted' }),
  });
  const status = {
    ...running.status,
    phase: 'Succeeded',
    conditions: [
      condition('Initialized', 'True'),
      condition('Ready', 'False'),
      condition('ContainersReady', 'False'),
      condition('PodScheduled', 'True'),
    ],
    containerStatuses: [
      {
        ...container!,
        ready: false,
        started: false,
        state: {
          terminated: {
            containerID: container!.containerID,
            exitCode: 0,
            reason: 'Completed',
            startedAt: started,
            finishedAt: ended,
          },
        },
      },
    ],
  };
  return { ...running, status };
}

function formatOwners(pod: DriftPod): Record<string, unknown>[] {
  const team = pod.labels['team'];
  const labels = team ? { team } : {};
  const cronRef = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    ...pod.cronJob,
    controller: true,
    blockOwnerDeletion: true,
  };
  return [
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: pod.cronJob.name, namespace: pod.namespace, uid: pod.cronJob.uid, labels },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: pod.owner!.name,
        namespace: pod.namespace,
        uid: pod.owner!.uid,
        labels,
        ownerReferences: [cronRef],
      },
    },
  ];
}

/**
 * Two H100 nodes of 8 GPUs for `driftDays` UTC days: a Slurm node running three recurring jobs (2 GPUs each, 8
 * runs of 12 minutes from 09:00) and a Kubernetes node running three teams' daily CronJob pods. No background
 * jobs, so every GPU-minute and dollar belongs to a planted scenario.
 */
export function createDriftFleet(options: DriftFleetOptions): DriftFleet {
  const { seed, startMs } = options;
  if (!Number.isFinite(startMs)) throw new RangeError('startMs must be a finite epoch time in ms');
  const seedKey = toSeedKey(seed);
  const nodeCount = 2;
  const gpusPerNode = 8;
  const slurm = buildNode(seedKey, 0, nodeCount, gpusPerNode, {
    requireH100: true,
    requireKubernetes: false,
    requireSlurm: true,
  });
  const kubernetes = buildNode(seedKey, 1, nodeCount, gpusPerNode, {
    requireH100: true,
    requireKubernetes: true,
  });
  const nodes = [slurm, kubernetes];
  const firstDayMs = findFirstDriftDay(startMs);
  const random = createRandom(hashInts(seedKey, driftSalt));
  const planted = plantDriftScenarios({ slurm, kubernetes }, { seedKey, random, firstDayMs });
  const slurmJobs = applySlurmIdentities(listSlurmJobs(nodes, seedKey, startMs), planted.slurmIdentities);
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const pods = planted.pods;
  const baseResourceVersion = 5000 + (seedKey % 100_000);

  const visiblePods = (tMs: number) => pods.filter((pod) => pod.startMs - podCreatedBeforeStartMs <= tMs);
  // two versions per pod: created, then finished; a pod's version is the last change it has seen
  const versionOf = (pod: DriftPod, tMs: number) =>
    String(baseResourceVersion + 2 * pods.indexOf(pod) + (tMs >= pod.endMs ? 1 : 0));
  const sampleNode = (name: string, tMs: number) => {
    const node = byName.get(name);
    return node?.gpus.map((gpu) => computeGpuSample(gpu, node.model, startMs, tMs));
  };
  const portsOf = (name: string, tMs: number) => {
    const node = byName.get(name);
    return node && sampleIbPorts(node, startMs, tMs);
  };
  const truth = planted.truth;
  return {
    ...createSlurmRenderers(slurmJobs),
    seed,
    nodeCount,
    gpusPerNode,
    startMs,
    nodes,
    slurmJobs,
    pods,
    days: Array.from({ length: driftDays }, (_, day) => firstDayMs + day * 86_400_000),
    windows: planted.windows,
    getNode: (name) => byName.get(name),
    sampleNode,
    renderNode: (name, tMs) => {
      const node = byName.get(name);
      const samples = sampleNode(name, tMs);
      return node && samples && renderDcgmExporterText(buildNodeLabelBlocks(node, tMs), samples);
    },
    sampleIbPorts: portsOf,
    renderNodeExporter: (name, tMs) => {
      const ports = portsOf(name, tMs);
      return ports && renderNodeExporterIbText(ports);
    },
    renderIbSysfs: (name, tMs) => {
      const ports = portsOf(name, tMs);
      return ports && renderIbSysfsTree(byName.get(name)!.index, ports);
    },
    writeIbSysfs: async (root, name, tMs) => {
      const ports = portsOf(name, tMs);
      if (!ports) throw new RangeError(`no simulated node named ${name}`);
      return writeSysfsFiles(root, renderIbSysfsTree(byName.get(name)!.index, ports));
    },
    renderPodList: (tMs) => {
      const items = visiblePods(tMs).map((pod) => formatDriftPod(pod, tMs, versionOf(pod, tMs)));
      const finished = pods.filter((pod) => pod.endMs <= tMs).length;
      const resourceVersion = String(baseResourceVersion + visiblePods(tMs).length + finished);
      return JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion }, items });
    },
    listKubernetesObjects: (tMs) => {
      const visible = visiblePods(tMs);
      const owners = new Map<string, Record<string, unknown>>();
      for (const pod of visible) {
        for (const owner of formatOwners(pod)) {
          const meta = owner['metadata'] as { namespace: string; name: string };
          owners.set(`${owner['kind']}/${meta.namespace}/${meta.name}`, owner);
        }
      }
      return {
        pods: visible.map((pod) => formatDriftPod(pod, tMs, versionOf(pod, tMs))),
        owners: [...owners.values()],
      };
    },
    groundTruth: () =>
      structuredClone({ seed, nodeCount, gpusPerNode, startMs, scenarios: [], drift: truth }),
  };
}
