import type { Clock } from '../../../core/clock.js';
import { type AwsActionsConfig, AwsActionsConfig as AwsActionsSchema } from '../../../core/config.js';
import type { Logger } from '../../../core/log.js';
import type { ActionExecutor, NodeOperations } from '../types.js';
import type { AwsActionClients } from './aws-action-clients.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { createMigrateToSpotExecutor, type SpotMigrationSettings } from './migrate-to-spot-executor.js';
import { createScaleAsgExecutor } from './scale-asg-executor.js';
import { createTerminateInstanceExecutor } from './terminate-instance-executor.js';

export interface AwsActionExecutorDeps {
  clients: AwsActionClients;
  clock: Clock;
  nodes: NodeOperations;
  log: Logger;
  metrics: AwsActionMetrics;
  settings: SpotMigrationSettings;
}

/** `awsActions` (defaults when the section is absent) → the spot migration's settings. */
export function resolveSpotMigrationSettings(config: AwsActionsConfig | undefined): SpotMigrationSettings {
  const resolved = config ?? AwsActionsSchema.parse({});
  return {
    onDemandFallback: resolved.onDemandFallback,
    nodeReadyTimeoutSeconds: resolved.nodeReadyTimeoutSeconds,
    drainTimeoutSeconds: resolved.drainTimeoutSeconds,
  };
}

/** The executors for `scale_asg`, `terminate_instance` and `migrate_to_spot`, for the engine's registry. */
export function createAwsActionExecutors(deps: AwsActionExecutorDeps): ActionExecutor[] {
  const { ec2, autoScaling } = deps.clients;
  const base = { log: deps.log, metrics: deps.metrics };
  return [
    createScaleAsgExecutor({ ...base, autoScaling, clock: deps.clock }),
    createTerminateInstanceExecutor({ ...base, ec2 }),
    createMigrateToSpotExecutor({ ...base, ec2, nodes: deps.nodes, settings: deps.settings }),
  ];
}
