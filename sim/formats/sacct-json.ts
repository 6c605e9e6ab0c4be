import { countGpus, type SimSlurmJob } from '../jobs/slurm-jobs.js';
import { formatHostlist } from './hostlist.js';

/** The `meta` block a Slurm 22.05.8 `sacct --json` prints (openapi/dbv0.0.38). */
export function createSlurmMeta(pluginType: string, pluginName: string) {
  return {
    plugin: { type: pluginType, name: pluginName },
    Slurm: { version: { major: 22, micro: 8, minor: 5 }, release: '22.05.8' },
  };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

interface Tres {
  type: string;
  name: string | null;
  id: number;
  count: number | null;
}

/** TRES as slurmdbd numbers them: gres ids from 1001 in the order the site's GresTypes define them. */
function listTres(job: SimSlurmJob, requested: boolean): Tres[] {
  const gpus = countGpus(job);
  const tres: Tres[] = [{ type: 'cpu', name: null, id: 1, count: gpus * job.cpusPerGpu }];
  if (requested) tres.push({ type: 'mem', name: null, id: 2, count: gpus * job.memoryMibPerGpu });
  else tres.push({ type: 'energy', name: null, id: 3, count: null });
  tres.push(
    { type: 'node', name: null, id: 4, count: job.allocations.length },
    { type: 'billing', name: null, id: 5, count: gpus * job.cpusPerGpu },
    { type: 'gres', name: 'gpu', id: 1001, count: gpus },
    { type: 'gres', name: `gpu:${job.gpuType}`, id: 1002, count: gpus },
  );
  return tres;
}

function formatExitCode(job: SimSlurmJob) {
  return { status: job.exitCode === 0 ? 'SUCCESS' : 'FAILED', return_code: job.exitCode };
}

function formatTimes(job: SimSlurmJob, nowMs: number) {
  const endMs = job.endMs ?? nowMs;
  const zero = { seconds: 0, microseconds: 0 };
  return {
    elapsed: seconds(endMs) - seconds(job.startMs),
    eligible: seconds(job.submitMs),
    end: job.endMs === undefined ? 0 : seconds(job.endMs),
    start: seconds(job.startMs),
    submission: seconds(job.submitMs),
    suspended: 0,
    system: zero,
    limit: null,
    total: zero,
    user: zero,
  };
}

/** One job of `sacct --json`, keys in the order Slurm 22.05 prints them. */
export function formatSacctJob(job: SimSlurmJob, nowMs: number) {
  return {
    account: job.account,
    comment: { administrator: null, job: null, system: null },
    allocation_nodes: job.allocations.length,
    array: { job_id: 0, limits: { max: { running: { tasks: 0 } } }, task: null, task_id: null },
    association: { account: job.account, cluster: job.cluster, partition: null, user: job.user },
    cluster: job.cluster,
    constraints: '',
    container: null,
    derived_exit_code: formatExitCode(job),
    time: formatTimes(job, nowMs),
    exit_code: formatExitCode(job),
    flags: ['CLEAR_SCHEDULING', 'STARTED_ON_SCHEDULE'],
    group: job.user,
    het: { job_id: 0, job_offset: null },
    job_id: job.jobId,
    name: job.name,
    mcs: { label: '' },
    nodes: formatHostlist(job.allocations.map((a) => a.node)),
    partition: job.partition,
    priority: 4294901759 - (job.jobId % 1000),
    qos: 'normal',
    required: { CPUs: countGpus(job) * job.cpusPerGpu, memory: 0 },
    kill_request_user: job.state === 'CANCELLED' ? job.user : null,
    reservation: { id: 0, name: 0 },
    state: { current: job.state, reason: 'None' },
    steps: [],
    tres: { allocated: listTres(job, false), requested: listTres(job, true) },
    user: job.user,
    wckey: { wckey: '', flags: [] },
    working_directory: `/home/${job.user}`,
  };
}

/** Slurm's JSON writer escapes every `/` and ends without a newline; slashes occur only inside strings. */
export function stringifyLikeSlurm(body: unknown): string {
  return JSON.stringify(body, null, 2).replace(/\//g, '\\/');
}

/** `sacct --json` for jobs (already viewed as of `nowMs`) that overlap the window. */
export function renderSacctJson(jobs: readonly SimSlurmJob[], nowMs: number): string {
  const body = {
    meta: createSlurmMeta('openapi/dbv0.0.38', 'Slurm OpenAPI DB v0.0.38'),
    errors: [],
    jobs: jobs.map((job) => formatSacctJob(job, nowMs)),
  };
  return stringifyLikeSlurm(body);
}
