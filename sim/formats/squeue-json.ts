import { countGpus, type SimSlurmJob } from '../jobs/slurm-jobs.js';
import { formatHostlist, formatIndexRanges } from './hostlist.js';
import { createSlurmMeta, stringifyLikeSlurm } from './sacct-json.js';

const seconds = (ms: number) => Math.floor(ms / 1000);
/** A job without a time limit reports an end one year after its start, as slurmctld does. */
const unlimitedSeconds = 365 * 86_400;

export function formatTresAllocStr(job: SimSlurmJob): string {
  const gpus = countGpus(job);
  const cpus = gpus * job.cpusPerGpu;
  return `cpu=${cpus},node=${job.allocations.length},billing=${cpus},gres/gpu=${gpus},gres/gpu:${job.gpuType}=${gpus}`;
}

export function formatTresReqStr(job: SimSlurmJob): string {
  const gpus = countGpus(job);
  const cpus = gpus * job.cpusPerGpu;
  const mem = `mem=${gpus * job.memoryMibPerGpu}M`;
  return `cpu=${cpus},${mem},node=${job.allocations.length},billing=${cpus},gres/gpu=${gpus},gres/gpu:${job.gpuType}=${gpus}`;
}

/** `gpu:h100:8(IDX:0-7)`, one per node in node order. */
export function formatGresDetail(job: SimSlurmJob): string[] {
  return job.allocations.map(
    (a) => `${`gpu:${job.gpuType}`}:${a.gpuIndices.length}(IDX:${formatIndexRanges(a.gpuIndices)})`,
  );
}

function formatJobResources(job: SimSlurmJob) {
  const cpus = countGpus(job) * job.cpusPerGpu;
  return {
    nodes: formatHostlist(job.allocations.map((a) => a.node)),
    allocated_cores: cpus,
    allocated_hosts: job.allocations.length,
    allocated_nodes: job.allocations.map((a) => {
      const cores = Object.fromEntries(
        Array.from({ length: a.gpuIndices.length * job.cpusPerGpu }, (_, i) => [String(i), 'allocated']),
      );
      return {
        sockets: { '0': { cores } },
        nodename: a.node,
        cpus_used: 0,
        memory_used: 0,
        memory_allocated: 0,
      };
    }),
  };
}

/** The identity and timing keys of one `squeue --json` job, in Slurm 22.05's order. */
function formatHead(job: SimSlurmJob) {
  return {
    account: job.account,
    accrue_time: seconds(job.submitMs),
    admin_comment: '',
    array_job_id: 0,
    array_task_id: null,
    array_max_tasks: 0,
    array_task_string: '',
    association_id: 6,
    batch_features: '',
    batch_flag: true,
    batch_host: job.allocations[0]!.node,
    flags: ['JOB_WAS_RUNNING'],
    burst_buffer: '',
    burst_buffer_state: '',
    cluster: job.cluster,
    cluster_features: '',
    command: `/home/${job.user}/${job.name}.sbatch`,
    comment: '',
    container: '',
    contiguous: false,
    core_spec: null,
    thread_spec: null,
    cores_per_socket: null,
    billable_tres: countGpus(job) * job.cpusPerGpu,
    cpus_per_task: null,
    cpu_frequency_minimum: null,
    cpu_frequency_maximum: null,
    cpu_frequency_governor: null,
    cpus_per_tres: '',
    deadline: 0,
    delay_boot: 0,
    dependency: '',
    derived_exit_code: 0,
    eligible_time: seconds(job.submitMs),
    end_time: job.endMs === undefined ? seconds(job.startMs) + unlimitedSeconds : seconds(job.endMs),
    excluded_nodes: '',
    exit_code: job.exitCode,
    features: '',
    federation_origin: '',
    federation_siblings_active: '',
    federation_siblings_viable: '',
    gres_detail: job.state === 'RUNNING' ? formatGresDetail(job) : [],
    group_id: job.userId,
    group_name: job.user,
    job_id: job.jobId,
    job_resources: formatJobResources(job),
    job_state: job.state,
    last_sched_evaluation: seconds(job.startMs),
  };
}

function formatTail(job: SimSlurmJob) {
  const gpus = countGpus(job);
  const perNode = job.allocations[0]!.gpuIndices.length;
  return {
    licenses: '',
    max_cpus: 0,
    max_nodes: 0,
    mcs_label: '',
    memory_per_tres: '',
    name: job.name,
    nodes: formatHostlist(job.allocations.map((a) => a.node)),
    nice: null,
    tasks_per_core: null,
    tasks_per_node: 0,
    tasks_per_socket: null,
    tasks_per_board: 0,
    cpus: gpus * job.cpusPerGpu,
    node_count: job.allocations.length,
    tasks: job.allocations.length,
    het_job_id: 0,
    het_job_id_set: '',
    het_job_offset: 0,
    partition: job.partition,
    prefer: '',
    memory_per_node: null,
    memory_per_cpu: null,
    minimum_cpus_per_node: perNode * job.cpusPerGpu,
    minimum_tmp_disk_per_node: 0,
  };
}

function formatEnd(job: SimSlurmJob) {
  const perNode = job.allocations[0]!.gpuIndices.length;
  return {
    preempt_time: 0,
    pre_sus_time: 0,
    priority: 4294901759 - (job.jobId % 1000),
    profile: null,
    qos: 'normal',
    reboot: false,
    required_nodes: '',
    requeue: true,
    resize_time: 0,
    restart_cnt: 0,
    resv_name: '',
    shared: null,
    show_flags: ['SHOW_ALL', 'SHOW_DETAIL', 'SHOW_LOCAL'],
    sockets_per_board: 0,
    sockets_per_node: null,
    start_time: seconds(job.startMs),
    state_description: '',
    state_reason: 'None',
    standard_error: '',
    standard_input: '/dev/null',
    standard_output: '',
    submit_time: seconds(job.submitMs),
    suspend_time: 0,
    system_comment: '',
    time_limit: null,
    time_minimum: 0,
    threads_per_core: null,
    tres_bind: '',
    tres_freq: '',
    tres_per_job: '',
    tres_per_node: `gres:gpu:${job.gpuType}:${perNode}`,
    tres_per_socket: '',
    tres_per_task: '',
    tres_req_str: formatTresReqStr(job),
    tres_alloc_str: formatTresAllocStr(job),
    user_id: job.userId,
    user_name: job.user,
    wckey: '',
    current_working_directory: `/home/${job.user}`,
  };
}

/** `squeue --json` (openapi/v0.0.38) listing the given jobs, typically the running ones. */
export function renderSqueueJson(jobs: readonly SimSlurmJob[]): string {
  const body = {
    meta: createSlurmMeta('openapi/v0.0.38', 'Slurm OpenAPI v0.0.38'),
    errors: [],
    jobs: jobs.map((job) => ({ ...formatHead(job), ...formatTail(job), ...formatEnd(job) })),
  };
  return stringifyLikeSlurm(body);
}
