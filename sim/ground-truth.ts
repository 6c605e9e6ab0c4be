import type { PodRef, XidEvent } from './types.js';

export const scenarioKinds = [
  'idle-memory-held',
  'busy-training',
  'memory-bound',
  'thermal-throttled',
  'xid-burst',
  'mig-partitioned',
  'exporter-hang',
  'multi-node-straggler',
  'ib-congested-port',
  'ib-counter-wrap',
  'ib-counter-reset',
  'ib-link-flap',
  'nvlink-errors',
  'nvlink-zero',
  'idle-allocated',
  'encoder-only',
  'gr-engine-zero',
  'input-bound',
  'launch-overhead',
  'compute-bound',
  'frozen-exporter',
  'fewer-gpus',
  'mig-fits',
  'ecc-rising',
  'driver-drift',
  'job-gap',
] as const;

export type ScenarioKind = (typeof scenarioKinds)[number];

interface ScenarioBase {
  /** `<kind>-<n>`, stable for a seed and fleet size. */
  id: string;
  node: string;
  gpuUuid?: string;
  gpuInstanceId?: number;
  /** Every node of a scenario spanning nodes, `node` first. */
  nodes?: string[];
  /** InfiniBand scenarios: the HCA (`mlx5_<n>`, serving GPU n) and its port. */
  device?: string;
  port?: number;
  /** The Slurm job id, or `<namespace>/<name>` of the Kubernetes workload, that the scenario belongs to. */
  jobId?: string;
  /** The pod holding the scenario's GPUs, on a Kubernetes node (analyzer scenarios). */
  pod?: PodRef;
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
    | FabricScenarioTruth
    | AnalyzerScenarioTruth
  );

export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/** Scenarios on the fabric and across nodes; rates per second, counters as node_exporter/DCGM print them. */
export type FabricScenarioTruth =
  | {
      kind: 'multi-node-straggler';
      expect: {
        scheduler: 'slurm';
        gpuUuids: string[];
        stragglerGpuUuid: string;
        stragglerActivityMax: number;
        peerActivityMin: number;
      };
    }
  | {
      kind: 'ib-congested-port';
      expect: {
        scheduler: 'kubernetes';
        owner: { kind: 'PyTorchJob'; namespace: string; name: string };
        pods: PodRef[];
        txUtilizationMin: number;
        xmitWaitPerSecondMin: number;
        peerXmitWaitPerSecondMax: number;
      };
    }
  | {
      kind: 'ib-counter-wrap';
      expect: {
        counterBits: 32;
        counters: ['port_xmit_data', 'port_rcv_data'];
        firstWrapMs: number;
        wrapPeriodSeconds: number;
        bytesPerSecond: number;
      };
    }
  | { kind: 'ib-counter-reset'; expect: { resetAtMs: number } }
  | {
      kind: 'ib-link-flap';
      expect: {
        downIntervals: TimeWindow[];
        linkDownedIncrease: number;
        symbolErrorIncrease: number;
        linkErrorRecoveryIncrease: number;
      };
    }
  | {
      kind: 'nvlink-errors';
      expect: {
        /** Printed only by a fleet created with `nvlinkErrorCounters: true`. */
        requiresOption: 'nvlinkErrorCounters';
        crcFlitErrorsPerSecond: number;
        crcDataErrorsPerSecond: number;
        replayErrorsPerSecond: number;
        recoveryErrorsPerSecond: number;
      };
    }
  | {
      kind: 'nvlink-zero';
      expect: {
        jobGpuUuids: string[];
        activityMin: number;
        nvlinkBytesPerSecond: 0;
        peerNvlinkBytesPerSecondMin: number;
      };
    };

/**
 * Scenarios placed for the analyzer's detectors (analyzer-scenarios.ts): idle and its hard negatives, the
 * bottleneck classes, data quality, right-sizing, health and config drift. Each names its job (`jobId`, and
 * `pod` on Kubernetes) except `driver-drift`, a node attribute, and `job-gap`, which names its two in `expect`.
 */
