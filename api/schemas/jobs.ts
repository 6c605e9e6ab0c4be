import { z } from '@hono/zod-openapi';
import { JOB_STATES } from '../../collector/jobs/types.js';

const isoInstant = z.iso.datetime({ offset: true });

export const JobState = z.enum(JOB_STATES);

export const JobListQuery = z.object({
  from: isoInstant
    .optional()
    .openapi({ description: 'ISO 8601; default to - 24h. Jobs running at any time in the window.' }),
  to: isoInstant.optional().openapi({ description: 'ISO 8601; default now' }),
  user: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  state: JobState.optional(),
  source: z.enum(['slurm', 'kubernetes']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const JobEfficiency = z
  .object({
    measuredGpuHours: z
      .number()
      .openapi({ description: 'GPU-minutes of telemetry attributed to the job, in hours' }),
    activityMeanRatio: z
      .number()
      .nullable()
      .openapi({ description: 'Sample-weighted mean graphics-engine activity, 0-1' }),
    memoryPeakBytes: z.number().nullable(),
    energyJoules: z.number().nullable(),
    schedulerGpuUtilizationPercent: z
      .number()
      .nullable()
      .openapi({ description: "Slurm's gres/gpuutil, where recorded" }),
    schedulerGpuMemoryBytes: z
      .number()
      .nullable()
      .openapi({ description: "Slurm's gres/gpumem, where recorded" }),
  })
  .openapi('JobEfficiency');

export const Job = z
  .object({
    id: z
      .string()
      .openapi({ description: 'Slurm job id, or namespace/Kind/name of the top Kubernetes owner' }),
    source: z.enum(['slurm', 'kubernetes']),
    cluster: z.string(),
    name: z.string(),
    user: z.string().nullable(),
    account: z.string().nullable(),
    namespace: z.string().nullable(),
    partition: z.string().nullable(),
    team: z.string().nullable(),
    project: z.string().nullable(),
    state: z.string(),
    rawState: z.string(),
    submittedAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    gpusRequested: z.number().int().nullable(),
    gpusAllocated: z.number().int(),
    gpuType: z.string().nullable(),
    nodes: z.array(z.string()),
    gpuHours: z.number().nullable().openapi({ description: 'Allocated GPUs x elapsed time' }),
    efficiency: JobEfficiency,
  })
  .openapi('Job');

export const JobList = z.object({
  data: z.array(Job),
  window: z.object({ from: z.string(), to: z.string() }),
});

export const LinkWindow = z.object({
  minutes: z.number().int(),
  txBytesPerSecondMean: z.number().nullable(),
  rxBytesPerSecondMean: z.number().nullable(),
  txBytesPerSecondMax: z.number().nullable(),
  rxBytesPerSecondMax: z.number().nullable(),
  utilizationMaxRatio: z.number().nullable(),
  xmitWaitPerSecondMean: z
    .number()
    .nullable()
    .openapi({ description: 'port_xmit_wait ticks per second (congestion)' }),
  errorsTotal: z.number(),
  errorDeltas: z.record(z.string(), z.number()),
  stateChanges: z.number().int(),
  linkDowned: z.number().int(),
  flappingMinutes: z.number().int(),
  suspectMinutes: z
    .number()
    .int()
    .openapi({ description: 'NVLink minutes whose zero traffic is not believed' }),
  counterIssueMinutes: z
    .number()
    .int()
    .openapi({ description: 'Minutes with saturated, reset or implausible counters' }),
});

export const Link = z
  .object({
    node: z.string(),
    cluster: z.string(),
    type: z.enum(['infiniband', 'nvlink']),
    device: z.string().openapi({ description: 'HCA name (mlx5_0) or GPU UUID for NVLink' }),
    port: z
      .number()
      .int()
      .openapi({ description: 'IB port, or NVLink link index (-1: all links of the GPU)' }),
    rateBitsPerSecond: z.number().nullable(),
    state: z.string().nullable(),
    physState: z.string().nullable(),
    gpuIndices: z.array(z.number().int()),
    lastSeenAt: z.string(),
    window: LinkWindow,
  })
  .openapi('Link');

export const JobDetail = Job.extend({
  owners: z.array(z.object({ kind: z.string(), name: z.string(), apiVersion: z.string().nullable() })),
  gpus: z.array(
    z.object({
      node: z.string(),
      index: z.number().int().nullable(),
      uuid: z.string().nullable(),
      migProfile: z.string().nullable(),
      model: z.string().nullable(),
      measuredMinutes: z.number().int(),
      activityMeanRatio: z.number().nullable(),
      memoryPeakBytes: z.number().nullable(),
    }),
  ),
  links: z.array(Link),
}).openapi('JobDetail');

export const JobDetailQuery = z.object({ source: z.enum(['slurm', 'kubernetes']).optional() });

export const LinkListQuery = z.object({
  from: isoInstant.optional().openapi({ description: 'ISO 8601; default to - 1h' }),
  to: isoInstant.optional().openapi({ description: 'ISO 8601; default now' }),
  node: z.string().min(1).optional(),
  type: z.enum(['infiniband', 'nvlink']).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(5000),
});

export const LinkList = z.object({
  data: z.array(Link),
  window: z.object({ from: z.string(), to: z.string() }),
});
