import { err, ok, type Result } from '../../core/result.js';
import { parseDmonLines } from './parse-dmon.js';
import { parseQueryGpuCsvLines } from './parse-query-gpu-csv.js';
import { type CaptureSection, splitCaptureSections } from './split-capture-sections.js';
import {
  createParseError,
  type DmonReading,
  type NvidiaSmiParseError,
  NvidiaSmiParseFailure,
  type QueryGpuReading,
} from './types.js';

export type { CaptureSection } from './split-capture-sections.js';
export { splitCaptureSections } from './split-capture-sections.js';
export type { DmonReading, NvidiaSmiParseError, QueryGpuReading } from './types.js';

/** What one state of a capture (`idle`, `load`) read; null where the capture has no such section. */
export interface CaptureState {
  queryGpu: QueryGpuReading[] | null;
  dmon: DmonReading[] | null;
}

export interface NvidiaSmiCapture {
  /** By state as the capture names it (`idle`, `load`); `capabilities` is left out. */
  states: Map<string, CaptureState>;
}

const QUERY_GPU = /^nvidia-smi --query-gpu=\S+ --format=csv/;
const DMON = /^nvidia-smi dmon\b/;

/**
 * Parses the `--query-gpu` CSV and `dmon` sections of every state of a nvidia_gpu_exporter capture file
 * (`internal/captures/*.txt`). Pure; `source` names the file in errors.
 */
export function parseNvidiaSmiCapture(
  text: string,
  source: string,
): Result<NvidiaSmiCapture, NvidiaSmiParseError> {
  const states = new Map<string, CaptureState>();
  try {
    for (const section of splitCaptureSections(text)) {
      if (section.state === 'capabilities' || section.command === null) continue;
      const isQuery = QUERY_GPU.test(section.command);
      const isDmon = DMON.test(section.command);
      if (!isQuery && !isDmon) continue;
      const state = states.get(section.state) ?? { queryGpu: null, dmon: null };
      states.set(section.state, state);
      const at = { source, section: `${section.state} :: ${section.what}`, firstLine: section.firstLine };
      if (isQuery)
        state.queryGpu = once(
          state.queryGpu,
          'query-gpu',
          section,
          source,
          parseQueryGpuCsvLines(section.lines, at),
        );
      else state.dmon = once(state.dmon, 'dmon', section, source, parseDmonLines(section.lines, at));
    }
  } catch (error) {
    if (error instanceof NvidiaSmiParseFailure) return err(error.detail);
    throw error;
  }
  return ok({ states });
}

function once<T>(
  previous: T[] | null,
  kind: string,
  section: CaptureSection,
  source: string,
  next: T[],
): T[] {
  if (previous === null) return next;
  const line = Math.max(1, section.firstLine - 3);
  throw new NvidiaSmiParseFailure(
    createParseError(
      { source, section: `${section.state} :: ${section.what}`, line },
      `a second ${kind} section for state ${section.state}`,
    ),
  );
}
