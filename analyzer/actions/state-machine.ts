import type { WebhookEventType } from '../webhooks/types.js';
import type { ActionState } from './types.js';

/**
 * The one table of legal moves. `dry_run → approved` lets an operator approve an action that a dry-run-only policy
 * stopped at its dry run; `failed → approved` is a scheduled retry of a retryable failure (it re-checks
 * preconditions and dry-runs again); `executing → executing` is a resume after a crash (a new lease).
 */
const transitions: Record<ActionState, readonly ActionState[]> = {
  planned: ['approved', 'dry_run', 'failed', 'rejected'],
  approved: ['dry_run', 'failed', 'rejected'],
  dry_run: ['approved', 'executing', 'failed', 'rejected'],
  executing: ['executing', 'done', 'failed', 'rolled_back'],
  failed: ['approved', 'rolled_back', 'rejected'],
  done: [],
  rolled_back: [],
  rejected: [],
};

export const terminalStates: readonly ActionState[] = ['done', 'rolled_back', 'rejected'];

export function canTransition(from: ActionState, to: ActionState): boolean {
  return transitions[from].includes(to);
}

/** The outbox event a state entered emits; approvals, rejections and resumes emit none. */
export function eventTypeFor(to: ActionState): WebhookEventType | undefined {
  switch (to) {
    case 'planned':
      return 'action.planned';
    case 'dry_run':
      return 'action.dry_run';
    case 'done':
      return 'action.executed';
    case 'failed':
      return 'action.failed';
    case 'rolled_back':
      return 'action.rolled_back';
    default:
      return undefined;
  }
}
