import { ScalingActivityInProgressFault } from '@aws-sdk/client-auto-scaling';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { captureAutoScalingError, captureEc2Error } from '../../../test/fixtures/aws-actions/load.js';
import {
  classifyAwsError,
  classifyFleetErrorCode,
  getAwsErrorCode,
  isDryRunSuccess,
} from './classify-aws-error.js';

describe('classifyAwsError on errors the SDK deserialized from recorded responses', () => {
  it('reads DryRunOperation (HTTP 412) as a dry run that would succeed, not as a failure', async () => {
    const error = await captureEc2Error('DryRunOperation');
    expect(isDryRunSuccess(error)).toBe(true);
    expect(classifyAwsError('TerminateInstances', error)).toMatchObject({
      code: 'DryRunOperation',
      errorClass: 'dry_run_ok',
      retryable: false,
      httpStatus: 412,
    });
  });

  it('treats EC2 RequestLimitExceeded (HTTP 503) and Auto Scaling Throttling (HTTP 400) as retryable throttling', async () => {
    const ec2 = classifyAwsError('CreateFleet', await captureEc2Error('RequestLimitExceeded'));
    const asg = classifyAwsError(
      'SetDesiredCapacity',
      await captureAutoScalingError('Throttling', 400, 'Rate exceeded'),
    );
    expect([ec2.errorClass, ec2.retryable, ec2.httpStatus]).toEqual(['throttled', true, 503]);
    expect([asg.errorClass, asg.retryable, asg.code]).toEqual(['throttled', true, 'Throttling']);
    expect(asg.message).toBe('SetDesiredCapacity: Throttling: Rate exceeded');
  });

  it('treats InsufficientInstanceCapacity as retryable capacity and keeps EC2 message', async () => {
    const failure = classifyAwsError('CreateFleet', await captureEc2Error('InsufficientInstanceCapacity'));
    expect(failure).toMatchObject({
      code: 'InsufficientInstanceCapacity',
      errorClass: 'capacity',
      retryable: true,
    });
    expect(failure.message).toContain('We currently do not have sufficient p4d.24xlarge capacity');
  });

  it('treats UnauthorizedOperation and InvalidInstanceID.NotFound as permanent', async () => {
    for (const code of ['UnauthorizedOperation', 'InvalidInstanceID.NotFound']) {
      expect(classifyAwsError('TerminateInstances', await captureEc2Error(code))).toMatchObject({
        code,
        errorClass: 'permanent',
        retryable: false,
      });
    }
  });

  it('treats a scaling activity in progress (modeled fault, wire code ScalingActivityInProgress) as a retryable conflict', async () => {
    const error = await captureAutoScalingError(
      'ScalingActivityInProgress',
      400,
      'Scaling activity is in progress.',
    );
    expect(error).toBeInstanceOf(ScalingActivityInProgressFault);
    expect(classifyAwsError('SetDesiredCapacity', error)).toMatchObject({
      code: 'ScalingActivityInProgress',
      errorClass: 'conflict',
      retryable: true,
    });
  });
});

describe('classifyAwsError on other shapes', () => {
  it('treats any code with HTTP 429 as throttling and an unknown 5xx server fault as transient', () => {
    const tooMany = new EC2ServiceException({
      name: 'SomethingNew',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
    });
    const server = new EC2ServiceException({
      name: 'Weird',
      $fault: 'server',
      $metadata: { httpStatusCode: 502 },
    });
    expect(classifyAwsError('X', tooMany).errorClass).toBe('throttled');
    expect(classifyAwsError('X', server)).toMatchObject({ errorClass: 'transient', retryable: true });
  });

  it('treats a network error as transient and a programming error as permanent', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyAwsError('X', reset)).toMatchObject({
      code: 'ECONNRESET',
      errorClass: 'transient',
      retryable: true,
    });
    expect(classifyAwsError('X', new TypeError('x is undefined'))).toMatchObject({ errorClass: 'permanent' });
  });

  it('names the code Unknown for a thrown non-object', () => {
    expect(getAwsErrorCode('boom')).toBe('Unknown');
  });
});

describe('classifyFleetErrorCode', () => {
  it('sorts CreateFleet Errors[] codes into capacity, retryable and permanent', () => {
    expect(classifyFleetErrorCode('InsufficientInstanceCapacity')).toBe('capacity');
    expect(classifyFleetErrorCode('InsufficientCapacity')).toBe('capacity');
    expect(classifyFleetErrorCode('MaxSpotInstanceCountExceeded')).toBe('capacity');
    expect(classifyFleetErrorCode('InvalidLaunchTemplateId.NotFound')).toBe('permanent');
    expect(classifyFleetErrorCode(undefined)).toBe('transient');
  });
});
