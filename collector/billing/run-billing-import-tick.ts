import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { BillingConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { importBillingFile } from './import-billing-file.js';

/** Files already imported (or refused) as they were then: size and mtime. In memory: a restart re-imports once. */
export class BillingImportState {
  readonly seen = new Map<string, string>();
}

export interface BillingImportTickSummary {
  files: number;
  imported: { file: string; lines: number; issues: number }[];
  refused: { file: string; error: string }[];
  unchanged: number;
  /** The folder could not be listed (missing, no permission). */
  dirError?: string;
}

const EXPORT = /\.csv(\.gz)?$/;

/**
 * Imports each `*.csv` / `*.csv.gz` in billing.importDir that is new or changed since it was last seen. A
 * re-import replaces its periods, so a restart importing everything again costs time, never doubles a total.
 * A refused file is not retried until it changes; a database fault throws and the file is retried next tick.
 */
export async function runBillingImportTick(
  deps: { db: Db; clock: Clock; log: Logger },
  state: BillingImportState,
  config: Pick<BillingConfig, 'importDir' | 'format'>,
): Promise<BillingImportTickSummary> {
  const summary: BillingImportTickSummary = { files: 0, imported: [], refused: [], unchanged: 0 };
  if (!config.importDir) return summary;
  let names: string[];
  try {
    names = (await readdir(config.importDir)).filter((n) => EXPORT.test(n)).sort();
  } catch (error) {
    summary.dirError = describeError(error);
    deps.log.warn({ dir: config.importDir, err: summary.dirError }, 'billing import folder unreadable');
    return summary;
  }
  summary.files = names.length;
  for (const name of names) {
    const path = join(config.importDir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const version = `${info.size}:${info.mtimeMs}`;
    if (state.seen.get(path) === version) {
      summary.unchanged++;
      continue;
    }
    const result = await importBillingFile(deps, path, { format: config.format });
    state.seen.set(path, version);
    if (result.ok) {
      summary.imported.push({ file: name, lines: result.value.lines, issues: result.value.issueCount });
    } else {
      summary.refused.push({ file: name, error: result.error });
      deps.log.warn({ file: path, err: result.error }, 'billing file refused');
    }
  }
  return summary;
}
