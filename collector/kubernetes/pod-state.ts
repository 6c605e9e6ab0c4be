import { isTerminalJobState, type JobState } from '../jobs/types.js';
import type { KubePod } from './pod.js';

export interface PodState {
  state: JobState;
  /** The pod's own words: phase, then the reason that decided the state (`Failed/OOMKilled`). */
  raw: string;
  terminal: boolean;
}

/** `status.reason` values the kubelet and controllers write on a Failed pod. */
function failedState(pod: KubePod): JobState {
  if (pod.containerStatuses.some((c) => c.terminatedReason === 'OOMKilled')) return 'out_of_memory';
  switch (pod.reason) {
    case 'DeadlineExceeded':
      return 'deadline';
    // Pushed off the node by resource pressure or a higher-priority pod, not by its own fault.
    case 'Evicted':
    case 'Preempting':
      return 'preempted';
    case 'NodeShutdown':
    case 'NodeLost':
    case 'Terminated':
      return 'node_fail';
    default:
      return 'failed';
  }
}

function decisiveReason(pod: KubePod): string | null {
  const oom = pod.containerStatuses.find((c) => c.terminatedReason === 'OOMKilled');
  if (oom !== undefined) return 'OOMKilled';
  if (pod.reason !== null) return pod.reason;
  // A restarting container (restartPolicy Always) keeps phase Running; its last death is still worth showing.
  const restarted = pod.containerStatuses.find((c) => c.lastTerminatedReason === 'OOMKilled');
  return restarted === undefined ? null : 'restarted after OOMKilled';
}

/**
 * Maps a pod's phase to the shared vocabulary. A pod deleted before it finished (scale-down, eviction by a
 * user, job deletion) is `cancelled`: it will never report a terminal phase.
 */
export function computePodState(pod: KubePod, deletedAt: Date | null): PodState {
  const phase = pod.phase ?? 'Unknown';
  const reason = decisiveReason(pod);
  const raw = reason === null ? phase : `${phase}/${reason}`;
  let state: JobState;
  switch (phase) {
    case 'Pending':
      state = 'pending';
      break;
    case 'Running':
      state = 'running';
      break;
    case 'Succeeded':
      state = 'completed';
      break;
    case 'Failed':
      state = failedState(pod);
      break;
    default:
      state = 'unknown';
  }
  if (deletedAt !== null && !isTerminalJobState(state))
    return { state: 'cancelled', raw: `${raw} (deleted)`, terminal: true };
  return { state, raw, terminal: isTerminalJobState(state) };
}

/** Worst terminal outcome first: the state a finished group reports when its pods ended differently. */
const TERMINAL_PRIORITY: readonly JobState[] = [
  'out_of_memory',
  'node_fail',
  'deadline',
  'failed',
  'preempted',
  'cancelled',
  'timeout',
  'completed',
];

/**
 * A group is running while any pod runs, pending while any waits; once all pods ended it takes the worst
 * ending. Retried Job pods count too, so a Job whose retry succeeded still shows the failed try.
 */
export function combinePodStates(states: readonly JobState[]): JobState {
  if (states.length === 0) return 'unknown';
  if (states.includes('running')) return 'running';
  if (states.includes('pending')) return 'pending';
  if (states.includes('unknown')) return 'unknown';
  return TERMINAL_PRIORITY.find((s) => states.includes(s)) ?? 'unknown';
}
