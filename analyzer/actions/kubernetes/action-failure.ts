import type { ActionFailure } from '../types.js';
import type { KubeApiError } from './kube-actions-client.js';
import { describeKubeError, isRetryableKubeError } from './kube-api-error.js';
import { describeOptOut, type OptOut } from './opt-out.js';

function codeOf(error: KubeApiError): string {
  switch (error.status) {
    case null:
      return 'UNAVAILABLE';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'THROTTLED';
    case 401:
    case 403:
      return 'FORBIDDEN';
    case 400:
    case 422:
      return 'INVALID';
    default:
      return error.status >= 500 ? 'UNAVAILABLE' : 'KUBERNETES_ERROR';
  }
}

/** An API failure as the engine sees it: what was asked, the server's words, whether a later try may succeed. */
export function kubeFailure(what: string, error: KubeApiError): ActionFailure {
  return {
    message: `${what}: ${describeKubeError(error)}`,
    retryable: isRetryableKubeError(error),
    code: codeOf(error),
  };
}

export function optedOutFailure(optOut: OptOut): ActionFailure {
  return {
    message: `${describeOptOut(optOut)}; gpuscope leaves it alone`,
    retryable: false,
    code: 'OPTED_OUT',
  };
}

export function invalidTarget(kind: string, expected: string, got: string): ActionFailure {
  return {
    message: `${kind} needs a ${expected} target, got ${got}`,
    retryable: false,
    code: 'INVALID_TARGET',
  };
}

export const abortedFailure = (what: string): ActionFailure => ({
  message: `${what}: aborted (shutdown); the checkpoint lets a later attempt continue`,
  retryable: true,
  code: 'ABORTED',
});
