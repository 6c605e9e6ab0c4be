import { numberToDecimal } from '../../core/decimal.js';
import type { ActionEngineDeps } from './engine-types.js';
import { sumSubjectCostUsd } from './load-planning-inputs.js';
import { appendActionAudit, listActionsDueForSavings, updateActionIf } from './queries.js';

/**
 * For each done action whose after-window has closed: the subject's cost over the window before it started and
 * over an equal window after it finished; savings = before − after (negative when cost went up). With no priced
 * hour before, nothing can be compared: the action is marked evaluated with no savings, and the audit says why.
 */
export async function recordRealizedSavings(deps: ActionEngineDeps, now: Date): Promise<number> {
  const windowMs = deps.config.savingsWindowHours * 3_600_000;
  const due = await listActionsDueForSavings(deps.db, deps.cluster, new Date(now.getTime() - windowMs));
  let recorded = 0;
  for (const action of due) {
    const started = action.executedAt ?? action.finishedAt ?? now;
    const finished = action.finishedAt ?? now;
    const beforeFrom = new Date(started.getTime() - windowMs);
    const afterTo = new Date(finished.getTime() + windowMs);
    const before = await sumSubjectCostUsd(deps.db, action.cluster, action.costSubject, beforeFrom, started);
    const after = await sumSubjectCostUsd(deps.db, action.cluster, action.costSubject, finished, afterTo);
    const known = before.pricedRows > 0;
    const savings = known ? round6(before.costUsd - after.costUsd) : null;
    const wrote = await deps.db.transaction(async (tx) => {
      const row = await updateActionIf(
        tx,
        action.id,
        { state: 'done', version: action.version },
        {
          savingsBeforeFrom: beforeFrom,
          savingsAfterTo: afterTo,
          savingsBeforeUsd: known ? numberToDecimal(round6(before.costUsd)) : null,
          savingsAfterUsd: known ? numberToDecimal(round6(after.costUsd)) : null,
          realizedSavingsUsd: savings === null ? null : numberToDecimal(savings),
          updatedAt: now,
        },
      );
      if (!row) return false;
      await appendActionAudit(tx, [
        {
          actionId: action.id,
          at: now,
          event: 'realized_savings',
          actor: 'engine',
          ok: known,
          detail: {
            before: {
              from: beforeFrom.toISOString(),
              to: started.toISOString(),
              costUsd: before.costUsd,
              pricedRows: before.pricedRows,
            },
            after: {
              from: finished.toISOString(),
              to: afterTo.toISOString(),
              costUsd: after.costUsd,
              pricedRows: after.pricedRows,
            },
            realizedSavingsUsd: savings,
            ...(known ? {} : { why: 'no priced cost rows in the window before the action' }),
          },
        },
      ]);
      return true;
    });
    if (!wrote) continue;
    recorded++;
    // a counter only goes up: an action that raised cost is on the action and in its audit, not here
    if (savings !== null && savings > 0) deps.metrics.realizedSavingsUsd.inc(savings);
  }
  return recorded;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
