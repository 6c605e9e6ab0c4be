import {
  BACKSLASH,
  copyString,
  findBlank,
  isBlank,
  isMetricNameChar,
  isMetricNameStart,
  skipBlanks,
} from './parse-chars.js';
import type { IssueSink } from './parse-issues.js';
import type { FamilyMeta, MetricType } from './parse-types.js';

const metricTypes: ReadonlySet<string> = new Set<MetricType>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'info',
  'stateset',
  'gaugehistogram',
  'unknown',
]);

export interface CommentContext {
  text: string;
  families: Map<string, FamilyMeta>;
  issues: IssueSink;
}

/**
 * Reads a line whose first non-blank character is `#` at text[hash]. `# HELP` and `# TYPE` fill `families`;
 * every other comment (`# EOF`, `# UNIT`, dcgm-exporter's `# NOTE`) is ignored.
 * Returns the family name it named, so the sample lines that follow can reuse the string.
 */
export function parseCommentLine(
  ctx: CommentContext,
  hash: number,
  stop: number,
  line: number,
): string | undefined {
  const { text } = ctx;
  const wordStart = skipBlanks(text, hash + 1, stop);
  const wordEnd = findBlank(text, wordStart, stop);
  if (wordEnd - wordStart !== 4) return undefined;
  const isHelp = text.startsWith('HELP', wordStart);
  if (!isHelp && !text.startsWith('TYPE', wordStart)) return undefined;
  const keyword = isHelp ? '# HELP' : '# TYPE';
  const report = (reason: string): undefined => {
    ctx.issues.add(line, reason, text, hash, stop);
    return undefined;
  };

  const nameStart = skipBlanks(text, wordEnd, stop);
  const nameEnd = scanMetricName(text, nameStart, stop);
  if (nameStart >= stop) return report(`${keyword} line has no metric name`);
  if (nameEnd === nameStart || (nameEnd < stop && !isBlank(text.charCodeAt(nameEnd)))) {
    return report(`invalid metric name in ${keyword} line`);
  }
  const name = copyString(text.slice(nameStart, nameEnd));
  const restStart = skipBlanks(text, nameEnd, stop);

  if (isHelp) {
    const family = getFamily(ctx.families, name);
    if (family.help !== undefined) return report(`second # HELP line for "${name}"`);
    family.help = unescapeHelp(text.slice(restStart, stop));
    return name;
  }
  const typeEnd = findBlank(text, restStart, stop);
  const type = text.slice(restStart, typeEnd).toLowerCase();
  if (!metricTypes.has(type)) return report(`unknown metric type ${JSON.stringify(type)}`);
  if (skipBlanks(text, typeEnd, stop) < stop) return report('unexpected text after metric type');
  const family = getFamily(ctx.families, name);
  if (family.type !== undefined) return report(`second # TYPE line for "${name}"`);
  family.type = type as MetricType;
  return name;
}

function getFamily(families: Map<string, FamilyMeta>, name: string): FamilyMeta {
  let family = families.get(name);
  if (family === undefined) {
    family = { type: undefined, help: undefined };
    families.set(name, family);
  }
  return family;
}

/** Index just past a valid metric name starting at `from`, or `from` when none starts there. */
export function scanMetricName(text: string, from: number, stop: number): number {
  if (from >= stop || !isMetricNameStart(text.charCodeAt(from))) return from;
  let i = from + 1;
  while (i < stop && isMetricNameChar(text.charCodeAt(i))) i++;
  return i;
}

function unescapeHelp(raw: string): string {
  if (raw.indexOf('\\') === -1) return copyString(raw);
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    const next = raw[i + 1];
    if (code === BACKSLASH && (next === '\\' || next === 'n')) {
      out += next === 'n' ? '\n' : '\\';
      i++;
    } else {
      out += raw[i];
    }
  }
  return out;
}
