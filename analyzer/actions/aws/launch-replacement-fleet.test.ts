import { CreateFleetCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../core/log.js';
import {
  captureEc2Error,
  createFleetOutput,
  deserializeCreateFleetResponse,
} from '../../../test/fixtures/aws-actions/load.js';
import { noopAwsActionMetrics } from './aws-action-metrics.js';
import {
  buildCreateFleetInput,
  deriveClientToken,
  type FleetLaunchSpec,
  launchReplacementFleet,
  parseCreateFleetOutput,
} from './launch-replacement-fleet.js';

// Mock this instance only: the fixture loader runs a real EC2Client to let the SDK deserialize recorded errors.
const ec2 = new EC2Client({ region: 'us-east-1' });
const ec2Mock = mockClient(ec2);
const deps = { ec2, log: createSilentLogger(), metrics: noopAwsActionMetrics };
const spec: FleetLaunchSpec = {
  launchTemplateId: 'lt-01234a567b8910abcEXAMPLE',
  instanceTypes: ['g6.12xlarge', 'g5.12xlarge'],
  subnetIds: ['subnet-a', 'subnet-b'],
  count: 1,
  replaces: 'i-0p4d000000000000a',
  idempotencyKey: 'action-42',
};

beforeEach(() => ec2Mock.reset());
afterAll(() => ec2Mock.restore());

describe('buildCreateFleetInput', () => {
  it('asks for an instant, price-capacity-optimized spot fleet over every type × subnet, tagged with what it replaces', () => {
    const input = buildCreateFleetInput(spec, 'spot');
    expect(input).toMatchObject({
      Type: 'instant',
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: 'spot',
        SpotTargetCapacity: 1,
      },
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
      LaunchTemplateConfigs: [
        { LaunchTemplateSpecification: { LaunchTemplateId: spec.launchTemplateId, Version: '$Default' } },
      ],
    });
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      { InstanceType: 'g6.12xlarge', SubnetId: 'subnet-a' },
      { InstanceType: 'g6.12xlarge', SubnetId: 'subnet-b' },
      { InstanceType: 'g5.12xlarge', SubnetId: 'subnet-a' },
      { InstanceType: 'g5.12xlarge', SubnetId: 'subnet-b' },
    ]);
    expect(input.TagSpecifications?.[0]?.Tags).toContainEqual({
      Key: 'gpuscope.io/replaces',
      Value: 'i-0p4d000000000000a',
    });
    expect(input.DryRun).toBeUndefined();
  });

  it('takes on-demand types in the listed order (prioritized) when falling back', () => {
    const input = buildCreateFleetInput({ ...spec, subnetIds: undefined }, 'on-demand');
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: 'prioritized' });
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      { InstanceType: 'g6.12xlarge', Priority: 0 },
      { InstanceType: 'g5.12xlarge', Priority: 1 },
    ]);
  });

  it('derives a ClientToken of at most 64 characters, stable per action and purpose', () => {
    const long = 'x'.repeat(500);
    expect(deriveClientToken(long, 'on-demand').length).toBeLessThanOrEqual(64);
    expect(deriveClientToken('action-42', 'spot')).toBe(deriveClientToken('action-42', 'spot'));
    expect(deriveClientToken('action-42', 'spot')).not.toBe(deriveClientToken('action-42', 'on-demand'));
    expect(deriveClientToken('action-42', 'spot')).not.toBe(deriveClientToken('action-43', 'spot'));
  });
});

describe('parseCreateFleetOutput', () => {
  it('lists every launched instance id with its type, zone and lifecycle', () => {
    const parsed = parseCreateFleetOutput(createFleetOutput('complete'));
    expect(parsed.instances.map((i) => [i.instanceId, i.instanceType])).toEqual([
      ['i-1234567890abcdef0', 'c5.large'],
      ['i-9876543210abcdef9', 'c5.large'],
      ['i-5678901234abcdef0', 'c4.large'],
      ['i-5432109876abcdef9', 'c4.large'],
    ]);
    expect(parsed.errors).toEqual([]);
  });

  it('reads the SDK-deserialized wire response the same as the documented JSON output', async () => {
    const fromWire = parseCreateFleetOutput(
      await deserializeCreateFleetResponse('ec2-createfleet-instant_partial_wire.xml'),
    );
    expect(fromWire).toEqual(parseCreateFleetOutput(createFleetOutput('partial')));
    expect(fromWire.instances).toHaveLength(2);
  });

  it('keeps Instances[] and Errors[] of a partial launch together', () => {
    const parsed = parseCreateFleetOutput(createFleetOutput('partial'));
    expect(parsed.instances).toHaveLength(2);
    expect(parsed.errors).toEqual([
      {
        code: 'InsufficientInstanceCapacity',
        message: '',
        errorClass: 'capacity',
        instanceType: 'c4.xlarge',
        availabilityZone: 'us-east-1a',
        lifecycle: 'on-demand',
      },
    ]);
  });
});

describe('launchReplacementFleet', () => {
  it('uses what a partial launch brought (2 of 3 wanted) and records the pools that failed', async () => {
    ec2Mock.on(CreateFleetCommand).resolves(createFleetOutput('partial'));
    const result = await launchReplacementFleet(deps, { ...spec, count: 3 }, { onDemandFallback: true });
    expect(result.ok && result.value.instances.length).toBe(2);
    expect(result.ok && result.value.errors.map((e) => e.code)).toEqual(['InsufficientInstanceCapacity']);
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('fails retryably with InsufficientInstanceCapacity when no spot pool launched and fallback is off', async () => {
    ec2Mock.on(CreateFleetCommand).resolves(createFleetOutput('none'));
    const result = await launchReplacementFleet(deps, spec, { onDemandFallback: false });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'InsufficientInstanceCapacity', retryable: true },
    });
    expect(!result.ok && result.error.message).toContain('c4.xlarge@us-east-1a: InsufficientCapacity');
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('falls back to on-demand with its own ClientToken when spot capacity is missing and fallback is on', async () => {
    ec2Mock
      .on(CreateFleetCommand, { TargetCapacitySpecification: { DefaultTargetCapacityType: 'spot' } } as never)
      .rejects(await captureEc2Error('InsufficientInstanceCapacity'))
      .on(CreateFleetCommand, {
        TargetCapacitySpecification: { DefaultTargetCapacityType: 'on-demand' },
      } as never)
      .resolves(createFleetOutput('complete'));
    const result = await launchReplacementFleet(deps, spec, { onDemandFallback: true });
    expect(result.ok && result.value.capacityType).toBe('on-demand');
    const tokens = ec2Mock.commandCalls(CreateFleetCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toEqual([
      deriveClientToken('action-42', 'spot'),
      deriveClientToken('action-42', 'on-demand'),
    ]);
  });

  it('does not fall back on throttling: the whole launch is retried later', async () => {
    ec2Mock.on(CreateFleetCommand).rejects(await captureEc2Error('RequestLimitExceeded'));
    const result = await launchReplacementFleet(deps, spec, { onDemandFallback: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'RequestLimitExceeded', retryable: true } });
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('fails permanently when the pools failed for a reason capacity will not fix', async () => {
    ec2Mock.on(CreateFleetCommand).resolves({
      FleetId: 'fleet-1',
      Instances: [],
      Errors: [
        {
          ErrorCode: 'InvalidLaunchTemplateId.NotFound',
          ErrorMessage: 'The specified launch template does not exist',
        },
      ],
    });
    const result = await launchReplacementFleet(deps, spec, { onDemandFallback: true });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'InvalidLaunchTemplateId.NotFound', retryable: false },
    });
  });
});