export type AnalyzerScenarioTruth =
  | { kind: 'idle-allocated'; expect: { activityMax: number; memoryUsedMib: number } }
  | { kind: 'encoder-only'; expect: { encoderMin: number; activityMax: number } }
  | { kind: 'gr-engine-zero'; expect: { gpuUtilMin: number; grEngineActive: 0 } }
  | { kind: 'input-bound'; gpuUuids: string[]; expect: { bottleneck: 'input_bound'; activityMax: number } }
  | { kind: 'launch-overhead'; expect: { bottleneck: 'launch_overhead' } }
  | { kind: 'compute-bound'; expect: { bottleneck: 'compute_bound' } }
  | { kind: 'frozen-exporter'; expect: { frozenFromMs: number } }
  | {
      kind: 'fewer-gpus';
      /** Every GPU of the job, and the ones it holds without using (also idle-allocated positives). */
      gpuUuids: string[];
      idleGpuUuids: string[];
      expect: { usedGpus: number };
    }
  | {
      kind: 'mig-fits';
      expect: { memoryUsedMib: number; activityMax: number; fitsProfile: '1g.10gb' };
    }
  | {
      kind: 'ecc-rising';
      expect: { sbePerMinute: number; correctableRemappedRowsIncrease: 1; remapAtMs: number };
    }
  | { kind: 'driver-drift'; expect: { driverVersion: string; poolDriverVersion: string } }
  | {
      /** An idle negative: one Slurm job ends, the GPU is unallocated and flat idle, the next job starts. */
      kind: 'job-gap';
      expect: { gapFromMs: number; gapToMs: number; jobBefore: string; jobAfter: string };
    };

export interface GroundTruth {
  seed: number;
  nodeCount: number;
  gpusPerNode: number;
  startMs: number;
  scenarios: ScenarioTruth[];
  /** Drift scenarios over simulated days: only a `createDriftFleet` fleet has them (its `scenarios` is empty). */
  drift?: DriftScenarioTruth[];
}

/**
 * Recurring-job efficiency and team spend drift, with their hard negatives (drift-scenarios.ts). Only
 * `createDriftFleet` plants them (they span simulated days), so they are not in `scenarioKinds`.
 */
export const driftScenarioKinds = [
  'job-drift-latest',
  'job-drift-gradual',
  'job-steady-noisy',
  'spend-jump',
  'spend-growth',
  'spend-fall',
] as const;

/** One run of a recurring Slurm job: its id, its time, the activity level its GPUs run at. */
export interface RecurringRunTruth {
  jobId: string;
  fromMs: number;
  toMs: number;
  activityLevel: number;
}

/** One UTC day of a team's planted GPU use: one pod of a CronJob's Job, on every GPU of the scenario. */
export interface TeamDayTruth {
  dayMs: number;
  /** The Job (`<cronjob>-<scheduled minute>`) and its pod. */
  job: string;
  pod: string;
  fromMs: number;
  toMs: number;
  gpuMinutes: number;
}

/**
 * One drift scenario (`id` `<kind>-<n>`, `node` where it runs, `jobId` the newest run's Slurm id for job
 * series). `expect.finding` is the finding kind a drift detector should raise for `expect.subject`, or null (a negative). */
export type DriftScenarioTruth = Pick<ScenarioBase, 'id' | 'node' | 'jobId'> &
  (
    | {
        kind: 'job-drift-latest' | 'job-drift-gradual' | 'job-steady-noisy';
        gpuUuids: string[];
        expect: {
          finding: 'drift_job_efficiency' | null;
          /** The series' newest run, which a finding names. */
          subject: { type: 'job'; id: string };
          /** The test that should fire: the newest run alone, or the last three runs together. */
          test: 'latest run' | 'last 3 runs' | null;
          name: string;
          user: string;
          gpusAllocated: number;
          runs: RecurringRunTruth[];
        };
      }
    | {
        kind: 'spend-jump' | 'spend-growth' | 'spend-fall';
        gpuUuids: string[];
        expect: {
          finding: 'drift_spend' | null;
          subject: { type: 'team'; id: string };
          namespace: string;
          /** Oldest first; the last is the day a detector judges against the trend of the others. */
          days: TeamDayTruth[];
        };
      }
  );
