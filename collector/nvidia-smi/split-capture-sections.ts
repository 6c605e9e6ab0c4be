/** One section of a nvidia_gpu_exporter capture: `# <state> :: <what>`, an optional `# $ <command>`, then output. */
export interface CaptureSection {
  state: string;
  what: string;
  command: string | null;
  /** 1-based file line of the first output line. */
  firstLine: number;
  lines: string[];
}

const RULE = /^#{20,}\s*$/;
const TITLE = /^# (\S+) :: (.*?)\s*$/;

/**
 * Splits a capture into its sections, keeping the state (the idle and load runs of the same command stay apart)
 * and the file line numbers.
 */
export function splitCaptureSections(text: string): CaptureSection[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const sections: CaptureSection[] = [];
  let i = 0;
  while (i < lines.length) {
    const title = RULE.test(lines[i] ?? '') ? TITLE.exec(lines[i + 1] ?? '') : null;
    if (!title) {
      i++;
      continue;
    }
    let j = i + 2;
    let command: string | null = null;
    while (j < lines.length && !RULE.test(lines[j] ?? '') && (lines[j] ?? '').startsWith('#')) {
      const line = lines[j] ?? '';
      if (line.startsWith('# $ ')) command = line.slice(4).trim();
      j++;
    }
    if (!RULE.test(lines[j] ?? '')) {
      i++;
      continue;
    }
    const start = j + 1;
    let end = start;
    while (end < lines.length && !RULE.test(lines[end] ?? '')) end++;
    sections.push({
      state: title[1] ?? '',
      what: title[2] ?? '',
      command,
      firstLine: start + 1,
      lines: lines.slice(start, end),
    });
    i = end;
  }
  return sections;
}
