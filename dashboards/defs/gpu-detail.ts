import type { DashboardSpec, PanelSpec } from '../lib/spec.js';
import { dcgmGpu } from './selectors.js';

const perGpu = '{{node}} GPU {{gpu}}';

/** One raw DCGM field per selected GPU. */
function field(
  title: string,
  metric: string,
  unit: string,
  description: string,
  extra: Partial<PanelSpec> = {},
) {
  return {
    kind: 'timeseries',
    title,
    description,
    unit,
    queries: [{ expr: `${metric}{${dcgmGpu}}`, legend: perGpu }],
    width: 8,
    ...extra,
  } satisfies PanelSpec;
}

export const gpuDetail: DashboardSpec = {
  uid: 'gpuscope-gpu-detail',
  file: 'gpu-detail',
  title: 'GPU detail',
  description:
    'Raw dcgm-exporter fields of the selected node and GPUs: activity, memory, power, heat, clocks, interconnect and errors.',
  tags: ['gpu', 'dcgm'],
  variables: ['cluster', 'node', 'gpu'],
  from: 'now-3h',
  rows: [
    {
      title: 'Identity',
      panels: [
        {
          kind: 'table',
          title: 'GPUs',
          description:
            'Each selected GPU (and MIG instance) with its UUID, model, driver and current temperature.',
          unit: 'celsius',
          queries: [
            {
              expr: `max by (node, gpu, UUID, modelName, DCGM_FI_DRIVER_VERSION, GPU_I_PROFILE) (DCGM_FI_DEV_GPU_TEMP{${dcgmGpu}})`,
            },
          ],
          width: 24,
          height: 6,
        },
      ],
    },
    {
      title: 'Activity',
      panels: [
        field(
          'Graphics-engine activity',
          'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
          'percentunit',
          'Share of time the graphics/compute engine was busy (the activity gpuscope judges idleness by).',
          { min: 0, max: 1 },
        ),
        field(
          'SM active',
          'DCGM_FI_PROF_SM_ACTIVE',
          'percentunit',
          'Share of SMs with at least one warp assigned, averaged over time.',
          { min: 0, max: 1 },
        ),
        field(
          'Tensor pipe active',
          'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
          'percentunit',
          'Share of cycles the tensor pipes were busy.',
          { min: 0, max: 1 },
        ),
        field(
          'DRAM active',
          'DCGM_FI_PROF_DRAM_ACTIVE',
          'percentunit',
          'Share of cycles device memory was busy.',
          {
            min: 0,
            max: 1,
          },
        ),
        field(
          'GPU utilization (NVML)',
          'DCGM_FI_DEV_GPU_UTIL',
          'percent',
          'NVML utilization: time a kernel ran at all (coarse; absent for MIG instances).',
        ),
        field(
          'Encoder / decoder',
          'DCGM_FI_DEV_ENC_UTIL',
          'percent',
          'Video encoder utilization (decoder in the second query).',
          {
            queries: [
              { expr: `DCGM_FI_DEV_ENC_UTIL{${dcgmGpu}}`, legend: `${perGpu} enc` },
              { expr: `DCGM_FI_DEV_DEC_UTIL{${dcgmGpu}}`, legend: `${perGpu} dec` },
            ],
          },
        ),
      ],
    },
    {
      title: 'Memory, power and heat',
      panels: [
        field('Framebuffer used', 'DCGM_FI_DEV_FB_USED', 'mbytes', 'Device memory in use (MiB).'),
        field(
          'Power',
          'DCGM_FI_DEV_POWER_USAGE',
          'watt',
          'Power draw; the limit is the dashed upper bound.',
          {
            queries: [
              { expr: `DCGM_FI_DEV_POWER_USAGE{${dcgmGpu}}`, legend: perGpu },
              { expr: `max(DCGM_FI_DEV_POWER_MGMT_LIMIT{${dcgmGpu}})`, legend: 'power limit' },
            ],
          },
        ),
        field('Temperature', 'DCGM_FI_DEV_GPU_TEMP', 'celsius', 'GPU and memory (HBM) temperature.', {
          queries: [
            { expr: `DCGM_FI_DEV_GPU_TEMP{${dcgmGpu}}`, legend: `${perGpu} GPU` },
            { expr: `DCGM_FI_DEV_MEMORY_TEMP{${dcgmGpu}}`, legend: `${perGpu} memory` },
          ],
          thresholds: [{ value: 85, color: 'red' }],
        }),
        field('SM clock', 'DCGM_FI_DEV_SM_CLOCK', 'MHz', 'SM clock; a drop under load is throttling.'),
        field(
          'Clock throttle reasons',
          'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
          'short',
          'Bitmask of clock-event reasons (0x20 SW thermal, 0x40 HW thermal, 0x4 SW power cap, 0x1 GPU idle).',
        ),
        field(
          'Power from energy counter',
          'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
          'watt',
          'Mean power per interval from the energy counter (millijoules).',
          {
            queries: [
              {
                expr: `rate(DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${dcgmGpu}}[$__rate_interval]) / 1000`,
                legend: perGpu,
              },
            ],
          },
        ),
      ],
    },
    {
      title: 'Interconnect',
      panels: [
        field('PCIe', 'DCGM_FI_PROF_PCIE_TX_BYTES', 'Bps', 'PCIe bytes per second each way.', {
          queries: [
            { expr: `DCGM_FI_PROF_PCIE_TX_BYTES{${dcgmGpu}}`, legend: `${perGpu} tx` },
            { expr: `DCGM_FI_PROF_PCIE_RX_BYTES{${dcgmGpu}}`, legend: `${perGpu} rx` },
          ],
        }),
        field('NVLink', 'DCGM_FI_PROF_NVLINK_TX_BYTES', 'Bps', 'NVLink bytes per second each way.', {
          queries: [
            { expr: `DCGM_FI_PROF_NVLINK_TX_BYTES{${dcgmGpu}}`, legend: `${perGpu} tx` },
            { expr: `DCGM_FI_PROF_NVLINK_RX_BYTES{${dcgmGpu}}`, legend: `${perGpu} rx` },
          ],
        }),
        {
          kind: 'timeseries',
          title: 'NVLink utilization (gpuscope)',
          description:
            "gpuscope's NVLink utilization against the model's link speed, per GPU of the selected nodes.",
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [
            {
              expr: 'gpuscope_link_utilization_ratio{cluster=~"$cluster", node=~"$node", link_type="nvlink"}',
              legend: '{{node}} {{device}}',
            },
          ],
          width: 8,
        },
      ],
    },
    {
      title: 'Errors and health',
      panels: [
        field('XID', 'DCGM_FI_DEV_XID_ERRORS', 'short', 'The last XID error code (0 when none).'),
        field(
          'ECC errors',
          'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL',
          'short',
          'Volatile single- and double-bit ECC error totals.',
          {
            queries: [
              { expr: `DCGM_FI_DEV_ECC_SBE_VOL_TOTAL{${dcgmGpu}}`, legend: `${perGpu} SBE` },
              { expr: `DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{${dcgmGpu}}`, legend: `${perGpu} DBE` },
            ],
          },
        ),
        field(
          'Remapped rows and PCIe replays',
          'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS',
          'short',
          'Rows remapped for correctable and uncorrectable errors, and the PCIe replay counter.',
          {
            queries: [
              { expr: `DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS{${dcgmGpu}}`, legend: `${perGpu} correctable` },
              {
                expr: `DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS{${dcgmGpu}}`,
                legend: `${perGpu} uncorrectable`,
              },
              { expr: `DCGM_FI_DEV_PCIE_REPLAY_COUNTER{${dcgmGpu}}`, legend: `${perGpu} PCIe replays` },
            ],
          },
        ),
      ],
    },
  ],
};
