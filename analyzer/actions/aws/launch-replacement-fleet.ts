import { createHash } from 'node:crypto';
import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type EC2Client,
  type FleetLaunchTemplateOverridesRequest,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../../../core/log.js';
import { err, ok, type Result } from '../../../core/result.js';
import type { ActionFailure } from '../types.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { callAws, toActionFailure } from './call-aws.js';
import { type AwsErrorClass, classifyFleetErrorCode } from './classify-aws-error.js';

export const replacesTag = 'gpuscope.io/replaces';
export const actionTag = 'gpuscope.io/action';

export type CapacityType = 'spot' | 'on-demand';

export interface FleetLaunchSpec {
  launchTemplateId: string;
  launchTemplateVersion?: string | undefined;
  /** In order of preference; price-capacity-optimized weighs them for spot, on-demand takes them in order. */
  instanceTypes: readonly string[];
  subnetIds?: readonly string[] | undefined;
  count: number;
  /** The instance being replaced (tagged onto the new ones). */
  replaces: string;
  idempotencyKey: string;
}

export interface LaunchedInstance {
  instanceId: string;
  instanceType: string | undefined;
  availabilityZone: string | undefined;
  lifecycle: string;
}

export interface FleetErrorEntry {
  code: string;
  message: string;
  errorClass: AwsErrorClass;
  instanceType?: string | undefined;
  availabilityZone?: string | undefined;
  lifecycle?: string | undefined;
}

export interface FleetLaunch {
  fleetIds: string[];
  capacityType: CapacityType;
  wanted: number;
  instances: LaunchedInstance[];
  /** Pools that could not launch, from `Errors[]` of every attempt (kept even when some capacity came). */
  errors: FleetErrorEntry[];
}

/** A CreateFleet ClientToken (≤ 64 ASCII characters) that is the same for every retry of one action and purpose. */
export function deriveClientToken(idempotencyKey: string, purpose: CapacityType): string {
  const digest = createHash('sha256').update(`${idempotencyKey}\n${purpose}`).digest('hex').slice(0, 40);
  return `gpuscope-${purpose}-${digest}`;
}

/** The value of the `gpuscope.io/action` tag on replacements: tag values are limited to 256 characters. */
export function actionTagValue(idempotencyKey: string): string {
  return idempotencyKey.length <= 256
    ? idempotencyKey
    : createHash('sha256').update(idempotencyKey).digest('hex');
}

function buildOverrides(spec: FleetLaunchSpec, withPriority: boolean): FleetLaunchTemplateOverridesRequest[] {
  const subnets = spec.subnetIds && spec.subnetIds.length > 0 ? spec.subnetIds : [undefined];
  return spec.instanceTypes.flatMap((type, index) =>
    subnets.map((subnet) => ({
      InstanceType: type as FleetLaunchTemplateOverridesRequest['InstanceType'],
      ...(subnet ? { SubnetId: subnet } : {}),
      ...(withPriority ? { Priority: index } : {}),
    })),
  );
}

export function buildCreateFleetInput(
  spec: FleetLaunchSpec,
  capacityType: CapacityType,
  options: { dryRun?: boolean } = {},
): CreateFleetCommandInput {
  const spot = capacityType === 'spot';
  return {
    Type: 'instant',
    // A dry run launches nothing, so it carries no ClientToken: one must never be reused with other parameters.
    ...(options.dryRun
      ? { DryRun: true }
      : { ClientToken: deriveClientToken(spec.idempotencyKey, capacityType) }),
    TargetCapacitySpecification: {
      TotalTargetCapacity: spec.count,
      DefaultTargetCapacityType: capacityType,
      ...(spot ? { SpotTargetCapacity: spec.count } : { OnDemandTargetCapacity: spec.count }),
    },
    ...(spot
      ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' } }
      : { OnDemandOptions: { AllocationStrategy: 'prioritized' } }),
    LaunchTemplateConfigs: [
      {
        LaunchTemplateSpecification: {
          LaunchTemplateId: spec.launchTemplateId,
          Version: spec.launchTemplateVersion ?? '$Default',
        },
        Overrides: buildOverrides(spec, !spot),
      },
    ],
    TagSpecifications: [
      {
        ResourceType: 'instance',
        Tags: [
          { Key: replacesTag, Value: spec.replaces },
          { Key: actionTag, Value: actionTagValue(spec.idempotencyKey) },
        ],
      },
    ],
  };
}

