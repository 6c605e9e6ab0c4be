export type { SimFault } from './faults.js';
export { createFleet, type Fleet, type FleetOptions } from './fleet.js';
export { dcgmFields } from './formats/dcgm-fields.js';
export {
  type GroundTruth,
  type MigInstanceTruth,
  type ScenarioKind,
  type ScenarioTruth,
  scenarioKinds,
} from './ground-truth.js';
export { a100Sxm, type GpuModel, h100Sxm, throttleReason } from './models.js';
export { sampleTickMs } from './sample.js';
export { type SimServer, type SimServerOptions, type SimTarget, startSimServer } from './server.js';
export type { Allocation, GpuSample, PodRef, SimGpu, SimNode } from './types.js';
