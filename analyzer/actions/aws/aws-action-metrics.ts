import { Counter, type Registry } from 'prom-client';
import type { AwsErrorClass } from './classify-aws-error.js';

export type FleetLaunchOutcome = 'spot' | 'on_demand' | 'partial' | 'no_capacity' | 'failed';
export type InterruptionOutcome = 'drained' | 'drain_incomplete' | 'no_node' | 'failed';

/** Counters of the AWS executors; labels are closed sets (SDK operation names, classes, outcomes). */
export interface AwsActionMetrics {
  recordApiError(operation: string, errorClass: AwsErrorClass): void;
  recordFleetLaunch(outcome: FleetLaunchOutcome): void;
  recordInterruption(outcome: InterruptionOutcome): void;
}

export function createAwsActionMetrics(registry: Registry): AwsActionMetrics {
  const apiErrors = new Counter({
    name: 'gpuscope_aws_action_api_errors_total',
    help: 'AWS API calls made by actions that failed, by SDK operation and error class (count).',
    labelNames: ['operation', 'class'],
    registers: [registry],
  });
  const fleetLaunches = new Counter({
    name: 'gpuscope_spot_migration_fleet_launches_total',
    help: 'CreateFleet launches for spot migrations, by outcome (count).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const interruptions = new Counter({
    name: 'gpuscope_spot_interruptions_handled_total',
    help: 'Spot interruption warnings handled (cordon and drain), by outcome (count).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    recordApiError: (operation, errorClass) => apiErrors.inc({ operation, class: errorClass }),
    recordFleetLaunch: (outcome) => fleetLaunches.inc({ outcome }),
    recordInterruption: (outcome) => interruptions.inc({ outcome }),
  };
}

export const noopAwsActionMetrics: AwsActionMetrics = {
  recordApiError: () => {},
  recordFleetLaunch: () => {},
  recordInterruption: () => {},
};
