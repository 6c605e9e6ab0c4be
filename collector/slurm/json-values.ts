/**
 * Slurm's JSON changed shape across data_parser versions: plain numbers became `{set, infinite, number}`, strings
 * became arrays of flags. These readers accept every shape seen in the fixtures.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number, `{set: true, number}` or null (unset, infinite, missing or not a number). */
export function readNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (isObject(value)) {
    if (value.set === false || value.infinite === true) return null;
    return typeof value.number === 'number' && Number.isFinite(value.number) ? value.number : null;
  }
  return null;
}

/** A non-empty string, or null. */
export function readString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** `"RUNNING"` or `["RUNNING", "COMPLETING"]` as a list of words. */
export function readWords(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

export function field(object: unknown, ...path: string[]): unknown {
  let current = object;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}
