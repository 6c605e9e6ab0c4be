import type { PodRef, XidEvent } from './types.js';

export const scenarioKinds = [
  'idle-memory-held',
  'busy-training',
  'memory-bound',
  'thermal-throttled',
  'xid-burst',
  'mig-partitioned',
  'exporter-hang',
] as const;

export type ScenarioKind = (typeof scenarioKinds)[number];

interface ScenarioBase {
  /** `<kind>-<n>`, stable for a seed and fleet size. */
  id: string;
  node: string;
  gpuUuid?: string;
  gpuInstanceId?: number;
  /** Absent: the scenario holds from the first sample for the whole run. */
  fromMs?: number;
  toMs?: number;
}

export interface MigInstanceTruth {
  gpuInstanceId: number;
  profile: string;
  memoryMib: number;
  pod?: PodRef;
}

/** What a detector should find; ratios are 0-1, memory MiB, power W, temperatures C. */
export type ScenarioTruth = ScenarioBase &
  (
    | {
        kind: 'idle-memory-held';
        expect: {
          activityMax: number;
          memoryUsedMib: number;
          powerWMax: number;
          throttleReasonsMask: number;
          pod: PodRef;
        };
      }
    | {
        kind: 'busy-training';
        expect: {
          gpuUuids: string[];
          activityMin: number;
          tensorActiveMin: number;
          powerWMin: number;
          nvlinkTxBytesPerSecondMin: number;
          pod: PodRef;
        };
      }
    | {
        kind: 'memory-bound';
        expect: { dramActiveMin: number; tensorActiveMax: number; smActiveMin: number; smActiveMax: number };
      }
    | {
        kind: 'thermal-throttled';
        expect: { gpuTempCMin: number; smClockMhzMax: number; throttleReasonsMask: number };
      }
    | { kind: 'xid-burst'; expect: { xidCodes: number[]; events: XidEvent[] } }
    | {
        kind: 'mig-partitioned';
        expect: { instances: MigInstanceTruth[]; gpuUtilReported: false };
      }
    | { kind: 'exporter-hang'; expect: { responds: false } }
  );

export interface GroundTruth {
  seed: number;
  nodeCount: number;
  gpusPerNode: number;
  startMs: number;
  scenarios: ScenarioTruth[];
}
