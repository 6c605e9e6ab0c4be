import type { JobState } from '../jobs/types.js';

const STATES: Record<string, JobState> = {
  PENDING: 'pending',
  PD: 'pending',
  REQUEUED: 'pending',
  RQ: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RUNNING: 'running',
  R: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'completing',
  SUSPENDED: 'suspended',
  S: 'suspended',
  STOPPED: 'suspended',
  COMPLETING: 'completing',
  CG: 'completing',
  COMPLETED: 'completed',
  CD: 'completed',
  FAILED: 'failed',
  F: 'failed',
  SPECIAL_EXIT: 'failed',
  CANCELLED: 'cancelled',
  CA: 'cancelled',
  REVOKED: 'cancelled',
  TIMEOUT: 'timeout',
  TO: 'timeout',
  PREEMPTED: 'preempted',
  PR: 'preempted',
  NODE_FAIL: 'node_fail',
  NF: 'node_fail',
  OUT_OF_MEMORY: 'out_of_memory',
  OOM: 'out_of_memory',
  BOOT_FAIL: 'boot_fail',
  BF: 'boot_fail',
  DEADLINE: 'deadline',
  DL: 'deadline',
};

/**
 * Maps Slurm's state word(s) to a `JobState`: `CANCELLED by 1000`, `["RUNNING"]`, `["PENDING","REQUEUED"]` (the
 * base state comes first; later entries are flags). Null when no word is a known state.
 */
export function mapSlurmState(words: readonly string[]): JobState | null {
  for (const word of words) {
    const base = word.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const state = STATES[base.replace(/\+$/, '')];
    if (state !== undefined) return state;
  }
  return null;
}
