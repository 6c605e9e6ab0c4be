import { open, stat } from 'node:fs/promises';
import { err, ok, type Result } from '../../core/result.js';

/**
 * Where the reader stopped in a jobcomp/filetxt file. The offset always sits just after a newline, so a partial
 * last line is never returned: it is read again, whole, next time. Plain data, so it can be stored between runs.
 */
export interface JobcompCursor {
  dev: number;
  ino: number;
  offset: number;
  /** 1-based number of the next line, for issue locations. */
  nextLine: number;
}

export interface JobcompLine {
  text: string;
  line: number;
}

export interface JobcompRead {
  lines: JobcompLine[];
  cursor: JobcompCursor;
  /** Why the file was read from its start: `rotated` (new inode) or `truncated` (shrank). */
  restarted: 'rotated' | 'truncated' | null;
  /** Bytes left after the read (a partial line, or more than `maxBytes`). */
  pendingBytes: number;
}

const DEFAULT_MAX_BYTES = 16 << 20;

/**
 * Reads the complete lines appended since `cursor`. A changed inode/device (rotation) or a file shorter than the
 * offset (truncation) restarts at byte 0 of the file now at `path`. Lines still unread in a rotated-away file are lost.
 */
export async function readJobcompIncrement(
  path: string,
  cursor: JobcompCursor | null,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<Result<JobcompRead>> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    return err(`jobcomp file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let restarted: JobcompRead['restarted'] = null;
  let start = cursor ?? { dev: info.dev, ino: info.ino, offset: 0, nextLine: 1 };
  if (cursor !== null && (cursor.dev !== info.dev || cursor.ino !== info.ino)) restarted = 'rotated';
  else if (cursor !== null && info.size < cursor.offset) restarted = 'truncated';
  if (restarted !== null) start = { dev: info.dev, ino: info.ino, offset: 0, nextLine: 1 };
  const length = Math.min(info.size - start.offset, maxBytes);
  if (length <= 0) return ok({ lines: [], cursor: start, restarted, pendingBytes: 0 });
  const bytes = await readRange(path, start.offset, length);
  if (!bytes.ok) return bytes;
  const split = splitCompleteLines(bytes.value, start);
  return ok({ ...split, restarted, pendingBytes: info.size - split.cursor.offset });
}

async function readRange(path: string, position: number, length: number): Promise<Result<Buffer>> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return ok(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (e) {
    return err(`jobcomp file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function splitCompleteLines(
  bytes: Buffer,
  start: JobcompCursor,
): { lines: JobcompLine[]; cursor: JobcompCursor } {
  const lines: JobcompLine[] = [];
  let lineStart = 0;
  let nextLine = start.nextLine;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, lineStart)) {
    const text = bytes.subarray(lineStart, nl).toString('utf8').replace(/\r$/, '');
    if (text.trim() !== '') lines.push({ text, line: nextLine });
    nextLine++;
    lineStart = nl + 1;
  }
  return { lines, cursor: { ...start, offset: start.offset + lineStart, nextLine } };
}
