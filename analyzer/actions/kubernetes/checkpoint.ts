/**
 * Reading back what `saveCheckpoint(step, data)` stored: the engine keeps each step's data under its step name
 * (`checkpoint.cordoned = { node, wasUnschedulable }`). Anything malformed reads as "not done".
 */
type Checkpoint = Readonly<Record<string, unknown>>;

function step(checkpoint: Checkpoint, name: string): Record<string, unknown> | undefined {
  const value = checkpoint[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function readStepBoolean(checkpoint: Checkpoint, name: string, key: string): boolean | undefined {
  const value = step(checkpoint, name)?.[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function readStepNumber(checkpoint: Checkpoint, name: string, key: string): number | undefined {
  const value = step(checkpoint, name)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function readStepStrings(checkpoint: Checkpoint, name: string, key: string): string[] | undefined {
  const value = step(checkpoint, name)?.[key];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}
