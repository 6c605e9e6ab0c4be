import type { GpuAllocation, JobRecord, OwnerRef, RecordIssue } from '../jobs/types.js';
import { computeJobId, pickJobLink } from './job-id.js';
import type { OwnerChain } from './owner-chain.js';
import type { PodDevice } from './parse-pod-resources.js';
import type { KubePod } from './pod.js';
import { computePodGpus, type PodGpuOptions, type PodGpus } from './pod-gpus.js';
import { combinePodStates, computePodState, type PodState } from './pod-state.js';

export interface ObservedPod {
  pod: KubePod;
  chain: OwnerChain;
  /** When the watcher saw the pod deleted; null while it exists. */
  deletedAt: Date | null;
}

export interface MapPodsOptions {
  cluster: string;
  teamLabel: string;
  projectLabel: string;
  /** Label or annotation keys naming the submitting user, first match wins. */
  userKeys?: readonly string[];
  namespaceLabels?: ReadonlyMap<string, Record<string, string>>;
  /** Kubelet pod-resources devices, when a site exposes them: they give GPU UUIDs. */
  devices?: readonly PodDevice[];
  gpu?: PodGpuOptions;
}

export const DEFAULT_USER_KEYS: readonly string[] = ['gpuscope.io/user', 'user'];
const SOURCE = 'kubernetes pods';

interface Member {
  observed: ObservedPod;
  gpus: PodGpus;
  state: PodState;
}

function podAllocations(member: Member, devices: readonly PodDevice[]): GpuAllocation[] {
  const { pod } = member.observed;
  const node = pod.nodeName;
  if (node === null) return [];
  const held = devices.filter((d) => d.namespace === pod.namespace && d.pod === pod.name);
  const profiles = [...member.gpus.migProfiles];
  const allocations: GpuAllocation[] = held.map((device) => ({
    node,
    gpuIndex: null,
    gpuUuid: device.gpuUuid ?? device.deviceId,
    migProfile: device.mig ? (profiles.shift() ?? null) : null,
  }));
  // Without a device list (most sites) each GPU is known only by its count and profile.
  for (let i = allocations.length; i < member.gpus.count; i++) {
    allocations.push({ node, gpuIndex: null, gpuUuid: null, migProfile: profiles.shift() ?? null });
  }
  return allocations;
}

function firstValue(
  keys: readonly string[],
  ...maps: (Record<string, string> | null | undefined)[]
): string | null {
  for (const map of maps) {
    if (map === null || map === undefined) continue;
    for (const key of keys) {
      const value = map[key];
      if (value !== undefined && value !== '') return value;
    }
  }
  return null;
}

function minDate(dates: (Date | null)[]): Date | null {
  const known = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return known.length === 0 ? null : new Date(Math.min(...known));
}

function maxDate(dates: (Date | null)[]): Date | null {
  const known = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return known.length === 0 ? null : new Date(Math.max(...known));
}

/** Last container exit, else the deletion the watcher saw: a pod deleted mid-run has no finishedAt. */
function podEndedAt(observed: ObservedPod): Date | null {
  const finished = maxDate(observed.pod.containerStatuses.map((c) => c.finishedAt));
  return finished ?? observed.deletedAt ?? observed.pod.deletionRequestedAt;
}

function summariseRawState(members: readonly Member[]): string {
  if (members.length === 1) return members[0]?.state.raw ?? 'Unknown';
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.state.raw, (counts.get(m.state.raw) ?? 0) + 1);
  return [...counts].map(([raw, n]) => `${raw}:${n}`).join(',');
}

function ownersOf(chain: OwnerChain): OwnerRef[] {
  return chain.links.map((link) => ({
    kind: link.ref.kind,
    name: link.ref.name,
    apiVersion: link.ref.apiVersion || null,
  }));
}

function gpuTypeOf(members: readonly Member[]): string | null {
  const types = new Set<string>();
  for (const m of members) {
    for (const profile of m.gpus.migProfiles) types.add(`mig-${profile}`);
    if (m.gpus.count > m.gpus.migProfiles.length && m.observed.pod.gpuProduct !== null) {
      types.add(m.observed.pod.gpuProduct);
    }
  }
  return types.size === 1 ? ([...types][0] ?? null) : null;
}

