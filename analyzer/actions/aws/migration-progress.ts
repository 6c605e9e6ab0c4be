import type { DrainSummary } from '../types.js';
import type { FleetLaunch } from './launch-replacement-fleet.js';
import { readLatestStep } from './read-checkpoint.js';

/** The spot migration's steps, in order; each is checkpointed with the cumulative progress once it is done. */
export const migrationSteps = [
  'fleet_created',
  'new_node_ready',
  'old_node_cordon_requested',
  'old_node_cordoned',
  'old_node_drained',
  'old_instance_terminated',
] as const;
export type MigrationStep = (typeof migrationSteps)[number];

export interface MigrationProgress {
  fleet?: FleetLaunch | undefined;
  newNodes?: string[] | undefined;
  /** Set before the cordon call, so a crash during it still leads rollback to uncordon. */
  cordonRequested?: boolean | undefined;
  cordoned?: boolean | undefined;
  drain?: DrainSummary | undefined;
  terminated?: boolean | undefined;
}

/** The progress saved by earlier attempts (cumulative data of the furthest step). */
export function readMigrationProgress(checkpoint: Readonly<Record<string, unknown>>): MigrationProgress {
  const latest = readLatestStep(checkpoint, migrationSteps);
  if (!latest) return {};
  const data = latest.data as MigrationProgress & { step?: string };
  return {
    fleet: data.fleet,
    newNodes: data.newNodes,
    cordonRequested: data.cordonRequested,
    cordoned: data.cordoned,
    drain: data.drain,
    terminated: data.terminated,
  };
}

export function newInstanceIds(progress: MigrationProgress): string[] {
  return progress.fleet?.instances.map((i) => i.instanceId) ?? [];
}
