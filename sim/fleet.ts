import {
  createAnalyzerRandom,
  findAnalyzerConstraints,
  planAnalyzerScenarios,
  plantAnalyzerScenario,
} from './analyzer-scenarios.js';
import { type IbPortSample, sampleIbPorts } from './fabric/ib-ports.js';
import {
  createFabricRandom,
  findFabricConstraints,
  planFabricScenarios,
  plantFabricScenario,
} from './fabric-scenarios.js';
import { buildNode } from './fleet-layout.js';
import {
  buildNodeLabelBlocks,
  type NodeLabelBlocks,
  renderDcgmExporterText,
} from './formats/dcgm-exporter.js';
import { renderIbSysfsTree, writeSysfsFiles } from './formats/ib-sysfs.js';
import { renderNodeExporterIbText } from './formats/node-exporter-ib.js';
import { computeNvlinkErrors, renderNvlinkErrorText } from './formats/nvlink-errors.js';
import { renderPodList } from './formats/pod-list.js';
import type { GroundTruth, ScenarioTruth } from './ground-truth.js';
import { createRandom, hashInts, toSeedKey } from './hash.js';
import { planJobGaps, plantJobGap } from './job-gap-scenario.js';
import { listPods, type SimPod } from './jobs/pods.js';
import { listSlurmJobs, type SimSlurmJob } from './jobs/slurm-jobs.js';
import { createSlurmRenderers, type SlurmRenderers } from './jobs/slurm-render.js';
import { computeGpuSample } from './sample.js';
import { findNodeConstraints, planScenarios, plantScenario } from './scenarios.js';
import type { GpuSample, SimNode } from './types.js';

export interface FleetOptions {
  seed: number;
  nodeCount: number;
  gpusPerNode?: number;
  /** The run's first sample time; scenario windows and wave phases are relative to it. */
  startMs: number;
  /** Also print DCGM's four NVLink error counters; off by default so the default body stays as it was. */
  nvlinkErrorCounters?: boolean;
}

export interface Fleet extends SlurmRenderers {
  readonly seed: number;
  readonly nodeCount: number;
  readonly gpusPerNode: number;
  readonly startMs: number;
  readonly nodes: readonly SimNode[];
  getNode(name: string): SimNode | undefined;
  /** Every GPU's readings at `tMs`; undefined for an unknown node. */
  sampleNode(name: string, tMs: number): GpuSample[] | undefined;
  /** The node's dcgm-exporter `/metrics` body at `tMs`, a pure function of (seed, node, tMs). */
  renderNode(name: string, tMs: number): string | undefined;
  /** The node's HCA ports (one per GPU) at `tMs`. */
  sampleIbPorts(name: string, tMs: number): IbPortSample[] | undefined;
  /** The node's node_exporter `/metrics` body: its `node_infiniband_*` families. */
  renderNodeExporter(name: string, tMs: number): string | undefined;
  /** The node's `class/infiniband/**` sysfs files: relative path → content. */
  renderIbSysfs(name: string, tMs: number): Record<string, string> | undefined;
  /** Writes that tree under `root` (read it as `/sys`); rejects for an unknown node. */
  writeIbSysfs(root: string, name: string, tMs: number): Promise<string[]>;
  /** The Slurm jobs behind the `hpc_job` labels (running) and the ones before them (finished). */
  readonly slurmJobs: readonly SimSlurmJob[];
  /** The pods behind the Kubernetes nodes' `pod`/`namespace` labels, in start order. */
  readonly pods: readonly SimPod[];
  /** `GET /api/v1/pods` at `tMs`: a v1 PodList (JSON text) with a metadata.resourceVersion. */
  renderPodList(tMs: number): string;
  groundTruth(): GroundTruth;
}

const placementSalt = 0x706c6163;

