import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less when the signal aborts (never rejects); tests pass one that moves a manual clock. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
};
