import { sql } from 'drizzle-orm';
import { lookupNvlinkSpec } from '../../collector/fabric/nvlink-speeds.js';
import { type Db, queryRows } from '../../core/db.js';
import { numberToDecimal } from '../../core/decimal.js';
import type { Detection } from './apply-detections.js';
import {
  BOTTLENECK_CLASSES,
  type BottleneckClass,
  type BottleneckThresholds,
  classifyBottleneck,
  findStragglers,
  type GpuUsage,
  THROTTLE_MASK,
} from './classify-bottleneck.js';
import { loadNodeGpuHourUsd } from './detect-idle-gpus.js';

export const BOTTLENECK_KINDS = [
  ...BOTTLENECK_CLASSES.filter((c) => c !== 'tensor_heavy').map((c) => `bottleneck_${c}`),
  'straggler',
] as const;

/** Classes whose cost is SM time paid for and not used; memory- and compute-bound GPUs are working flat out. */
const WASTEFUL = new Set<BottleneckClass>(['communication', 'launch_overhead', 'input_bound']);
const SEVERITY: Record<BottleneckClass, Detection['severity']> = {
  throttled: 'warning',
  communication: 'warning',
  tensor_heavy: 'info',
  memory_bound: 'info',
  compute_bound: 'info',
  launch_overhead: 'warning',
  input_bound: 'warning',
};
const ADVICE: Record<BottleneckClass, string> = {
  throttled: 'Check cooling, power capping and the power limit of the GPU; its clocks are held back.',
  communication:
    'Overlap communication with compute, use larger buckets or gradient accumulation, or check the fabric for congestion.',
  tensor_heavy: '',
  memory_bound:
    'Memory bandwidth is the limit: fuse kernels, use lower precision, or a model with more bandwidth if it pays.',
  compute_bound: 'SMs are busy without tensor cores: mixed precision (bf16/fp16/fp8) would use them.',
  launch_overhead:
    'Kernels are too small or synchronise often: CUDA graphs, larger batches or fused kernels help.',
  input_bound:
    'The GPU waits for data: more data-loader workers, pinned memory, prefetching, or faster storage.',
};

/** One GPU of one job over the window, with the fabric that serves it. */
interface JobGpu extends GpuUsage {
  uuid: string;
  gpuInstanceId: number | null;
  node: string;
  model: string | null;
  jobId: string;
  jobName: string;
  /** Its GPUs step together (a Slurm job, a PyTorchJob…): one slow GPU holds back the others. */
  gang: boolean;
  team: string | null;
  temperatureMax: number | null;
  smClockMeanHertz: number | null;
  nvlinkBytesPerSecond: number | null;
}

