import { resolveGpuAt } from '../gpu-schedule.js';
import type { Allocation, GpuSample, SimGpu, SimGpuInstance, SimNode } from '../types.js';
import { dcgmFields } from './dcgm-fields.js';

/** Label blocks (`{gpu="0",...}`) built once per node; a render only adds values. */
export interface NodeLabelBlocks {
  devices: string[];
  /** Per GPU, one block per MIG instance (empty for a whole GPU). */
  instances: string[][];
}

export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Pod and job labels; Go's template ranges over the label map in key order, hence this order. */
function listAllocationLabels(allocation: Allocation | undefined): [string, string][] {
  if (!allocation) return [];
  if (allocation.kind === 'slurm') return [['hpc_job', allocation.jobId]];
  const { container, namespace, pod } = allocation.pod;
  return [
    ['container', container],
    ['namespace', namespace],
    ['pod', pod],
  ];
}

/**
 * Labels in the order dcgm-exporter prints them:
 * gpu, UUID, pci_bus_id, device, modelName, [GPU_I_PROFILE, GPU_I_ID,] Hostname|hostname,
 * DCGM_FI_DRIVER_VERSION, [container, hpc_job, namespace, pod].
 */
export function buildLabelBlock(
  node: SimNode,
  gpu: SimGpu,
  instance: SimGpuInstance | undefined,
  allocation: Allocation | undefined,
): string {
  const labels: [string, string][] = [
    ['gpu', String(gpu.index)],
    ['UUID', gpu.uuid],
    ['pci_bus_id', gpu.pciBusId],
    ['device', `nvidia${gpu.index}`],
    ['modelName', node.model.name],
  ];
  if (instance) {
    labels.push(['GPU_I_PROFILE', instance.profile], ['GPU_I_ID', String(instance.gpuInstanceId)]);
  }
  labels.push([node.hostnameLabelKey, node.name], ['DCGM_FI_DRIVER_VERSION', node.driverVersion]);
  labels.push(...listAllocationLabels(allocation));
  return `{${labels.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** The node's blocks with each GPU's holder at `tMs` (for a scheduled GPU; the others have one holder). */
export function buildNodeLabelBlocks(node: SimNode, tMs = Number.NEGATIVE_INFINITY): NodeLabelBlocks {
  return {
    devices: node.gpus.map((gpu) => {
      const allocation = gpu.instances.length === 0 ? resolveGpuAt(gpu, tMs).allocation : undefined;
      return buildLabelBlock(node, gpu, undefined, allocation);
    }),
    instances: node.gpus.map((gpu) =>
      gpu.instances.map((instance) => buildLabelBlock(node, gpu, instance, instance.allocation)),
    ),
  };
}

/** `# HELP` and `# TYPE` lines per field, built once. */
const familyHeaders: readonly string[] = dcgmFields.map(
  (field) => `# HELP ${field.name} ${field.help}\n# TYPE ${field.name} ${field.promType}\n`,
);

/** The node's `/metrics` body: each field's family in turn, one line per GPU or MIG instance. */
export function renderDcgmExporterText(blocks: NodeLabelBlocks, samples: readonly GpuSample[]): string {
  let text = '';
  for (let f = 0; f < dcgmFields.length; f++) {
    const field = dcgmFields[f]!;
    text += familyHeaders[f];
    for (let g = 0; g < samples.length; g++) {
      const sample = samples[g]!;
      const instanceBlocks = blocks.instances[g]!;
      const isMig = instanceBlocks.length > 0;
      if (field.scope === 'activity') {
        if (!isMig) {
          text += `${field.name}${blocks.devices[g]} ${field.format(sample.activity)}\n`;
          continue;
        }
        for (let i = 0; i < instanceBlocks.length; i++) {
          text += `${field.name}${instanceBlocks[i]} ${field.format(sample.instances[i]!)}\n`;
        }
      } else if (field.scope === 'device' || !isMig) {
        text += `${field.name}${blocks.devices[g]} ${field.format(sample)}\n`;
      }
    }
  }
  return text;
}
