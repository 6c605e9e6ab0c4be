/** `0-3,6` from [0, 1, 2, 3, 6]: Slurm's range notation for indices (sorted, unique). */
export function formatIndexRanges(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i]!;
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i]! + 1) i++;
    ranges.push(first === sorted[i] ? String(first) : `${first}-${sorted[i]}`);
  }
  return ranges.join(',');
}

/**
 * A Slurm hostlist: `gpu-node-[0003-0004,0017]` for names sharing a prefix and a zero-padded number,
 * a single name as it is. Names that do not fit the pattern are listed comma-separated.
 */
export function formatHostlist(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  const parsed = names.map((name) => /^(.*?)(\d+)$/.exec(name));
  const prefix = parsed[0]?.[1];
  const width = parsed[0]?.[2]?.length;
  const uniform = parsed.every((m) => m !== null && m[1] === prefix && m[2]!.length === width);
  if (!uniform || prefix === undefined || width === undefined) return names.join(',');
  const numbers = parsed.map((m) => Number(m![2]));
  const pad = (n: number) => String(n).padStart(width, '0');
  const ranges = formatIndexRanges(numbers)
    .split(',')
    .map((range) =>
      range
        .split('-')
        .map((n) => pad(Number(n)))
        .join('-'),
    );
  return `${prefix}[${ranges.join(',')}]`;
}