async function loadJobGpus(db: Db, cluster: string, from: Date, to: Date): Promise<JobGpu[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with w as (
        select r.gpu_id, r.job_ref, count(*)::int as minutes, count(r.sm_active_mean)::int as profiled,
          avg(r.activity_mean) as activity, avg(r.sm_active_mean) as sm, avg(r.tensor_active_mean) as tensor,
          avg(r.dram_active_mean) as dram,
          (count(*) filter (where r.clock_event_reasons & ${THROTTLE_MASK} <> 0))::int as throttled,
          coalesce(bit_or(r.clock_event_reasons), 0) as reasons,
          greatest(avg(r.nvlink_tx_bytes_per_second), avg(r.nvlink_rx_bytes_per_second)) as nvlink,
          avg(r.pcie_rx_bytes_per_second) as pcie_rx,
          max(r.temperature_max_celsius) as temp_max, avg(r.sm_clock_mean_hertz) as sm_clock
        from gpu_rollups r where r.bucket >= ${from} and r.bucket < ${to} and r.job_ref is not null
        group by r.gpu_id, r.job_ref),
      -- each IB port once over the window, then matched to the GPUs it serves (by HCA affinity), or to every GPU
      -- of its node when the node's ports name none
      ports as (
        select l.node_id, l.gpu_indices, avg(lr.utilization_max) as util, avg(lr.xmit_wait_per_second) as xmit_wait,
          bool_or(cardinality(l.gpu_indices) > 0) over (partition by l.node_id) as node_has_affinity
        from links l join link_rollups lr on lr.link_id = l.id
        where l.link_type = 'infiniband' and lr.bucket >= ${from} and lr.bucket < ${to}
        group by l.id, l.node_id, l.gpu_indices)
      select w.*, g.uuid, g.gpu_instance_id, g.gpu_index, g.model, n.name as node, j.job_id, j.name as job_name, j.source,
        j.team, ib.util as ib_util, ib.xmit_wait as ib_xmit_wait
      from w join gpus g on g.id = w.gpu_id join nodes n on n.id = g.node_id join jobs j on j.id = w.job_ref
      left join lateral (
        select max(p.util) as util, max(p.xmit_wait) as xmit_wait from ports p
        where p.node_id = n.id and (g.gpu_index = any(p.gpu_indices) or not p.node_has_affinity)) ib on true
      where n.cluster = ${cluster}`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => {
    const model = (r.model as string | null) ?? null;
    const nvlink = num(r.nvlink);
    const spec = lookupNvlinkSpec(model ?? undefined);
    const nvlinkShare =
      nvlink === null || !spec ? null : nvlink / (spec.links * spec.bytesPerSecondPerLinkEachWay);
    const ib = num(r.ib_util);
    return {
      uuid: String(r.uuid),
      gpuInstanceId: num(r.gpu_instance_id),
      node: String(r.node),
      model,
      jobId: String(r.job_id),
      jobName: String(r.job_name),
      gang: isGang(String(r.source), String(r.job_id)),
      team: (r.team as string | null) ?? null,
      minutes: Number(r.minutes),
      profiledMinutes: Number(r.profiled),
      activityMean: num(r.activity),
      smActiveMean: num(r.sm),
      tensorActiveMean: num(r.tensor),
      dramActiveMean: num(r.dram),
      throttledMinutes: Number(r.throttled),
      reasons: Number(r.reasons),
      linkUtilization: ib === null && nvlinkShare === null ? null : Math.max(ib ?? 0, nvlinkShare ?? 0),
      xmitWaitPerSecond: num(r.ib_xmit_wait),
      pcieRxBytesPerSecond: num(r.pcie_rx),
      temperatureMax: num(r.temp_max),
      smClockMeanHertz: num(r.sm_clock),
      nvlinkBytesPerSecond: nvlink,
    };
  });
}

/**
 * Kubernetes owners whose pods run one synchronous computation (training operators, JobSet, LeaderWorkerSet);
 * a Deployment's or ReplicaSet's replicas serve independently, so one being less busy is not a straggler.
 */
const GANG_KINDS = new Set([
  'PyTorchJob',
  'TFJob',
  'MPIJob',
  'XGBoostJob',
  'PaddleJob',
  'JAXJob',
  'TrainJob',
  'JobSet',
  'LeaderWorkerSet',
  'RayJob',
]);

/** Slurm jobs are gangs; a Kubernetes job's id is `namespace/Kind[.group]/name`. */
export function isGang(source: string, jobId: string): boolean {
  if (source === 'slurm') return true;
  const kind = jobId.split('/')[1]?.split('.')[0] ?? '';
  return GANG_KINDS.has(kind);
}

const gpuSubject = (g: JobGpu) => (g.gpuInstanceId === null ? g.uuid : `${g.uuid}/${g.gpuInstanceId}`);
const round3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
const money = (v: number | null) => (v === null ? null : numberToDecimal(Math.round(v * 1e6) / 1e6));

/**
 * Per job, the limiting resource of most of its GPUs (a finding unless it is tensor cores, which is the goal);
 * per GPU, power or thermal throttling where the rest of its job is not throttled; and stragglers.
 */
export async function detectBottlenecks(
  db: Db,
  cluster: string,
  at: Date,
  t: BottleneckThresholds,
): Promise<{ detections: Detection[]; classified: number }> {
  const from = new Date(at.getTime() - t.windowMinutes * 60_000);
  const [gpus, prices] = await Promise.all([
    loadJobGpus(db, cluster, from, at),
    loadNodeGpuHourUsd(db, cluster, from, at),
  ]);
  const window = { from: from.toISOString(), to: at.toISOString() };
  const byJob = new Map<string, JobGpu[]>();
  for (const g of gpus) byJob.set(g.jobId, [...(byJob.get(g.jobId) ?? []), g]);
  const detections: Detection[] = [];
  let classified = 0;
  const threshold = {
    throttledShare: t.throttledShare,
    linkBusyRatio: t.linkBusyRatio,
    xmitWaitPerSecond: t.xmitWaitPerSecond,
    communicationSmMax: t.communicationSmMax,
    memoryBoundDram: t.memoryBoundDram,
    computeBoundSm: t.computeBoundSm,
    inputActivityMax: t.inputActivityMax,
    inputPcieRxBytesPerSecond: t.inputPcieRxBytesPerSecond,
  };
  const costOf = (g: JobGpu) => {
    const usd = prices.get(g.node);
    return usd === undefined ? null : (usd * g.minutes) / 60;
  };

  for (const [jobId, members] of byJob) {
    const classes = members.map((g) => classifyBottleneck(g, t));
    classified += classes.filter((c) => c.class !== null).length;
    const counts = new Map<BottleneckClass, number>();
    for (const c of classes) if (c.class) counts.set(c.class, (counts.get(c.class) ?? 0) + 1);
    const top = BOTTLENECK_CLASSES.map((c) => [c, counts.get(c) ?? 0] as const).sort(
      (a, b) => b[1] - a[1],
    )[0];
    const majority = top && top[1] * 2 > members.length ? top[0] : undefined;
    const mean = (pick: (g: JobGpu) => number | null) => {
      const v = members.flatMap((g) => (pick(g) === null ? [] : [pick(g) as number]));
      return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
    };
    if (majority && majority !== 'tensor_heavy') {
      const reason = classes.find((c) => c.class === majority)?.reason ?? '';
      const sm = mean((g) => g.smActiveMean) ?? 0;
      const cost = members.reduce<number | null>((s, g) => {
        const c = costOf(g);
        return s === null || c === null ? null : s + c;
      }, 0);
      const waste = WASTEFUL.has(majority) && cost !== null ? cost * (1 - sm) : null;
      const first = members[0] as JobGpu;
      detections.push({
        kind: `bottleneck_${majority}`,
        subject: { type: 'job', id: jobId },
        severity: SEVERITY[majority],
        title: `Job ${jobId} (${first.jobName}) is ${majority.replace('_', ' ')}: ${reason}`,
        evidence: {
          metric:
            'DCGM_FI_PROF_{GR_ENGINE,SM,PIPE_TENSOR,DRAM}_ACTIVE means, clock-event reasons, IB utilization and port_xmit_wait, NVLink bytes/s',
          window,
          values: {
            gpus: members.length,
            gpusInClass: counts.get(majority) ?? 0,
            activityMean: round3(mean((g) => g.activityMean)),
            smActiveMean: round3(mean((g) => g.smActiveMean)),
            tensorActiveMean: round3(mean((g) => g.tensorActiveMean)),
            dramActiveMean: round3(mean((g) => g.dramActiveMean)),
            linkUtilizationMax: round3(Math.max(...members.map((g) => g.linkUtilization ?? 0))),
            xmitWaitPerSecondMax: Math.max(...members.map((g) => g.xmitWaitPerSecond ?? 0)),
            throttledMinutes: members.reduce((s, g) => s + g.throttledMinutes, 0),
            team: first.team,
          },
          threshold,
          samples: members.reduce((s, g) => s + g.minutes, 0),
        },
        impactCostUsd: money(waste),
        impactMonthlyUsd: money(waste === null ? null : (waste * 30 * 1440) / t.windowMinutes),
        recommendation: ADVICE[majority],
      });
    }
    // throttling is the GPU's own (a fan, a slot, a power cap) even where its job is bound by something else
    if (majority !== 'throttled') {
      members.forEach((g, i) => {
        if (classes[i]?.class !== 'throttled') return;
        detections.push({
          kind: 'bottleneck_throttled',
          subject: { type: 'gpu', id: gpuSubject(g) },
          severity: 'warning',
          title: `GPU ${gpuSubject(g)} on ${g.node} (job ${jobId}) is power or thermal throttled`,
          evidence: {
            metric: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (power cap, HW slowdown, SW/HW thermal, power brake)',
            window,
            values: {
              throttledMinutes: g.throttledMinutes,
              reasons: `0x${g.reasons.toString(16)}`,
              temperatureMaxCelsius: g.temperatureMax,
              smClockMeanMhz: g.smClockMeanHertz === null ? null : Math.round(g.smClockMeanHertz / 1e6),
              node: g.node,
              job: jobId,
            },
            threshold: { throttledShare: t.throttledShare },
            samples: g.minutes,
          },
          recommendation: ADVICE.throttled,
        });
      });
    }
    // MIG instances are separate devices, not peers of one computation
    const measured = members.filter((g) => g.gang && g.gpuInstanceId === null && g.activityMean !== null);
    for (const i of findStragglers(
      measured.map((g) => g.activityMean as number),
      t,
    )) {
      const g = measured[i] as JobGpu;
      const peers = measured.filter((_, j) => j !== i).map((p) => p.activityMean as number);
      const peerMean = peers.reduce((a, b) => a + b, 0) / peers.length;
      const gap = 1 - (g.activityMean as number) / peerMean;
      // the others wait at every synchronisation: the job runs at the straggler's pace
      const jobCost = measured.reduce<number | null>((s, p) => {
        const c = costOf(p);
        return s === null || c === null ? null : s + c;
      }, 0);
      const waste = jobCost === null ? null : jobCost * gap;
      detections.push({
        kind: 'straggler',
        subject: { type: 'gpu', id: gpuSubject(g) },
        severity: 'warning',
        title: `GPU ${gpuSubject(g)} on ${g.node} is ${Math.round(gap * 100)}% slower than the other ${peers.length} GPUs of job ${jobId}`,
        evidence: {
          metric:
            'activity mean (DCGM_FI_PROF_GR_ENGINE_ACTIVE, else GPU_UTIL) against the median of its job peers',
          window,
          values: {
            activityMean: round3(g.activityMean),
            peerActivityMean: round3(peerMean),
            peers: peers.length,
            node: g.node,
            job: jobId,
            throttledMinutes: g.throttledMinutes,
          },
          threshold: { stragglerGap: t.stragglerGap, stragglerPeerMin: t.stragglerPeerMin },
          samples: g.minutes,
        },
        impactCostUsd: money(waste),
        impactMonthlyUsd: money(waste === null ? null : (waste * 30 * 1440) / t.windowMinutes),
        recommendation: `Look at ${g.node}: a slow GPU, host or link holds back all ${measured.length} GPUs of job ${jobId}; drain it or move the job.`,
      });
    }
  }
  return { detections, classified };
}