/** Pure: an instant fleet's `Instances[]` and `Errors[]`, which come together when only part of the capacity launched. */
export function parseCreateFleetOutput(
  output: Pick<CreateFleetCommandOutput, 'FleetId' | 'Instances' | 'Errors'>,
): { fleetId: string | undefined; instances: LaunchedInstance[]; errors: FleetErrorEntry[] } {
  const instances = (output.Instances ?? []).flatMap((group) =>
    (group.InstanceIds ?? []).map((instanceId) => ({
      instanceId,
      instanceType: group.InstanceType ?? group.LaunchTemplateAndOverrides?.Overrides?.InstanceType,
      availabilityZone: group.LaunchTemplateAndOverrides?.Overrides?.AvailabilityZone,
      lifecycle: group.Lifecycle ?? 'unknown',
    })),
  );
  const errors = (output.Errors ?? []).map((e) => ({
    code: e.ErrorCode ?? 'Unknown',
    message: e.ErrorMessage ?? '',
    errorClass: classifyFleetErrorCode(e.ErrorCode),
    instanceType: e.LaunchTemplateAndOverrides?.Overrides?.InstanceType,
    availabilityZone: e.LaunchTemplateAndOverrides?.Overrides?.AvailabilityZone,
    lifecycle: e.Lifecycle,
  }));
  return { fleetId: output.FleetId, instances, errors };
}

/** Why a fleet launched nothing: capacity (try elsewhere or later), retryable, or permanent. */
function summarizeEmptyFleet(errors: readonly FleetErrorEntry[]): ActionFailure & { capacity: boolean } {
  const codes = [...new Set(errors.map((e) => e.code))];
  const capacity = errors.length === 0 || errors.some((e) => e.errorClass === 'capacity');
  const retryable = capacity || errors.some((e) => e.errorClass !== 'permanent');
  const pools = errors
    .map((e) => `${e.instanceType ?? '?'}@${e.availabilityZone ?? '?'}: ${e.code}`)
    .join('; ');
  return {
    code: capacity ? 'InsufficientInstanceCapacity' : (codes[0] ?? 'Unknown'),
    message: `CreateFleet launched no instance (${pools || 'no errors reported'})`,
    retryable,
    capacity,
  };
}

export interface LaunchDeps {
  ec2: EC2Client;
  log: Logger;
  metrics: AwsActionMetrics;
}

type Attempt =
  | { launched: true; fleetId: string | undefined; instances: LaunchedInstance[]; errors: FleetErrorEntry[] }
  | { launched: false; failure: ActionFailure; capacity: boolean; errors: FleetErrorEntry[] };

async function attemptFleet(
  deps: LaunchDeps,
  spec: FleetLaunchSpec,
  capacityType: CapacityType,
): Promise<Attempt> {
  const sent = await callAws(deps, 'CreateFleet', () =>
    deps.ec2.send(new CreateFleetCommand(buildCreateFleetInput(spec, capacityType))),
  );
  if (!sent.ok) {
    return {
      launched: false,
      failure: toActionFailure(sent.error),
      capacity: sent.error.errorClass === 'capacity',
      errors: [],
    };
  }
  const parsed = parseCreateFleetOutput(sent.value);
  if (parsed.instances.length > 0) return { launched: true, ...parsed };
  const { capacity, ...failure } = summarizeEmptyFleet(parsed.errors);
  return { launched: false, failure, capacity, errors: parsed.errors };
}

/**
 * Launches the replacement: spot first (price-capacity-optimized over the listed types), then, when spot has no
 * capacity and `onDemandFallback` is on, on-demand in the listed order. Fewer instances than wanted are used as they
 * came, with the pools that failed recorded.
 */
export async function launchReplacementFleet(
  deps: LaunchDeps,
  spec: FleetLaunchSpec,
  options: { onDemandFallback: boolean },
): Promise<Result<FleetLaunch, ActionFailure>> {
  const spot = await attemptFleet(deps, spec, 'spot');
  let final = spot;
  let capacityType: CapacityType = 'spot';
  if (!spot.launched && spot.capacity && options.onDemandFallback) {
    deps.log.warn(
      { replaces: spec.replaces, code: spot.failure.code },
      'no spot capacity; falling back to on-demand',
    );
    final = await attemptFleet(deps, spec, 'on-demand');
    capacityType = 'on-demand';
  }
  const errors = [...spot.errors, ...(final === spot ? [] : final.errors)];
  if (!final.launched) {
    deps.metrics.recordFleetLaunch(final.capacity ? 'no_capacity' : 'failed');
    return err(final.failure);
  }
  const partial = final.instances.length < spec.count;
  deps.metrics.recordFleetLaunch(partial ? 'partial' : capacityType === 'spot' ? 'spot' : 'on_demand');
  if (errors.length > 0)
    deps.log.info({ replaces: spec.replaces, errors }, 'fleet launched with pool errors');
  return ok({
    fleetIds: final.fleetId ? [final.fleetId] : [],
    capacityType,
    wanted: spec.count,
    instances: final.instances,
    errors,
  });
}