function validateOptions(nodeCount: number, gpusPerNode: number, startMs: number): void {
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new RangeError(`nodeCount must be a positive integer`);
  if (!Number.isInteger(gpusPerNode) || gpusPerNode < 1 || gpusPerNode > 16) {
    throw new RangeError(`gpusPerNode must be an integer from 1 to 16, got ${gpusPerNode}`);
  }
  if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite epoch time in ms`);
}

/** A deterministic fleet of `nodeCount` nodes with background load and the planted scenarios. */
export function createFleet(options: FleetOptions): Fleet {
  const { seed, nodeCount, startMs } = options;
  const gpusPerNode = options.gpusPerNode ?? 8;
  validateOptions(nodeCount, gpusPerNode, startMs);
  const seedKey = toSeedKey(seed);
  const random = createRandom(hashInts(seedKey, placementSalt));
  const plans = planScenarios(random, nodeCount, gpusPerNode);
  const fabricPlans = planFabricScenarios(
    createFabricRandom(hashInts(seedKey, 1)),
    nodeCount,
    new Set(plans.map((plan) => plan.nodeIndex)),
  );
  const taken = new Set([
    ...plans.map((plan) => plan.nodeIndex),
    ...fabricPlans.flatMap((plan) => plan.nodeIndices),
  ]);
  const analyzerPlans = planAnalyzerScenarios(
    createAnalyzerRandom(seedKey, 1),
    nodeCount,
    gpusPerNode,
    taken,
  );
  const nodes = Array.from({ length: nodeCount }, (_, i) =>
    buildNode(seedKey, i, nodeCount, gpusPerNode, {
      ...findNodeConstraints(plans, i),
      ...findFabricConstraints(fabricPlans, i),
      ...findAnalyzerConstraints(analyzerPlans, i),
    }),
  );
  const scenarios: ScenarioTruth[] = plans.map((plan) =>
    plantScenario(plan, nodes[plan.nodeIndex]!, { random, startMs }),
  );
  const fabricRandom = createFabricRandom(seedKey);
  for (const plan of fabricPlans)
    scenarios.push(plantFabricScenario(plan, nodes, { random: fabricRandom, startMs }));
  const analyzerRandom = createAnalyzerRandom(seedKey, 2);
  for (const plan of analyzerPlans)
    scenarios.push(plantAnalyzerScenario(plan, nodes[plan.nodeIndex]!, { random: analyzerRandom, startMs }));
  const gapRandom = createAnalyzerRandom(seedKey, 3);
  for (const plan of planJobGaps(gapRandom, nodes, taken, analyzerPlans))
    scenarios.push(plantJobGap(plan, nodes[plan.nodeIndex]!, { random: gapRandom, startMs }));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const labelBlocks = new Map<string, NodeLabelBlocks>(
    nodes.map((node) => [node.name, buildNodeLabelBlocks(node)]),
  );
  const sampleNode = (name: string, tMs: number): GpuSample[] | undefined => {
    const node = byName.get(name);
    return node?.gpus.map((gpu) => computeGpuSample(gpu, node.model, startMs, tMs));
  };
  const sampleIbPortsOf = (name: string, tMs: number): IbPortSample[] | undefined => {
    const node = byName.get(name);
    return node && sampleIbPorts(node, startMs, tMs);
  };
  const slurmJobs = listSlurmJobs(nodes, seedKey, startMs);
  const pods = listPods(nodes, seedKey, startMs);
  const baseResourceVersion = 1000 + (seedKey % 100_000);
  return {
    ...createSlurmRenderers(slurmJobs),
    slurmJobs,
    pods,
    renderPodList: (tMs) => renderPodList(pods, tMs, baseResourceVersion),
    seed,
    nodeCount,
    gpusPerNode,
    startMs,
    nodes,
    getNode: (name) => byName.get(name),
    sampleNode,
    renderNode: (name, tMs) => {
      const node = byName.get(name);
      const blocks = node?.gpus.some((gpu) => gpu.schedule)
        ? buildNodeLabelBlocks(node, tMs)
        : labelBlocks.get(name);
      const samples = sampleNode(name, tMs);
      if (!blocks || !samples) return undefined;
      const text = renderDcgmExporterText(blocks, samples);
      if (!options.nvlinkErrorCounters) return text;
      const errors = byName.get(name)!.gpus.map((gpu) => computeNvlinkErrors(gpu, tMs));
      return text + renderNvlinkErrorText(blocks, errors);
    },
    sampleIbPorts: (name, tMs) => sampleIbPortsOf(name, tMs),
    renderNodeExporter: (name, tMs) => {
      const ports = sampleIbPortsOf(name, tMs);
      return ports && renderNodeExporterIbText(ports);
    },
    renderIbSysfs: (name, tMs) => {
      const ports = sampleIbPortsOf(name, tMs);
      return ports && renderIbSysfsTree(byName.get(name)!.index, ports);
    },
    writeIbSysfs: async (root, name, tMs) => {
      const ports = sampleIbPortsOf(name, tMs);
      if (!ports) throw new RangeError(`no simulated node named ${name}`);
      return writeSysfsFiles(root, renderIbSysfsTree(byName.get(name)!.index, ports));
    },
    groundTruth: () => structuredClone({ seed, nodeCount, gpusPerNode, startMs, scenarios }),
  };
}
