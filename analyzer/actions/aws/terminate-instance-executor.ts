import { type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Logger } from '../../../core/log.js';
import { err, ok, type Result } from '../../../core/result.js';
import type {
  ActionExecutor,
  ActionFailure,
  ActionRequest,
  PreconditionSnapshot,
  StepOutcome,
} from '../types.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { callAws, toActionFailure } from './call-aws.js';
import {
  describeInstance,
  doNotDisruptTag,
  isOptedOut,
  readTerminationProtection,
} from './describe-instance.js';
import { readCheckpointStep } from './read-checkpoint.js';

export interface TerminateInstanceDeps {
  ec2: EC2Client;
  log: Logger;
  metrics: AwsActionMetrics;
}

function refuse(code: string, message: string, retryable = false): Result<never, ActionFailure> {
  return err({ code, message, retryable });
}

function instanceIdOf(req: ActionRequest): string | undefined {
  return req.target.type === 'instance' ? req.target.instanceId : undefined;
}

/** Terminates one idle on-demand instance: never spot, never protected, never one tagged do-not-disrupt. */
export function createTerminateInstanceExecutor(deps: TerminateInstanceDeps): ActionExecutor {
  const { ec2 } = deps;
  return {
    kinds: ['terminate_instance'],

    async checkPreconditions(req) {
      const instanceId = instanceIdOf(req);
      if (!instanceId)
        return refuse('VALIDATION', `terminate_instance needs an instance target, got ${req.target.type}`);
      const described = await callAws(deps, 'DescribeInstances', () => describeInstance(ec2, instanceId));
      if (!described.ok) return err(toActionFailure(described.error));
      const facts = described.value;
      if (!facts) return refuse('InvalidInstanceID.NotFound', `instance ${instanceId} not found`);
      if (facts.state !== 'running')
        return refuse('IncorrectInstanceState', `${instanceId} is ${facts.state}, not running`);
      if (facts.lifecycle !== 'on-demand') {
        return refuse(
          'NotOnDemand',
          `${instanceId} is a ${facts.lifecycle} instance; only on-demand ones are terminated`,
        );
      }
      if (isOptedOut(facts)) return refuse('OptedOut', `${instanceId} is tagged ${doNotDisruptTag}=true`);
      const protection = await callAws(deps, 'DescribeInstanceAttribute', () =>
        readTerminationProtection(ec2, instanceId),
      );
      if (!protection.ok) return err(toActionFailure(protection.error));
      if (protection.value)
        return refuse('TerminationProtected', `${instanceId} has termination protection on`);
      const snapshot: PreconditionSnapshot = {
        observed: {
          instanceId,
          state: facts.state,
          lifecycle: facts.lifecycle,
          instanceType: facts.instanceType,
          availabilityZone: facts.availabilityZone,
          terminationProtection: false,
        },
      };
      return ok(snapshot);
    },

    async dryRun(req) {
      const instanceId = instanceIdOf(req);
      if (!instanceId) return refuse('VALIDATION', 'terminate_instance needs an instance target');
      return dryRunTerminate(deps, instanceId);
    },

    async execute(req, ctx) {
      const instanceId = instanceIdOf(req);
      if (!instanceId) return refuse('VALIDATION', 'terminate_instance needs an instance target');
      const requestedBefore = readCheckpointStep(ctx.checkpoint, 'terminate_requested') !== undefined;
      await ctx.saveCheckpoint('terminate_requested', { step: 'terminate_requested', instanceId });
      const result = await terminateInstance(deps, instanceId);
      // A retry after a crash finds the instance already gone from EC2's listing: the termination happened.
      if (!result.ok && requestedBefore && result.error.code === 'InvalidInstanceID.NotFound') {
        return ok({ detail: { instanceId, alreadyTerminated: true } });
      }
      return result;
    },

    async rollback(req) {
      return ok({
        detail: {
          instanceId: instanceIdOf(req),
          nothingToRollBack: true,
          reason: 'an EC2 termination cannot be undone; nothing else was changed',
        },
      });
    },
  };
}

export async function dryRunTerminate(
  deps: TerminateInstanceDeps,
  instanceId: string,
): Promise<Result<StepOutcome, ActionFailure>> {
  const result = await callAws(deps, 'TerminateInstances', () =>
    deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId], DryRun: true })),
  );
  if (result.ok)
    return refuse(
      'DryRunNotHonored',
      'TerminateInstances with DryRun returned success instead of DryRunOperation',
    );
  if (result.error.errorClass === 'dry_run_ok') {
    return ok({ detail: { operation: 'TerminateInstances', instanceId, dryRun: 'DryRunOperation' } });
  }
  return err(toActionFailure(result.error));
}

export async function terminateInstance(
  deps: TerminateInstanceDeps,
  instanceId: string,
): Promise<Result<StepOutcome, ActionFailure>> {
  const result = await callAws(deps, 'TerminateInstances', () =>
    deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
  );
  if (!result.ok) return err(toActionFailure(result.error));
  const change = result.value.TerminatingInstances?.find((c) => c.InstanceId === instanceId);
  deps.log.info({ instanceId, currentState: change?.CurrentState?.Name }, 'instance termination requested');
  return ok({
    detail: {
      instanceId,
      previousState: change?.PreviousState?.Name,
      currentState: change?.CurrentState?.Name,
    },
  });
}
