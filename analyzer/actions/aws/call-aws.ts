import type { Logger } from '../../../core/log.js';
import { err, ok, type Result } from '../../../core/result.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { type ClassifiedAwsError, classifyAwsError } from './classify-aws-error.js';

export interface CallDeps {
  log: Logger;
  metrics: AwsActionMetrics;
}

/**
 * Runs one SDK call and turns a thrown error into a classified failure, counted and logged. A DryRun call's
 * `DryRunOperation` comes back as an error too; callers check `errorClass === 'dry_run_ok'`.
 */
export async function callAws<T>(
  deps: CallDeps,
  operation: string,
  send: () => Promise<T>,
): Promise<Result<T, ClassifiedAwsError>> {
  try {
    return ok(await send());
  } catch (error) {
    const failure = classifyAwsError(operation, error);
    if (failure.errorClass !== 'dry_run_ok') {
      deps.metrics.recordApiError(operation, failure.errorClass);
      deps.log.warn(
        { operation, code: failure.code, errorClass: failure.errorClass, httpStatus: failure.httpStatus },
        'aws action call failed',
      );
    }
    return err(failure);
  }
}

/** Strips the classification extras so the engine gets a plain ActionFailure. */
export function toActionFailure(failure: ClassifiedAwsError): {
  message: string;
  retryable: boolean;
  code: string;
} {
  return { message: failure.message, retryable: failure.retryable, code: failure.code };
}
