import type { Clock } from '../../core/clock.js';
import type { ActionsConfig } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import type { ActionMetrics } from './action-metrics.js';
import type { ActionRow } from './queries.js';
import type { ActionExecutor, ActionKind, ActionState } from './types.js';

export type ExecutorLookup =
  | ReadonlyMap<ActionKind, ActionExecutor>
  | ((kind: ActionKind) => ActionExecutor | undefined);

export interface ActionEngineDeps {
  db: Db;
  cluster: string;
  config: ActionsConfig;
  executors: ExecutorLookup;
  metrics: ActionMetrics;
  log: Logger;
  clock: Clock;
  /** Names this worker in leases and the audit (default `engine:<pid>`). */
  workerId?: string | undefined;
  /** Aborted on shutdown; executors see it as ExecutionContext.signal. */
  signal?: AbortSignal | undefined;
}

export interface ActionTickSummary {
  planned: number;
  /** Recommendations whose scope's policy is `off`: nothing planned. */
  skippedOff: number;
  /** Transitions made this tick, by the state entered. */
  entered: Partial<Record<ActionState, number>>;
  /** Actions that could not execute yet (pause, window, budget, cooldown, node age). */
  deferred: number;
  resumed: number;
  savingsRecorded: number;
}

/** What one tick shares between the actions it advances. */
export interface TickState {
  now: Date;
  paused: boolean;
  /** Actions executed within the look-back of budgets and cooldowns; grows as this tick claims more. */
  recent: ActionRow[];
  summary: ActionTickSummary;
}

export function lookupExecutor(executors: ExecutorLookup, kind: ActionKind): ActionExecutor | undefined {
  return typeof executors === 'function' ? executors(kind) : executors.get(kind);
}

export function workerIdOf(deps: Pick<ActionEngineDeps, 'workerId'>): string {
  return deps.workerId ?? `engine:${process.pid}`;
}
