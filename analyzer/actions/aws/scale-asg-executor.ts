import {
  type Activity,
  type AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import { err, ok, type Result } from '../../../core/result.js';
import type { ActionExecutor, ActionFailure, ActionRequest } from '../types.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { callAws, toActionFailure } from './call-aws.js';
import { readCheckpointStep } from './read-checkpoint.js';

export interface ScaleAsgDeps {
  autoScaling: AutoScalingClient;
  clock: Clock;
  log: Logger;
  metrics: AwsActionMetrics;
}

/** Scaling activity states after which the group is settled; every other StatusCode is still in progress. */
const settledActivityStates = new Set(['Successful', 'Failed', 'Cancelled']);

export interface AsgCheck {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  targetCapacity: number;
  inProgressActivities: string[];
}

function targetOf(req: ActionRequest): { name: string; desiredCapacity: number } | undefined {
  return req.target.type === 'asg'
    ? { name: req.target.name, desiredCapacity: req.target.desiredCapacity }
    : undefined;
}

function refuse(code: string, message: string, retryable = false): Result<never, ActionFailure> {
  return err({ code, message, retryable });
}

/** Pure: why this group cannot be set to `target` now, or undefined when it can. */
export function findScaleBlocker(
  group: AutoScalingGroup,
  target: number,
  activities: readonly Activity[],
  nowMs: number,
): { code: string; message: string; retryable: boolean } | undefined {
  const name = group.AutoScalingGroupName ?? '?';
  const min = group.MinSize ?? 0;
  const max = group.MaxSize ?? 0;
  if (!Number.isInteger(target) || target < 0) {
    return {
      code: 'VALIDATION',
      message: `${name}: desired capacity ${target} is not a whole number ≥ 0`,
      retryable: false,
    };
  }
  if (target < min || target > max) {
    return {
      code: 'OutOfBounds',
      message: `${name}: ${target} is outside min ${min} / max ${max}`,
      retryable: false,
    };
  }
  if (group.DesiredCapacity === target) {
    return {
      code: 'AlreadyAtTarget',
      message: `${name}: desired capacity is already ${target}`,
      retryable: false,
    };
  }
  const busy = activities.filter((a) => !settledActivityStates.has(a.StatusCode ?? ''));
  if (busy.length > 0) {
    const ids = busy.map((a) => `${a.ActivityId} (${a.StatusCode})`).join(', ');
    return {
      code: 'ScalingActivityInProgress',
      message: `${name}: scaling activity in progress: ${ids}`,
      retryable: true,
    };
  }
  const cooldownEndsMs = findCooldownEnd(group, activities);
  if (cooldownEndsMs !== undefined && cooldownEndsMs > nowMs) {
    return {
      code: 'CooldownActive',
      message: `${name}: in its ${group.DefaultCooldown} s cooldown until ${new Date(cooldownEndsMs).toISOString()}`,
      retryable: true,
    };
  }
  return undefined;
}

/** When the group's default cooldown after its latest finished activity ends (SetDesiredCapacity honours it). */
function findCooldownEnd(group: AutoScalingGroup, activities: readonly Activity[]): number | undefined {
  const ends = activities.flatMap((a) => (a.EndTime ? [a.EndTime.getTime()] : []));
  if (ends.length === 0 || !group.DefaultCooldown) return undefined;
  return Math.max(...ends) + group.DefaultCooldown * 1000;
}

async function readGroup(deps: ScaleAsgDeps, name: string): Promise<Result<AutoScalingGroup, ActionFailure>> {
  const groups = await callAws(deps, 'DescribeAutoScalingGroups', () =>
    deps.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  if (!groups.ok) return err(toActionFailure(groups.error));
  const group = groups.value.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
  return group ? ok(group) : refuse('NotFound', `Auto Scaling group ${name} not found`);
}

async function checkGroup(
  deps: ScaleAsgDeps,
  name: string,
  target: number,
): Promise<Result<AsgCheck, ActionFailure>> {
  const read = await readGroup(deps, name);
  if (!read.ok) return read;
  const group = read.value;
  const activities = await callAws(deps, 'DescribeScalingActivities', () =>
    deps.autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: 20 }),
    ),
  );
  if (!activities.ok) return err(toActionFailure(activities.error));
  const list = activities.value.Activities ?? [];
  const blocker = findScaleBlocker(group, target, list, deps.clock.now());
  if (blocker) return err(blocker);
  return ok({
    name,
    minSize: group.MinSize ?? 0,
    maxSize: group.MaxSize ?? 0,
    desiredCapacity: group.DesiredCapacity ?? 0,
    targetCapacity: target,
    inProgressActivities: [],
  });
}

