import type { Result } from '../../core/result.js';
import { err, ok } from '../../core/result.js';
import type { FetchFailure } from '../dcgm/fetch-exposition.js';
import { fetchExposition } from '../dcgm/fetch-exposition.js';
import type { LabelCache } from '../dcgm/parse.js';
import { parseExposition } from '../dcgm/parse.js';
import { parseNodeExporterIb } from './parse-node-exporter-ib.js';
import type { FabricIssue, IbPortSnapshot } from './types.js';

/** A `collectors.infiniband.targets[]` entry. */
export interface NodeExporterIbTarget {
  url: string;
  /** Node name for the snapshots; defaults to the URL's host name. */
  node?: string | undefined;
}

export interface ReadNodeExporterIbOptions {
  nowMs: number;
  timeoutMs: number;
  /** node_exporter pages with every collector on run to a few hundred KB; 16 MiB stops a runaway. */
  maxBodyBytes?: number;
  /** Per-target cache: label blocks repeat scrape after scrape. */
  labelCache?: LabelCache;
}

/**
 * Scrapes one node_exporter and returns its InfiniBand port snapshots. An unreachable, slow or
 * oversized target is a failure Result, bad lines are issues; nothing throws.
 */
export async function readNodeExporterIb(
  target: NodeExporterIbTarget,
  options: ReadNodeExporterIbOptions,
): Promise<Result<{ snapshots: IbPortSnapshot[]; issues: FabricIssue[] }, FetchFailure>> {
  const fetched = await fetchExposition(target.url, {
    timeoutMs: options.timeoutMs,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
  });
  if (!fetched.ok) return err(fetched.error);
  const parsed = parseExposition(fetched.value.text, { source: target.url, labelCache: options.labelCache });
  const node = target.node ?? hostOf(target.url);
  const { snapshots, issues } = parseNodeExporterIb(parsed.samples, {
    node,
    timestampMs: options.nowMs,
    source: target.url,
  });
  const parseIssues: FabricIssue[] = parsed.issues.map((issue) => ({
    source: target.url,
    line: issue.line,
    reason: issue.reason,
  }));
  return ok({ snapshots, issues: [...parseIssues, ...issues] });
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
