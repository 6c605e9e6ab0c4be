import type { ActionPolicyConfig, ActionsConfig } from '../../core/config.js';
import type { ActionScope } from './schema.js';
import type { ActionRequest } from './types.js';

export type ActionMode = ActionPolicyConfig['mode'];

export interface EffectivePolicy extends Omit<ActionPolicyConfig, 'scope'> {
  scope: ActionPolicyConfig['scope'];
  /** `policies[2]` or `defaultMode`: which entry decided, for the audit and GET /actions/policy. */
  source: string;
}

const scopeKeys = ['cluster', 'nodePool', 'namespace', 'partition'] as const;

/** `*` any run of characters, `?` one; everything else literal. */
export function matchGlob(glob: string, value: string): boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(value);
}

function matchesScope(policy: ActionPolicyConfig, scope: ActionScope): boolean {
  return scopeKeys.every((k) => {
    const want = policy.scope[k];
    if (want === undefined) return true;
    const have = scope[k];
    return have !== undefined && matchGlob(want, have);
  });
}

/**
 * The most specific matching policy wins (the one naming the most of cluster, node pool, namespace, partition);
 * among equally specific ones the first listed. With none, the default mode and default limits.
 */
export function resolvePolicy(config: ActionsConfig, scope: ActionScope): EffectivePolicy {
  let best: { policy: ActionPolicyConfig; index: number; specificity: number } | undefined;
  config.policies.forEach((policy, index) => {
    if (!matchesScope(policy, scope)) return;
    const specificity = scopeKeys.filter((k) => policy.scope[k] !== undefined).length;
    if (!best || specificity > best.specificity) best = { policy, index, specificity };
  });
  if (best) return { ...best.policy, source: `policies[${best.index}]` };
  return {
    scope: {},
    mode: config.defaultMode,
    cooldownMinutes: 60,
    minNodeAgeMinutes: 60,
    maintenanceWindows: [],
    source: 'defaultMode',
  };
}

/** Why the policy forbids this action outright (kind or target off its allow-lists), or undefined when allowed. */
export function findAllowListViolation(
  policy: EffectivePolicy,
  request: ActionRequest,
  scope: ActionScope,
): string | undefined {
  if (policy.allowKinds && !policy.allowKinds.includes(request.kind)) {
    return `kind ${request.kind} is not in allowKinds of ${policy.source}`;
  }
  if (policy.allowNodes) {
    const globs = policy.allowNodes;
    const outside = (scope.nodes ?? []).find((n) => !globs.some((g) => matchGlob(g, n)));
    if (outside !== undefined) return `node ${outside} is not in allowNodes of ${policy.source}`;
    if (
      (scope.nodes ?? []).length === 0 &&
      request.target.type !== 'workload' &&
      request.target.type !== 'k8s_job'
    ) {
      return `the action names no node to check against allowNodes of ${policy.source}`;
    }
  }
  if (policy.allowNamespaces && scope.namespace !== undefined) {
    const ns = scope.namespace;
    if (!policy.allowNamespaces.some((g) => matchGlob(g, ns))) {
      return `namespace ${ns} is not in allowNamespaces of ${policy.source}`;
    }
  }
  return undefined;
}

const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Inside any window (UTC). A window ending at or before its start runs into the next day, still its start day's. */
export function isInMaintenanceWindow(windows: EffectivePolicy['maintenanceWindows'], at: Date): boolean {
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  const today = dayNames[at.getUTCDay()] as (typeof dayNames)[number];
  const yesterday = dayNames[(at.getUTCDay() + 6) % 7] as (typeof dayNames)[number];
  return windows.some((w) => {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    if (end > start) return w.days.includes(today) && minute >= start && minute < end;
    return (w.days.includes(today) && minute >= start) || (w.days.includes(yesterday) && minute < end);
  });
}
