import { AppError } from '../../core/errors.js';
import type { ActionEngineDeps, ActionTickSummary, TickState } from './engine-types.js';
import { move } from './execute-action.js';
import {
  type ActionAuditRow,
  type ActionRow,
  getAction,
  getPauseState,
  listActionAudit,
  listActions,
  type PauseState,
  setPauseState,
} from './queries.js';
import { type EffectivePolicy, resolvePolicy } from './resolve-policy.js';
import { runActionTick } from './run-action-tick.js';
import type { ActionScope } from './schema.js';
import type { ActionKind, ActionState } from './types.js';

/** Who asks, as the API's auth resolved it (name and role; never the token). */
export interface ActionPrincipal {
  name: string;
  role: string;
}

export interface ActionPolicyView {
  paused: PauseState;
  defaultMode: string;
  policies: ActionEngineDeps['config']['policies'];
  /** The policy that applies to the scope asked about (the cluster's when no scope was given). */
  effective: EffectivePolicy;
}

export interface ActionEngine {
  runTick(now?: Date): Promise<ActionTickSummary>;
  listActions(q: {
    state?: ActionState | undefined;
    kind?: ActionKind | undefined;
    limit?: number | undefined;
  }): Promise<ActionRow[]>;
  getAction(id: number): Promise<{ action: ActionRow; audit: ActionAuditRow[] } | undefined>;
  approve(id: number, by: ActionPrincipal, note?: string): Promise<ActionRow>;
  reject(id: number, by: ActionPrincipal, note?: string): Promise<ActionRow>;
  pause(by: ActionPrincipal, note?: string): Promise<PauseState>;
  resume(by: ActionPrincipal, note?: string): Promise<PauseState>;
  getPolicy(scope?: Partial<Omit<ActionScope, 'nodes'>>): Promise<ActionPolicyView>;
}

const actorOf = (p: ActionPrincipal) => `${p.name} (${p.role})`;

/** The engine's one face: the analyzer's tick, and the operations the API routes call. */
export function createActionEngine(deps: ActionEngineDeps): ActionEngine {
  const now = () => new Date(deps.clock.now());
  const tickFor = (at: Date): TickState => ({
    now: at,
    paused: false,
    recent: [],
    summary: { planned: 0, skippedOff: 0, entered: {}, deferred: 0, resumed: 0, savingsRecorded: 0 },
  });
  const load = async (id: number) => {
    const row = await getAction(deps.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no action ${id}`);
    return row;
  };
  const setPaused = async (paused: boolean, by: ActionPrincipal, note?: string) => {
    await setPauseState(deps.db, { paused, changedBy: actorOf(by), changedAt: now(), note });
    deps.metrics.paused.set(paused ? 1 : 0);
    deps.log.warn({ by: actorOf(by), paused, note }, paused ? 'actions paused' : 'actions resumed');
    return getPauseState(deps.db);
  };
  return {
    runTick: (at) => runActionTick(deps, at ?? now()),
    listActions: (q) => listActions(deps.db, { state: q.state, kind: q.kind, limit: q.limit ?? 100 }),
    async getAction(id) {
      const action = await getAction(deps.db, id);
      return action ? { action, audit: await listActionAudit(deps.db, id) } : undefined;
    },
    async approve(id, by, note) {
      const row = await load(id);
      if (row.state !== 'planned' && row.state !== 'dry_run') {
        throw new AppError(
          'CONFLICT',
          `action ${id} is ${row.state}; only planned or dry_run actions can be approved`,
        );
      }
      const policy = resolvePolicy(deps.config, row.scope);
      if (policy.mode !== 'approve' && policy.mode !== 'auto') {
        throw new AppError(
          'CONFLICT',
          `policy ${policy.source} for this action is ${policy.mode}: it is never executed, so it cannot be approved`,
        );
      }
      const moved = await move(deps, tickFor(now()), row, {
        to: 'approved',
        actor: actorOf(by),
        detail: { note: note ?? null },
        patch: { approvedBy: actorOf(by), blockedReason: null },
      });
      if (!moved) throw new AppError('CONFLICT', `action ${id} changed meanwhile; read it again`);
      return moved;
    },
    async reject(id, by, note) {
      const row = await load(id);
      const retrying = row.state === 'failed' && row.nextAttemptAt !== null;
      if (!['planned', 'approved', 'dry_run'].includes(row.state) && !retrying) {
        throw new AppError('CONFLICT', `action ${id} is ${row.state}; it can no longer be rejected`);
      }
      const moved = await move(deps, tickFor(now()), row, {
        to: 'rejected',
        actor: actorOf(by),
        detail: { note: note ?? null },
        patch: { finishedAt: now(), nextAttemptAt: null, blockedReason: `rejected by ${actorOf(by)}` },
      });
      if (!moved) throw new AppError('CONFLICT', `action ${id} changed meanwhile; read it again`);
      return moved;
    },
    pause: (by, note) => setPaused(true, by, note),
    resume: (by, note) => setPaused(false, by, note),
    async getPolicy(scope) {
      const paused = await getPauseState(deps.db);
      deps.metrics.paused.set(paused.paused ? 1 : 0);
      return {
        paused,
        defaultMode: deps.config.defaultMode,
        policies: deps.config.policies,
        effective: resolvePolicy(deps.config, { cluster: deps.cluster, ...scope }),
      };
    },
  };
}
