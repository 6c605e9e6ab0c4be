import { createManualClock } from '../../../core/clock.js';
import type { ExecutionContext } from '../types.js';

/** Thrown by the fake context right after persisting `crashAfter`, as if the process died there. */
export class SimulatedCrash extends Error {
  constructor(readonly step: string) {
    super(`simulated crash after checkpoint ${step}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * An engine stand-in: checkpoints persist into `store` keyed by step (what a later attempt gets back as
 * `checkpoint`); `crashAfter` makes the save of that step the last thing this attempt does, `crashBefore` kills the
 * attempt just before that step is persisted (the AWS call before it done, its record lost).
 */
export function createFakeContext(
  options: {
    store?: Record<string, unknown>;
    crashAfter?: string;
    crashBefore?: string;
    idempotencyKey?: string;
  } = {},
) {
  const store = options.store ?? {};
  const saved: string[] = [];
  const ctx: ExecutionContext = {
    actionId: 7,
    idempotencyKey: options.idempotencyKey ?? 'action-7-attempt-key',
    checkpoint: structuredClone(store),
    async saveCheckpoint(step, data) {
      if (step === options.crashBefore) throw new SimulatedCrash(step);
      store[step] = structuredClone(data);
      saved.push(step);
      if (step === options.crashAfter) throw new SimulatedCrash(step);
    },
    signal: new AbortController().signal,
    clock: createManualClock(Date.parse('2026-12-03T10:00:00Z')),
  };
  return { ctx, store, saved };
}