function buildJob(jobId: string, members: Member[], options: MapPodsOptions): JobRecord {
  const first = members[0]!.observed;
  const { pod, chain } = first;
  const jobLink = pickJobLink(chain.links);
  // Nearest owner first: a Job's own label beats the CronJob's, which beats the namespace's.
  const ownerLabels = chain.links.map((link) => link.labels);
  const nsLabels = options.namespaceLabels?.get(pod.namespace);
  const state = combinePodStates(members.map((m) => m.state.state));
  const allDone = members.every((m) => m.state.terminal);
  // A running job asks for and holds what its live pods do; a finished one is charged what its pods held.
  const holders = allDone ? members : members.filter((m) => !m.state.terminal);
  const allocations = holders.flatMap((m) => podAllocations(m, options.devices ?? []));
  const userKeys = options.userKeys ?? DEFAULT_USER_KEYS;
  return {
    source: 'kubernetes',
    cluster: options.cluster,
    jobId,
    name: jobLink?.ref.name ?? pod.name,
    user: firstValue(userKeys, pod.labels, pod.annotations, ...ownerLabels),
    account: null,
    namespace: pod.namespace,
    partition: null,
    team: firstValue([options.teamLabel], pod.labels, ...ownerLabels, nsLabels),
    project: firstValue([options.projectLabel], pod.labels, ...ownerLabels, nsLabels),
    state,
    rawState: summariseRawState(members),
    submittedAt: minDate(members.map((m) => m.observed.pod.createdAt)),
    startedAt: minDate(members.map((m) => m.observed.pod.startedAt)),
    endedAt: allDone ? maxDate(members.map((m) => podEndedAt(m.observed))) : null,
    gpusRequested: holders.reduce((sum, m) => sum + m.gpus.count, 0),
    gpusAllocated: allocations.length,
    gpuType: gpuTypeOf(members),
    nodes: [...new Set(allocations.map((a) => a.node))].sort(),
    allocations,
    schedulerGpuUsage: null,
    owners: ownersOf(chain),
    labels: { ...pod.labels },
    // attribution matches the exporter's pod label against these
    pods: [...new Set(members.map((m) => `${m.observed.pod.namespace}/${m.observed.pod.name}`))].sort(),
  };
}

function issue(jobId: string | null, field: string | null, message: string): RecordIssue {
  return { source: SOURCE, line: null, field, jobId, message };
}

/**
 * Pure: GPU pods and their owner chains → one JobRecord per job (see `computeJobId`). Pods without GPUs are
 * dropped; owner problems and bad quantities become issues while the record is still produced.
 */
export function mapPodsToJobs(
  pods: readonly ObservedPod[],
  options: MapPodsOptions,
): { jobs: JobRecord[]; issues: RecordIssue[] } {
  const issues: RecordIssue[] = [];
  const groups = new Map<string, Member[]>();
  const sorted = [...pods].sort(
    (a, b) =>
      (a.pod.createdAt?.getTime() ?? 0) - (b.pod.createdAt?.getTime() ?? 0) ||
      a.pod.name.localeCompare(b.pod.name),
  );
  for (const observed of sorted) {
    const gpus = computePodGpus(observed.pod, options.gpu);
    const jobId = computeJobId(observed.pod.namespace, observed.pod.name, observed.chain.links);
    const podField = `pod ${observed.pod.namespace}/${observed.pod.name}`;
    for (const message of gpus.issues) issues.push(issue(jobId, podField, message));
    if (gpus.count === 0) continue;
    for (const message of observed.chain.issues) issues.push(issue(jobId, podField, message));
    const member = { observed, gpus, state: computePodState(observed.pod, observed.deletedAt) };
    const group = groups.get(jobId);
    if (group === undefined) groups.set(jobId, [member]);
    else group.push(member);
  }
  const jobs = [...groups].map(([jobId, members]) => buildJob(jobId, members, options));
  return { jobs, issues };
}
