import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../core/log.js';
import { describeInstancesOutput } from '../../../test/fixtures/aws/load.js';
import { captureEc2Error } from '../../../test/fixtures/aws-actions/load.js';
import type { ActionRequest } from '../types.js';
import { noopAwsActionMetrics } from './aws-action-metrics.js';
import { createFakeContext } from './fake-execution-context.js';
import { createTerminateInstanceExecutor } from './terminate-instance-executor.js';

const ec2 = new EC2Client({ region: 'us-east-1' });
const ec2Mock = mockClient(ec2);
const executor = createTerminateInstanceExecutor({
  ec2,
  log: createSilentLogger(),
  metrics: noopAwsActionMetrics,
});
const onDemand = 'i-0p4d000000000000a';
const request = (instanceId: string): ActionRequest => ({
  kind: 'terminate_instance',
  target: { type: 'instance', instanceId },
  reason: 'idle_gpu',
});

function withTags(tags: { Key: string; Value: string }[]) {
  const out = describeInstancesOutput();
  const first = out.Reservations[0]?.Instances[0] as Record<string, unknown>;
  first.Tags = tags;
  return out;
}

beforeEach(() => {
  ec2Mock.reset();
  ec2Mock.on(DescribeInstancesCommand).resolves(describeInstancesOutput() as never);
  ec2Mock.on(DescribeInstanceAttributeCommand).resolves({ DisableApiTermination: { Value: false } });
});
afterAll(() => ec2Mock.restore());

describe('checkPreconditions', () => {
  it('accepts a running on-demand instance without protection and records what it saw', async () => {
    const result = await executor.checkPreconditions(request(onDemand));
    expect(result).toEqual({
      ok: true,
      value: {
        observed: {
          instanceId: onDemand,
          state: 'running',
          lifecycle: 'on-demand',
          instanceType: 'p4d.24xlarge',
          availabilityZone: 'us-east-1a',
          terminationProtection: false,
        },
      },
    });
    expect(ec2Mock.commandCalls(DescribeInstanceAttributeCommand)[0]?.args[0].input).toEqual({
      InstanceId: onDemand,
      Attribute: 'disableApiTermination',
    });
  });

  it('refuses spot, capacity-block and terminated instances', async () => {
    const codes = [];
    for (const id of ['i-0p4de00000000000b', 'i-0cb0000000000000c', 'i-0old000000000000d']) {
      const result = await executor.checkPreconditions(request(id));
      codes.push(result.ok ? 'ok' : result.error.code);
    }
    expect(codes).toEqual(['NotOnDemand', 'NotOnDemand', 'IncorrectInstanceState']);
  });

  it('refuses an instance tagged gpuscope.io/do-not-disrupt=true', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves(withTags([{ Key: 'gpuscope.io/do-not-disrupt', Value: 'true' }]) as never);
    const result = await executor.checkPreconditions(request(onDemand));
    expect(result).toMatchObject({ ok: false, error: { code: 'OptedOut', retryable: false } });
  });

  it('refuses an instance with termination protection', async () => {
    ec2Mock.on(DescribeInstanceAttributeCommand).resolves({ DisableApiTermination: { Value: true } });
    const result = await executor.checkPreconditions(request(onDemand));
    expect(result).toMatchObject({ ok: false, error: { code: 'TerminationProtected' } });
  });

  it('reports throttling on DescribeInstances as retryable', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(await captureEc2Error('RequestLimitExceeded'));
    const result = await executor.checkPreconditions(request(onDemand));
    expect(result).toMatchObject({ ok: false, error: { code: 'RequestLimitExceeded', retryable: true } });
  });

  it('refuses a target that is not an instance', async () => {
    const result = await executor.checkPreconditions({
      ...request(onDemand),
      target: { type: 'node', node: 'n1' },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });
});

describe('dryRun', () => {
  it('calls TerminateInstances with DryRun and takes DryRunOperation as success', async () => {
    ec2Mock.on(TerminateInstancesCommand).rejects(await captureEc2Error('DryRunOperation'));
    const result = await executor.dryRun(request(onDemand), { observed: {} });
    expect(result).toMatchObject({ ok: true, value: { detail: { dryRun: 'DryRunOperation' } } });
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)[0]?.args[0].input).toEqual({
      InstanceIds: [onDemand],
      DryRun: true,
    });
  });

  it('fails permanently on UnauthorizedOperation', async () => {
    ec2Mock.on(TerminateInstancesCommand).rejects(await captureEc2Error('UnauthorizedOperation'));
    const result = await executor.dryRun(request(onDemand), { observed: {} });
    expect(result).toMatchObject({ ok: false, error: { code: 'UnauthorizedOperation', retryable: false } });
  });
});

describe('execute and rollback', () => {
  it('terminates for real (no DryRun) after checkpointing the request', async () => {
    ec2Mock.on(TerminateInstancesCommand).resolves({
      TerminatingInstances: [
        {
          InstanceId: onDemand,
          CurrentState: { Code: 32, Name: 'shutting-down' },
          PreviousState: { Code: 16, Name: 'running' },
        },
      ],
    });
    const { ctx, saved } = createFakeContext();
    const result = await executor.execute(request(onDemand), ctx);
    expect(result).toEqual({
      ok: true,
      value: { detail: { instanceId: onDemand, previousState: 'running', currentState: 'shutting-down' } },
    });
    expect(saved).toEqual(['terminate_requested']);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)[0]?.args[0].input.DryRun).toBeUndefined();
  });

  it('counts a resumed termination whose instance is already gone as done', async () => {
    ec2Mock.on(TerminateInstancesCommand).rejects(await captureEc2Error('InvalidInstanceID.NotFound'));
    const { ctx } = createFakeContext({ store: { terminate_requested: { instanceId: onDemand } } });
    const result = await executor.execute(request(onDemand), ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { alreadyTerminated: true } } });
  });

  it('fails a first attempt on InvalidInstanceID.NotFound permanently', async () => {
    ec2Mock.on(TerminateInstancesCommand).rejects(await captureEc2Error('InvalidInstanceID.NotFound'));
    const result = await executor.execute(request(onDemand), createFakeContext().ctx);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'InvalidInstanceID.NotFound', retryable: false },
    });
  });

  it('says there is nothing to roll back', async () => {
    const result = await executor.rollback(request(onDemand), createFakeContext().ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { nothingToRollBack: true } } });
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});
