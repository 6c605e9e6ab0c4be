export { createDriftFleet, type DriftFleet, type DriftFleetOptions, formatDriftPod } from './drift-fleet.js';
export { type DriftPod, driftDays } from './drift-scenarios.js';
export { type ExpectedIdleGpu, type ExpectedIdleKind, expectedIdleGpus } from './expected-findings.js';
export {
  type IbCounterName,
  type IbPortSample,
  ibCounterNames,
  ibLinkBytesPerSecond,
} from './fabric/ib-ports.js';
export type { SimFault } from './faults.js';
export { createFleet, type Fleet, type FleetOptions } from './fleet.js';
export { dcgmFields } from './formats/dcgm-fields.js';
export {
  type AnalyzerScenarioTruth,
  type DriftScenarioTruth,
  driftScenarioKinds,
  type FabricScenarioTruth,
  type GroundTruth,
  type MigInstanceTruth,
  type RecurringRunTruth,
  type ScenarioKind,
  type ScenarioTruth,
  scenarioKinds,
  type TeamDayTruth,
  type TimeWindow,
} from './ground-truth.js';
export type { PodOwner, SimPod } from './jobs/pods.js';
export type { SimSlurmJob, SlurmJobState, SlurmNodeAllocation } from './jobs/slurm-jobs.js';
export { a100Sxm, type GpuModel, h100Sxm, throttleReason } from './models.js';
export { sampleTickMs } from './sample.js';
export { type SimServer, type SimServerOptions, type SimTarget, startSimServer } from './server.js';
export { parseSlurmTime } from './server-routes.js';
export type { Allocation, GpuSample, IbPortFault, NvlinkFault, PodRef, SimGpu, SimNode } from './types.js';
