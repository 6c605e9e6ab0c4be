import type { ActionFailure } from '../types.js';

/**
 * What an AWS error means for an action: `throttled` and `capacity` and `conflict` and `transient` may succeed later
 * (the engine retries), `permanent` will not. `dry_run_ok` is EC2's way of saying a DryRun call would have succeeded.
 */
export type AwsErrorClass = 'dry_run_ok' | 'throttled' | 'capacity' | 'conflict' | 'transient' | 'permanent';

export interface ClassifiedAwsError extends ActionFailure {
  code: string;
  errorClass: AwsErrorClass;
  httpStatus?: number | undefined;
}

const throttlingCodes = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
]);

/** Capacity that is missing now and may come back: karpenter's "unfulfillable capacity" list plus its relatives. */
const capacityCodes = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'MaxSpotInstanceCountExceeded',
  'UnfulfillableCapacity',
  'SpotMaxPriceTooLow',
  'VcpuLimitExceeded',
]);

/** Someone else is changing the resource right now (an Auto Scaling activity or cooldown, a concurrent call). */
const conflictCodes = new Set([
  'ScalingActivityInProgressFault',
  'ScalingActivityInProgress',
  'ResourceContentionFault',
  'ResourceContention',
  'IdempotentCallInProgressFault',
  'IncorrectInstanceState',
]);

const transientCodes = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);

interface AwsLikeError {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The AWS error code: SDK v3 puts it in `name` (and the query protocols also in `Code`). */
export function getAwsErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Unknown';
  const e = error as AwsLikeError;
  for (const candidate of [e.Code, e.name, e.code]) {
    if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
  }
  return 'Unknown';
}

function getHttpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as AwsLikeError).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function classOf(code: string, httpStatus: number | undefined, fault: unknown): AwsErrorClass {
  if (code === 'DryRunOperation') return 'dry_run_ok';
  if (throttlingCodes.has(code) || httpStatus === 429) return 'throttled';
  if (capacityCodes.has(code)) return 'capacity';
  if (conflictCodes.has(code)) return 'conflict';
  if (transientCodes.has(code)) return 'transient';
  if (httpStatus === 503) return 'throttled';
  if (code === 'Unknown' && httpStatus === undefined) return 'transient';
  if (fault === 'server' || (httpStatus !== undefined && httpStatus >= 500)) return 'transient';
  return 'permanent';
}

/** Classifies a thrown AWS SDK error (or a CreateFleet `Errors[]` code) for the engine's retry decision. */
export function classifyAwsError(operation: string, error: unknown): ClassifiedAwsError {
  const code = getAwsErrorCode(error);
  const httpStatus = getHttpStatus(error);
  const fault = typeof error === 'object' && error !== null ? (error as AwsLikeError).$fault : undefined;
  const errorClass = classOf(code, httpStatus, fault);
  const rawMessage =
    typeof error === 'object' && error !== null && typeof (error as AwsLikeError).message === 'string'
      ? ((error as AwsLikeError).message as string)
      : String(error);
  return {
    message: `${operation}: ${code}: ${rawMessage}`,
    retryable: errorClass !== 'permanent' && errorClass !== 'dry_run_ok',
    code,
    errorClass,
    httpStatus,
  };
}

/** The class of a CreateFleet `Errors[]` entry, which carries a code but is not thrown. */
export function classifyFleetErrorCode(code: string | undefined): AwsErrorClass {
  if (!code) return 'transient';
  return classOf(code, undefined, undefined);
}

export function isDryRunSuccess(error: unknown): boolean {
  return getAwsErrorCode(error) === 'DryRunOperation';
}
