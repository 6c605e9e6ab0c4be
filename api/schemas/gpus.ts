import { z } from '@hono/zod-openapi';

export const RollupValues = z
  .object({
    bucket: z.string().openapi({ description: 'Start of the minute (ISO 8601)' }),
    sampleCount: z.number().int(),
    activitySource: z.enum(['gr_engine_active', 'gpu_util']).nullable(),
    activityMeanRatio: z.number().nullable(),
    activityMaxRatio: z.number().nullable(),
    smActiveMeanRatio: z.number().nullable(),
    tensorActiveMeanRatio: z.number().nullable(),
    dramActiveMeanRatio: z.number().nullable(),
    memoryUsedMaxBytes: z.number().nullable(),
    memoryTotalBytes: z.number().nullable(),
    powerMeanWatts: z.number().nullable(),
    energyJoules: z.number().nullable(),
    temperatureMaxCelsius: z.number().nullable(),
    smClockMeanHertz: z.number().nullable(),
    xidCodes: z.array(z.number().int()),
    clockEventReasons: z.number().int(),
    pcieTxBytesPerSecond: z.number().nullable(),
    pcieRxBytesPerSecond: z.number().nullable(),
    nvlinkTxBytesPerSecond: z.number().nullable(),
    nvlinkRxBytesPerSecond: z.number().nullable(),
  })
  .openapi('RollupValues');

export const Gpu = z
  .object({
    uuid: z.string(),
    gpuInstanceId: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'MIG GPU instance id; null for a whole GPU' }),
    node: z.string(),
    cluster: z.string(),
    index: z.number().int().nullable(),
    model: z.string().nullable(),
    migProfile: z.string().nullable(),
    pciBusId: z.string().nullable(),
    driverVersion: z.string().nullable(),
    owner: z
      .record(z.string(), z.string())
      .openapi({ description: 'pod, namespace, container, hpc_job labels' }),
    lastSeenAt: z.string(),
    latest: RollupValues.nullable(),
  })
  .openapi('Gpu');

export const GpuList = z.object({
  data: z.array(Gpu),
  page: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }),
});

export const GpuListQuery = z.object({
  node: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});

export const SeriesQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; default to - 1h' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; default now' }),
  step: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(60)
    .openapi({ description: 'seconds, multiple of 60' }),
  gpuInstanceId: z.coerce.number().int().min(0).optional(),
});

export const SeriesPoint = RollupValues.extend({}).openapi('SeriesPoint');

export const GpuSeries = z
  .object({
    uuid: z.string(),
    gpuInstanceId: z.number().int().nullable(),
    from: z.string(),
    to: z.string(),
    stepSeconds: z.number().int(),
    source: z.enum(['gpu_rollups', 'gpu_rollups_hourly']),
    points: z.array(SeriesPoint),
  })
  .openapi('GpuSeries');
