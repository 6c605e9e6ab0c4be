import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../core/clock.js';
import { createSilentLogger } from '../../../core/log.js';
import { autoScalingExamples, captureAutoScalingError } from '../../../test/fixtures/aws-actions/load.js';
import type { ActionRequest } from '../types.js';
import { noopAwsActionMetrics } from './aws-action-metrics.js';
import { createFakeContext } from './fake-execution-context.js';
import { createScaleAsgExecutor, findScaleBlocker } from './scale-asg-executor.js';

const autoScaling = new AutoScalingClient({ region: 'us-west-2' });
const asgMock = mockClient(autoScaling);
const now = Date.parse('2026-12-03T10:00:00Z');
const executor = createScaleAsgExecutor({
  autoScaling,
  clock: createManualClock(now),
  log: createSilentLogger(),
  metrics: noopAwsActionMetrics,
});
const examples = autoScalingExamples();
const group = 'my-auto-scaling-group';
// botocore's group: min 0, desired 1, max 1.
const scaleTo = (desiredCapacity: number): ActionRequest => ({
  kind: 'scale_asg',
  target: { type: 'asg', name: group, desiredCapacity },
  reason: 'scale_down',
});

beforeEach(() => {
  asgMock.reset();
  asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [examples.group as never] });
  asgMock.on(DescribeScalingActivitiesCommand).resolves({ Activities: examples.settledActivities as never });
  asgMock.on(SetDesiredCapacityCommand).resolves({});
});
afterAll(() => asgMock.restore());

describe('findScaleBlocker', () => {
  it('allows a change inside min/max when every activity is settled', () => {
    expect(
      findScaleBlocker(examples.group as never, 0, examples.settledActivities as never, now),
    ).toBeUndefined();
  });

  it('names the bound, the target already reached, and an activity in progress', () => {
    const g = examples.group as never;
    expect(findScaleBlocker(g, 2, [], now)?.code).toBe('OutOfBounds');
    expect(findScaleBlocker(g, 1, [], now)?.code).toBe('AlreadyAtTarget');
    expect(findScaleBlocker(g, -1, [], now)?.code).toBe('VALIDATION');
    expect(findScaleBlocker(g, 0, examples.inProgressActivities as never, now)).toEqual({
      code: 'ScalingActivityInProgress',
      message: `${group}: scaling activity in progress: 5091cb52-547a-47ce-a236-c9ccbc2cb2c9 (InProgress)`,
      retryable: true,
    });
  });
});

describe('findScaleBlocker cooldown', () => {
  it('waits out the group default cooldown (300 s) after its latest finished activity', () => {
    const endedAt = new Date(now - 100_000);
    const recent = examples.settledActivities.map((a) => ({ ...a, EndTime: endedAt }));
    expect(findScaleBlocker(examples.group as never, 0, recent as never, now)).toEqual({
      code: 'CooldownActive',
      message: `${group}: in its 300 s cooldown until 2026-12-03T10:03:20.000Z`,
      retryable: true,
    });
    expect(findScaleBlocker(examples.group as never, 0, recent as never, now + 200_000)).toBeUndefined();
  });
});

describe('checkPreconditions and dryRun', () => {
  it('records min, max and desired capacity before acting', async () => {
    const result = await executor.checkPreconditions(scaleTo(0));
    expect(result).toMatchObject({
      ok: true,
      value: { observed: { minSize: 0, maxSize: 1, desiredCapacity: 1, targetCapacity: 0 } },
    });
  });

  it('refuses while a scaling activity is in progress, retryably', async () => {
    asgMock
      .on(DescribeScalingActivitiesCommand)
      .resolves({ Activities: examples.inProgressActivities as never });
    const result = await executor.checkPreconditions(scaleTo(0));
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'ScalingActivityInProgress', retryable: true },
    });
  });

  it('refuses an unknown group', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    const result = await executor.checkPreconditions(scaleTo(0));
    expect(result).toMatchObject({ ok: false, error: { code: 'NotFound', retryable: false } });
  });

  it('validates by describe and bounds (Auto Scaling has no DryRun) and sets nothing', async () => {
    const result = await executor.dryRun(scaleTo(0), { observed: {} });
    expect(result.ok && result.value.detail.note).toMatch(/no DryRun parameter/);
    expect(asgMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
  });

  it('fails the dry run on a target above max', async () => {
    const result = await executor.dryRun(scaleTo(5), { observed: {} });
    expect(result).toMatchObject({ ok: false, error: { code: 'OutOfBounds', retryable: false } });
  });
});

describe('execute', () => {
  it('honours the group cooldown and checkpoints the capacity it replaces', async () => {
    const { ctx, store } = createFakeContext();
    const result = await executor.execute(scaleTo(0), ctx);
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { previousDesiredCapacity: 1, desiredCapacity: 0 } },
    });
    expect(asgMock.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: group,
      DesiredCapacity: 0,
      HonorCooldown: true,
    });
    expect(store.desired_capacity_recorded).toMatchObject({ previousDesiredCapacity: 1, targetCapacity: 0 });
  });

  it('reports a cooldown or concurrent activity (ScalingActivityInProgressFault) as retryable', async () => {
    asgMock
      .on(SetDesiredCapacityCommand)
      .rejects(
        await captureAutoScalingError(
          'ScalingActivityInProgress',
          400,
          'Scaling activity is in progress and blocks this action.',
        ),
      );
    const result = await executor.execute(scaleTo(0), createFakeContext().ctx);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'ScalingActivityInProgress', retryable: true },
    });
  });

  it('reports throttling as retryable', async () => {
    asgMock
      .on(SetDesiredCapacityCommand)
      .rejects(await captureAutoScalingError('Throttling', 400, 'Rate exceeded'));
    const result = await executor.execute(scaleTo(0), createFakeContext().ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'Throttling', retryable: true } });
  });

  it('finishes without a second resize when a resumed attempt finds the group already at the target', async () => {
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [{ ...examples.group, DesiredCapacity: 0 } as never] });
    const { ctx } = createFakeContext({
      store: { desired_capacity_recorded: { previousDesiredCapacity: 1 } },
    });
    const result = await executor.execute(scaleTo(0), ctx);
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { resumed: true, previousDesiredCapacity: 1 } },
    });
    expect(asgMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
  });
});

describe('rollback', () => {
  it('restores the recorded capacity without waiting out the cooldown its own change started', async () => {
    const { ctx } = createFakeContext({
      store: { desired_capacity_recorded: { previousDesiredCapacity: 1 } },
    });
    const result = await executor.rollback(scaleTo(0), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { restoredDesiredCapacity: 1 } } });
    expect(asgMock.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: group,
      DesiredCapacity: 1,
      HonorCooldown: false,
    });
  });

  it('changes nothing when no capacity was ever recorded', async () => {
    const result = await executor.rollback(scaleTo(0), createFakeContext().ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { nothingToRollBack: true } } });
    expect(asgMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
  });
});
