/**
 * GPU models the fleet is built from. Figures come from the fixtures in test/fixtures/telemetry:
 * H100 FBTotal 81559 MiB, 700 W, PCI bus IDs and 1g.10gb GI 11/13 (dcgm-exporter's H100 test data),
 * idle 69.85 W at SM 345 MHz and 1980 MHz under load (nvidia_gpu_exporter H100 capture).
 */
export interface GpuModel {
  name: string;
  fbTotalMib: number;
  /** Memory the driver keeps: FB_FREE + FB_USED + reserved = total. */
  fbReservedMib: number;
  powerLimitW: number;
  powerIdleW: number;
  smClockIdleMhz: number;
  smClockMaxMhz: number;
  memClockMhz: number;
  gpuTempIdleC: number;
  gpuTempAtLimitC: number;
  /** Sustained NVLink payload per direction a collective-heavy job reaches. */
  nvlinkBytesPerSecond: number;
  pcieBytesPerSecond: number;
  driverVersions: readonly string[];
  /** Bus IDs of an 8-GPU baseboard in slot order; GPUs past the list get generated ones. */
  pciBusIds: readonly string[];
}

export const h100Sxm: GpuModel = {
  name: 'NVIDIA H100 80GB HBM3',
  fbTotalMib: 81559,
  fbReservedMib: 480,
  powerLimitW: 700,
  powerIdleW: 70,
  smClockIdleMhz: 345,
  smClockMaxMhz: 1980,
  memClockMhz: 2619,
  gpuTempIdleC: 31,
  gpuTempAtLimitC: 70,
  nvlinkBytesPerSecond: 160e9,
  pcieBytesPerSecond: 50e9,
  driverVersions: ['550.144.03', '575.51.03'],
  pciBusIds: ['1B', '43', '52', '61', '9D', 'C3', 'D1', 'DF'],
};

export const a100Sxm: GpuModel = {
  name: 'NVIDIA A100-SXM4-80GB',
  fbTotalMib: 81920,
  fbReservedMib: 526,
  powerLimitW: 400,
  powerIdleW: 56,
  smClockIdleMhz: 210,
  smClockMaxMhz: 1410,
  memClockMhz: 1593,
  gpuTempIdleC: 30,
  gpuTempAtLimitC: 66,
  nvlinkBytesPerSecond: 110e9,
  pcieBytesPerSecond: 25e9,
  driverVersions: ['550.144.03', '535.154.05'],
  pciBusIds: ['07', '0F', '47', '4E', '87', '90', 'B7', 'BD'],
};

export function formatPciBusId(model: GpuModel, gpuIndex: number): string {
  const bus =
    model.pciBusIds[gpuIndex] ?? (0x10 + gpuIndex * 0x08).toString(16).toUpperCase().padStart(2, '0');
  return `00000000:${bus}:00.0`;
}

export interface MigInstanceLayout {
  profile: string;
  gpuInstanceId: number;
  computeSlices: number;
  memorySlices: number;
}

/** 1g.10gb reads FB_FREE 9969 + FB_USED 14 in the fixture: one memory slice is 9983 MiB. */
export const h100MigSliceMib = 9983;
export const h100ComputeSlices = 7;

export const h100MigLayout: readonly MigInstanceLayout[] = [
  { profile: '3g.40gb', gpuInstanceId: 2, computeSlices: 3, memorySlices: 4 },
  { profile: '2g.20gb', gpuInstanceId: 5, computeSlices: 2, memorySlices: 2 },
  { profile: '1g.10gb', gpuInstanceId: 11, computeSlices: 1, memorySlices: 1 },
  { profile: '1g.10gb', gpuInstanceId: 13, computeSlices: 1, memorySlices: 1 },
];

/** DCGM_CLOCKS_THROTTLE_REASON_* bits as DCGM_FI_DEV_CLOCK_THROTTLE_REASONS reports them. */
export const throttleReason = {
  gpuIdle: 0x1,
  swPowerCap: 0x4,
  hwSlowdown: 0x8,
  swThermal: 0x20,
  hwThermal: 0x40,
  hwPowerBrake: 0x80,
} as const;
