import { z } from '@hono/zod-openapi';

const gpus = (description: string) => z.number().int().openapi({ description });

export const PoolScaling = z
  .object({
    pool: z.string().openapi({ example: 'NVIDIA H100 80GB HBM3 x8' }),
    desiredGpus: gpus('busy + pending + headroom GPUs: the value for a KEDA metrics-api trigger'),
    currentGpus: gpus('GPUs of the nodes that reported in the capacity window'),
    busyGpus: gpus('GPUs allocated to a job or active at any minute of the window'),
    pendingGpus: gpus('GPUs requested by pending jobs that may run on this pool'),
    idleGpus: gpus('current minus busy'),
    headroomGpus: gpus('analyzer.capacity.headroomNodes times GPUs per node'),
    gpusPerNode: z.number().int(),
    nodes: z.number().int(),
    asOf: z.string().openapi({ description: 'End of the window the values describe' }),
  })
  .openapi('PoolScaling');

export const PoolScalingList = z.object({ data: z.array(PoolScaling) });

export const PoolParams = z.object({
  pool: z
    .string()
    .min(1)
    .openapi({ description: 'Pool name, URL-encoded: `NVIDIA%20H100%2080GB%20HBM3%20x8`' }),
});

export const WorkloadParams = z.object({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

export const WorkloadScaling = z
  .object({
    namespace: z.string(),
    name: z.string(),
    desiredGpus: gpus('busy GPUs of its pods plus GPUs its pending pods request'),
    currentGpus: gpus('GPUs its live pods request'),
    busyGpus: gpus('its GPUs allocated and active in the window'),
    pendingGpus: gpus('GPUs requested while the workload is pending'),
    idleGpus: gpus('current minus busy'),
    asOf: z.string(),
  })
  .openapi('WorkloadScaling');
