import type { Fleet } from './fleet.js';
import { sampleTickMs } from './sample.js';

export interface RouteAnswer {
  status: number;
  contentType: string;
  body: string;
}

const textType = 'text/plain; charset=utf-8';
const metricsType = 'text/plain; version=0.0.4; charset=utf-8';
const jsonType = 'application/json; charset=utf-8';

/** Slurm takes `2025-06-02T08:00:00` as controller-local time; the simulated controller runs in UTC. */
export function parseSlurmTime(text: string): number {
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  return Date.parse(zoned);
}

function answerSacct(fleet: Fleet, query: URLSearchParams, nowMs: number): RouteAnswer {
  const startText = query.get('start');
  const endText = query.get('end');
  const fromMs = startText ? parseSlurmTime(startText) : nowMs - 86_400_000;
  const toMs = endText ? Math.min(parseSlurmTime(endText), nowMs) : nowMs;
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
    return { status: 400, contentType: textType, body: 'sacct: error: Invalid time specification\n' };
  }
  return { status: 200, contentType: jsonType, body: fleet.renderSacctJson(fromMs, toMs) };
}

function answerScontrol(fleet: Fleet, query: URLSearchParams, nowMs: number): RouteAnswer {
  const job = query.get('job');
  const jobId = job === null || job === '' ? undefined : Number(job);
  if (jobId !== undefined && !Number.isInteger(jobId)) {
    return { status: 200, contentType: textType, body: 'slurm_load_jobs error: Invalid job id specified\n' };
  }
  return { status: 200, contentType: textType, body: fleet.renderScontrolShowJobs(nowMs, jobId) };
}

function answerNodeExporter(fleet: Fleet, path: string, nowMs: number): RouteAnswer | undefined {
  const encoded = /^\/([^/]+)\/node-exporter\/metrics$/.exec(path)?.[1];
  if (encoded === undefined) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  const tickMs = Math.floor(nowMs / sampleTickMs) * sampleTickMs;
  const body = fleet.renderNodeExporter(name, tickMs);
  return body === undefined ? undefined : { status: 200, contentType: metricsType, body };
}

/**
 * The routes beside the dcgm-exporter ones: node_exporter InfiniBand text per node, Slurm command
 * output and the Kubernetes pod list, each rendered for the clock's `nowMs`. Undefined: not ours.
 */
export function answerFabricAndJobs(fleet: Fleet, path: string, query: URLSearchParams, nowMs: number) {
  switch (path) {
    case '/slurm/sacct.json':
      return answerSacct(fleet, query, nowMs);
    case '/slurm/squeue.json':
      return { status: 200, contentType: jsonType, body: fleet.renderSqueueJson(nowMs) };
    case '/slurm/scontrol-show-job.txt':
      return answerScontrol(fleet, query, nowMs);
    case '/kubernetes/api/v1/pods':
      return { status: 200, contentType: jsonType, body: fleet.renderPodList(nowMs) };
    default:
      return path.startsWith('/kubernetes/')
        ? answerPodOwner(fleet, path)
        : answerNodeExporter(fleet, path, nowMs);
  }
}

const ownerPlurals: Record<string, string> = {
  replicasets: 'ReplicaSet',
  jobs: 'Job',
  pytorchjobs: 'PyTorchJob',
};

/**
 * `GET /kubernetes/apis/<group>/<version>/namespaces/<ns>/<plural>/<name>`: the owner object a simulated pod
 * names (a top-level one, no owners of its own), `GET /kubernetes/api/v1/namespaces/<ns>` for the pods'
 * namespaces, or a Kubernetes 404 Status, so a client can walk owner chains.
 */
function answerPodOwner(fleet: Fleet, path: string) {
  const ns = /^\/kubernetes\/api\/v1\/namespaces\/([^/]+)$/.exec(path)?.[1];
  if (ns !== undefined && fleet.pods.some((p) => p.namespace === ns)) {
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: {} } };
    return { status: 200, contentType: jsonType, body: JSON.stringify(body) };
  }
  const match = /^\/kubernetes\/apis\/(.+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  const [, apiVersion = '', namespace = '', plural = '', name = ''] = match ?? [];
  const pod = fleet.pods.find(
    (p) =>
      p.namespace === namespace &&
      p.owner?.name === name &&
      p.owner.kind === ownerPlurals[plural] &&
      p.owner.apiVersion === apiVersion,
  );
  if (!pod?.owner) {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 };
    return {
      status: 404,
      contentType: jsonType,
      body: JSON.stringify({ ...status, message: `${plural} "${name}" not found` }),
    };
  }
  const { kind, uid } = pod.owner;
  const body = { apiVersion, kind, metadata: { name, namespace, uid, labels: pod.labels } };
  return { status: 200, contentType: jsonType, body: JSON.stringify(body) };
}
