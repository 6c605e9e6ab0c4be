import type { ActionRow } from './queries.js';
import { type EffectivePolicy, isInMaintenanceWindow, matchGlob } from './resolve-policy.js';
import type { ActionScope } from './schema.js';

export interface GateInputs {
  action: ActionRow;
  policy: EffectivePolicy;
  paused: boolean;
  now: Date;
  /** Actions of this cluster first executed within the last max(1 h, cooldown). */
  recent: readonly ActionRow[];
  /** When each node the action touches was first seen (the executor's creationTimestamp wins over gpuscope's). */
  nodeFirstSeen: ReadonlyMap<string, Date>;
  /** The cheap gates only, before the executor is asked for the live state that node age may need. */
  skipNodeAge?: boolean | undefined;
}

const nodeTargets = new Set(['node', 'instance', 'spot_migration', 'asg']);

function scopeCovers(policyScope: EffectivePolicy['scope'], scope: ActionScope): boolean {
  return (['cluster', 'nodePool', 'namespace', 'partition'] as const).every((k) => {
    const want = policyScope[k];
    const have = scope[k];
    return want === undefined || (have !== undefined && matchGlob(want, have));
  });
}

/**
 * Why an approved action may not execute now (and will be tried again next tick), or undefined. Order: the pause
 * switch, the mode, the maintenance window (auto only), cooldown on the target, the blast-radius budget, node age.
 */
export function findExecutionBlock(g: GateInputs): string | undefined {
  const { action, policy, now } = g;
  if (g.paused) return 'paused: the global pause switch is on';
  if (policy.mode !== 'approve' && policy.mode !== 'auto') {
    return `policy ${policy.source} is ${policy.mode}: it does not execute`;
  }
  if (
    policy.mode === 'auto' &&
    policy.maintenanceWindows.length > 0 &&
    !isInMaintenanceWindow(policy.maintenanceWindows, now)
  ) {
    return `outside the maintenance windows of ${policy.source}`;
  }
  const others = g.recent.filter((a) => a.id !== action.id && a.executedAt !== null);
  const cooldownFrom = now.getTime() - policy.cooldownMinutes * 60_000;
  const last = others.find(
    (a) => a.targetKey === action.targetKey && (a.executedAt as Date).getTime() > cooldownFrom,
  );
  if (last)
    return `cooldown: action ${last.id} acted on ${action.targetKey} less than ${policy.cooldownMinutes} min ago`;
  const hourAgo = now.getTime() - 3_600_000;
  const budgeted = others.filter(
    (a) =>
      a.reason === action.reason &&
      (a.executedAt as Date).getTime() > hourAgo &&
      scopeCovers(policy.scope, a.scope),
  );
  const nodes = budgeted.reduce((s, a) => s + a.blastNodes, 0);
  if (policy.maxNodesPerHour !== undefined && nodes + action.blastNodes > policy.maxNodesPerHour) {
    return `blast radius: ${nodes} node(s) acted on for ${action.reason} in the last hour, ${action.blastNodes} more would pass maxNodesPerHour ${policy.maxNodesPerHour}`;
  }
  const gpus = budgeted.reduce((s, a) => s + a.blastGpus, 0);
  if (policy.maxGpusPerHour !== undefined && gpus + action.blastGpus > policy.maxGpusPerHour) {
    return `blast radius: ${gpus} GPU(s) acted on for ${action.reason} in the last hour, ${action.blastGpus} more would pass maxGpusPerHour ${policy.maxGpusPerHour}`;
  }
  if (!g.skipNodeAge && nodeTargets.has(action.request.target.type) && policy.minNodeAgeMinutes > 0) {
    for (const node of action.scope.nodes ?? []) {
      const seen = g.nodeFirstSeen.get(node);
      if (!seen) return `node age: first-seen time of ${node} is unknown`;
      const ageMinutes = (now.getTime() - seen.getTime()) / 60_000;
      if (ageMinutes < policy.minNodeAgeMinutes) {
        return `node age: ${node} is ${Math.floor(ageMinutes)} min old, under minNodeAgeMinutes ${policy.minNodeAgeMinutes}`;
      }
    }
  }
  return undefined;
}

/** The node's creationTimestamp when the executor's snapshot carries one (`observed.creationTimestamp`). */
export function readSnapshotCreation(observed: Record<string, unknown>): Date | undefined {
  const v =
    observed.creationTimestamp ??
    (observed.metadata as Record<string, unknown> | undefined)?.creationTimestamp;
  if (typeof v !== 'string' && !(v instanceof Date)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
