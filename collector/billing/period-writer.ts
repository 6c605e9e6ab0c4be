import type { Db } from '../../core/db.js';
import { type Decimal, formatDecimal } from '../../core/decimal.js';
import {
  type BillingPeriodKey,
  claimBillingPeriod,
  finishBillingPeriod,
  insertBillingLines,
} from './queries.js';
import type { BillingFormat, BillingLine } from './types.js';

/** An import refused as a whole (mixed currencies, missing columns): the transaction rolls back. */
export class BillingImportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BillingImportRefused';
  }
}

export interface PeriodSummary {
  provider: string;
  billingAccountId: string;
  billingPeriodStart: string;
  billingPeriodEnd: string;
  currency: string;
  lines: number;
  billedCostTotal: string;
  effectiveCostTotal: string | null;
}

interface PeriodState {
  key: BillingPeriodKey;
  currency: string;
  currencyLine: number;
  importId: number | undefined;
  buffer: BillingLine[];
  lines: number;
  billed: Decimal;
  effective: Decimal | null;
}

/**
 * Groups lines by (provider, billing account, billing period) and writes each group in chunks, so a file
 * whose periods interleave holds at most one chunk per period. Runs inside the caller's transaction.
 */
export class PeriodWriter {
  private readonly periods = new Map<string, PeriodState>();
  private added = 0;

  constructor(
    private readonly db: Db,
    private readonly meta: { format: BillingFormat; sourceFile: string; now: Date; chunkSize: number },
  ) {}

  /** Buffers the line; returns the periods whose buffers must be flushed now. */
  add(line: BillingLine): PeriodState[] | undefined {
    const id = `${line.provider}\u0000${line.billingAccountId}\u0000${line.billingPeriodStartMs}`;
    let state = this.periods.get(id);
    if (!state) {
      state = newPeriod(line);
      this.periods.set(id, state);
    } else if (state.currency !== line.currency) {
      // adding USD to EUR would be a wrong number that looks right: refuse the whole file
      throw new BillingImportRefused(
        `${this.meta.sourceFile}: billing period ${new Date(state.key.billingPeriodStartMs).toISOString()} of ` +
          `${state.key.provider} account ${state.key.billingAccountId} mixes currencies ${state.currency} ` +
          `(line ${state.currencyLine}) and ${line.currency} (line ${line.lineNumber}); nothing imported`,
      );
    }
    state.buffer.push(line);
    state.lines++;
    state.billed += line.billedCost;
    if (line.effectiveCost !== null) state.effective = (state.effective ?? 0n) + line.effectiveCost;
    if (++this.added % this.meta.chunkSize === 0) return this.dueForFlush(line.lineNumber);
    return state.buffer.length >= this.meta.chunkSize ? [state] : undefined;
  }

  /**
   * Full buffers, and those holding lines read long ago: a line's strings are slices of the text chunk it was
   * read from, so a rare period's line would otherwise pin every chunk of the file until its buffer fills.
   */
  private dueForFlush(lineNumber: number): PeriodState[] {
    const horizon = lineNumber - 4 * this.meta.chunkSize;
    return [...this.periods.values()].filter(
      (p) =>
        p.buffer.length >= this.meta.chunkSize ||
        (p.buffer[0] !== undefined && p.buffer[0].lineNumber < horizon),
    );
  }

  async flush(state: PeriodState): Promise<void> {
    if (state.buffer.length === 0 && state.importId !== undefined) return;
    state.importId ??= await claimBillingPeriod(this.db, state.key, {
      ...this.meta,
      currency: state.currency,
    });
    const lines = state.buffer;
    state.buffer = [];
    await insertBillingLines(this.db, state.importId, lines);
  }

  async finish(sha256: string): Promise<PeriodSummary[]> {
    const out: PeriodSummary[] = [];
    for (const state of this.periods.values()) {
      await this.flush(state);
      if (state.importId === undefined) continue;
      await finishBillingPeriod(this.db, state.importId, {
        sha256,
        lineCount: state.lines,
        billedCostTotal: state.billed,
        effectiveCostTotal: state.effective,
      });
      out.push(summarize(state));
    }
    return out;
  }
}

function newPeriod(line: BillingLine): PeriodState {
  return {
    key: {
      provider: line.provider,
      billingAccountId: line.billingAccountId,
      billingPeriodStartMs: line.billingPeriodStartMs,
      billingPeriodEndMs: line.billingPeriodEndMs,
    },
    currency: line.currency,
    currencyLine: line.lineNumber,
    importId: undefined,
    buffer: [],
    lines: 0,
    billed: 0n,
    effective: null,
  };
}

function summarize(state: PeriodState): PeriodSummary {
  return {
    provider: state.key.provider,
    billingAccountId: state.key.billingAccountId,
    billingPeriodStart: new Date(state.key.billingPeriodStartMs).toISOString(),
    billingPeriodEnd: new Date(state.key.billingPeriodEndMs).toISOString(),
    currency: state.currency,
    lines: state.lines,
    billedCostTotal: formatDecimal(state.billed),
    effectiveCostTotal: state.effective === null ? null : formatDecimal(state.effective),
  };
}