async function setDesired(
  deps: ScaleAsgDeps,
  name: string,
  desired: number,
  honorCooldown: boolean,
): Promise<Result<void, ActionFailure>> {
  const result = await callAws(deps, 'SetDesiredCapacity', () =>
    deps.autoScaling.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: name,
        DesiredCapacity: desired,
        HonorCooldown: honorCooldown,
      }),
    ),
  );
  return result.ok ? ok(undefined) : err(toActionFailure(result.error));
}

/**
 * Sets an Auto Scaling group's desired capacity, honouring the group's cooldown. Auto Scaling has no DryRun
 * parameter: the dry run re-reads the group and its activities and checks the bounds instead.
 */
export function createScaleAsgExecutor(deps: ScaleAsgDeps): ActionExecutor {
  return {
    kinds: ['scale_asg'],

    async checkPreconditions(req) {
      const target = targetOf(req);
      if (!target) return refuse('VALIDATION', `scale_asg needs an asg target, got ${req.target.type}`);
      const check = await checkGroup(deps, target.name, target.desiredCapacity);
      return check.ok ? ok({ observed: { ...check.value } }) : check;
    },

    async dryRun(req) {
      const target = targetOf(req);
      if (!target) return refuse('VALIDATION', 'scale_asg needs an asg target');
      const check = await checkGroup(deps, target.name, target.desiredCapacity);
      if (!check.ok) return check;
      return ok({
        detail: {
          ...check.value,
          validatedBy: 'DescribeAutoScalingGroups + DescribeScalingActivities + min/max bounds',
          note: 'Auto Scaling has no DryRun parameter; the real call honours the group cooldown (HonorCooldown: true)',
        },
      });
    },

    async execute(req, ctx) {
      const target = targetOf(req);
      if (!target) return refuse('VALIDATION', 'scale_asg needs an asg target');
      const saved = readCheckpointStep(ctx.checkpoint, 'desired_capacity_recorded');
      let previous =
        typeof saved?.previousDesiredCapacity === 'number' ? saved.previousDesiredCapacity : undefined;
      if (previous !== undefined) {
        // Resumed after a crash: the earlier attempt may have resized the group already (and started its cooldown).
        const read = await readGroup(deps, target.name);
        if (!read.ok) return read;
        if (read.value.DesiredCapacity === target.desiredCapacity) {
          return ok({
            detail: {
              group: target.name,
              previousDesiredCapacity: previous,
              desiredCapacity: target.desiredCapacity,
              resumed: true,
            },
          });
        }
      } else {
        const check = await checkGroup(deps, target.name, target.desiredCapacity);
        if (!check.ok) return check;
        previous = check.value.desiredCapacity;
        await ctx.saveCheckpoint('desired_capacity_recorded', {
          step: 'desired_capacity_recorded',
          group: target.name,
          previousDesiredCapacity: previous,
          targetCapacity: target.desiredCapacity,
        });
      }
      const set = await setDesired(deps, target.name, target.desiredCapacity, true);
      if (!set.ok) return set;
      deps.log.info(
        { group: target.name, from: previous, to: target.desiredCapacity },
        'auto scaling group resized',
      );
      return ok({
        detail: {
          group: target.name,
          previousDesiredCapacity: previous,
          desiredCapacity: target.desiredCapacity,
        },
      });
    },

    async rollback(req, ctx) {
      const target = targetOf(req);
      const saved = readCheckpointStep(ctx.checkpoint, 'desired_capacity_recorded');
      const previous = saved?.previousDesiredCapacity;
      if (!target || typeof previous !== 'number') {
        return ok({ detail: { nothingToRollBack: true, reason: 'the desired capacity was never changed' } });
      }
      // Undoing our own change should not wait out the cooldown our change started.
      const set = await setDesired(deps, target.name, previous, false);
      if (!set.ok) return set;
      return ok({ detail: { group: target.name, restoredDesiredCapacity: previous } });
    },
  };
}
