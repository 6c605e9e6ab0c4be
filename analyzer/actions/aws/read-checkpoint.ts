/**
 * The engine persists `saveCheckpoint(step, data)`; whether it keeps every step keyed by name or only the latest
 * `{ step, ...data }`, these readers find the data. Executors save cumulative data, so the latest step suffices.
 */
export function readCheckpointStep(
  checkpoint: Readonly<Record<string, unknown>>,
  step: string,
): Record<string, unknown> | undefined {
  const keyed = checkpoint[step];
  if (typeof keyed === 'object' && keyed !== null && !Array.isArray(keyed))
    return keyed as Record<string, unknown>;
  if (checkpoint.step === step) return checkpoint as Record<string, unknown>;
  return undefined;
}

/** The furthest of `steps` (in order) present in the checkpoint, with its data. */
export function readLatestStep<S extends string>(
  checkpoint: Readonly<Record<string, unknown>>,
  steps: readonly S[],
): { step: S; data: Record<string, unknown> } | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as S;
    const data = readCheckpointStep(checkpoint, step);
    if (data) return { step, data };
  }
  return undefined;
}
