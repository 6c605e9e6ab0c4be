import { describe, expect, it } from 'vitest';
import { normalizePod } from './pod.js';
import { combinePodStates, computePodState } from './pod-state.js';

function pod(status: object) {
  const result = normalizePod({ metadata: { name: 'p', namespace: 'ns' }, status });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const terminated = (reason: string) => ({ name: 'c', state: { terminated: { reason, exitCode: 1 } } });

describe('computePodState', () => {
  it.each([
    [{ phase: 'Pending' }, 'pending', 'Pending'],
    [{ phase: 'Running' }, 'running', 'Running'],
    [{ phase: 'Succeeded' }, 'completed', 'Succeeded'],
    [{ phase: 'Failed', containerStatuses: [terminated('Error')] }, 'failed', 'Failed'],
    [{ phase: 'Failed', containerStatuses: [terminated('OOMKilled')] }, 'out_of_memory', 'Failed/OOMKilled'],
    [{ phase: 'Failed', reason: 'DeadlineExceeded' }, 'deadline', 'Failed/DeadlineExceeded'],
    [{ phase: 'Failed', reason: 'Evicted' }, 'preempted', 'Failed/Evicted'],
    [{ phase: 'Failed', reason: 'NodeShutdown' }, 'node_fail', 'Failed/NodeShutdown'],
    [{ phase: 'Unknown' }, 'unknown', 'Unknown'],
    [{}, 'unknown', 'Unknown'],
  ])('maps %j to %s', (status, state, raw) => {
    expect(computePodState(pod(status), null)).toMatchObject({ state, raw });
  });

  it('keeps a restarting container running but shows its last OOMKilled in the raw state', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [{ name: 'c', lastState: { terminated: { reason: 'OOMKilled' } } }],
    };
    expect(computePodState(pod(status), null)).toEqual({
      state: 'running',
      raw: 'Running/restarted after OOMKilled',
      terminal: false,
    });
  });

  it('calls a pod deleted while pending cancelled, but keeps a finished pod’s own outcome', () => {
    const at = new Date('2026-12-01T00:00:00Z');
    expect(computePodState(pod({ phase: 'Pending' }), at)).toEqual({
      state: 'cancelled',
      raw: 'Pending (deleted)',
      terminal: true,
    });
    expect(computePodState(pod({ phase: 'Succeeded' }), at).state).toBe('completed');
  });
});

describe('combinePodStates', () => {
  it('is running while any pod runs, pending while any waits, else the worst ending', () => {
    expect(combinePodStates(['completed', 'running', 'pending'])).toBe('running');
    expect(combinePodStates(['completed', 'pending'])).toBe('pending');
    expect(combinePodStates(['completed', 'failed', 'out_of_memory'])).toBe('out_of_memory');
    expect(combinePodStates(['completed', 'completed'])).toBe('completed');
    expect(combinePodStates([])).toBe('unknown');
  });
});
