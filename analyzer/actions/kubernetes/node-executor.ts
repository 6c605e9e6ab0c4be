import { err, ok, type Result } from '../../../core/result.js';
import type {
  ActionExecutor,
  ActionFailure,
  ActionRequest,
  ExecutionContext,
  PreconditionSnapshot,
  StepOutcome,
} from '../types.js';
import { invalidTarget, kubeFailure, optedOutFailure } from './action-failure.js';
import { readStepBoolean, readStepStrings } from './checkpoint.js';
import { type KubeActionDeps, tracked } from './deps.js';
import { cordonNode, drainNode, uncordonNode } from './drain-node.js';
import { findOptOut } from './opt-out.js';
import { findDrainRefusal, planDrain, podKey } from './plan-drain.js';

type NodeKind = 'cordon_node' | 'uncordon_node' | 'drain_node';
type Outcome = Promise<Result<StepOutcome, ActionFailure>>;

function nodeOf(req: ActionRequest): Result<string, ActionFailure> {
  return req.target.type === 'node'
    ? ok(req.target.node)
    : err(invalidTarget(req.kind, 'node', req.target.type));
}

async function checkNode(
  deps: KubeActionDeps,
  req: ActionRequest,
): Promise<Result<PreconditionSnapshot, ActionFailure>> {
  const target = nodeOf(req);
  if (!target.ok) return target;
  const node = target.value;
  const got = tracked(deps, 'get_node', await deps.client.getNode(node));
  if (!got.ok) return err(kubeFailure(`get node ${node}`, got.error));
  const optOut = findOptOut(got.value.annotations, `node/${node}`, {
    disruptive: req.kind !== 'uncordon_node',
  });
  if (optOut !== undefined) return err(optedOutFailure(optOut));
  const { resourceVersion, creationTimestamp, unschedulable, ready, providerId } = got.value;
  const observed: Record<string, unknown> = {
    node,
    resourceVersion,
    creationTimestamp,
    unschedulable,
    ready,
    providerId,
  };
  if (req.kind !== 'drain_node') return ok({ observed });
  const listed = tracked(deps, 'list_pods', await deps.client.listPodsOnNode(node));
  if (!listed.ok) return err(kubeFailure(`list pods on node ${node}`, listed.error));
  const plan = planDrain(listed.value);
  const refusal = findDrainRefusal(plan.evict);
  if (refusal !== undefined) return err(refusal);
  return ok({ observed: { ...observed, evict: plan.evict.map(podKey), skipped: plan.skipped } });
}

/** Server-side dry run of the cordon and of every eviction: a budget saying no now fails retryably. */
async function dryRunDrain(deps: KubeActionDeps, node: string): Outcome {
  const cordon = tracked(
    deps,
    'patch_node',
    await deps.client.patchNode(node, { spec: { unschedulable: true } }, { dryRun: true }),
  );
  if (!cordon.ok) return err(kubeFailure(`cordon node ${node} (dry run)`, cordon.error));
  const listed = tracked(deps, 'list_pods', await deps.client.listPodsOnNode(node));
  if (!listed.ok) return err(kubeFailure(`list pods on node ${node}`, listed.error));
  const plan = planDrain(listed.value);
  const refused: string[] = [];
  const causes = new Set<string>();
  for (const pod of plan.evict) {
    const evicted = tracked(
      deps,
      'evict_pod',
      await deps.client.evictPod(pod.namespace, pod.name, { dryRun: true }),
    );
    if (evicted.ok || evicted.error.status === 404) continue;
    if (evicted.error.status !== 429)
      return err(kubeFailure(`evict pod ${podKey(pod)} (dry run)`, evicted.error));
    refused.push(podKey(pod));
    for (const cause of evicted.error.causes) causes.add(cause);
  }
  if (refused.length > 0) {
    const why = causes.size > 0 ? ` (${[...causes].join('; ')})` : '';
    const message = `a PodDisruptionBudget refuses evicting ${refused.join(', ')} from node ${node} now${why}`;
    return err({ message, retryable: true, code: 'PDB_BLOCKED' });
  }
  return ok({ detail: { node, wouldEvict: plan.evict.map(podKey), skipped: plan.skipped } });
}

async function dryRunNode(deps: KubeActionDeps, req: ActionRequest, snapshot: PreconditionSnapshot): Outcome {
  const target = nodeOf(req);
  if (!target.ok) return target;
  const node = target.value;
  if (req.kind === 'drain_node') return dryRunDrain(deps, node);
  const unschedulable = req.kind === 'cordon_node' ? true : null;
  const patched = tracked(
    deps,
    'patch_node',
    await deps.client.patchNode(node, { spec: { unschedulable } }, { dryRun: true }),
  );
  if (!patched.ok) return err(kubeFailure(`${req.kind} ${node} (dry run)`, patched.error));
  const wouldChange = snapshot.observed['unschedulable'] !== (req.kind === 'cordon_node');
  return ok({ detail: { node, wouldChange } });
}

/** Cordon or uncordon; the node's state before is saved first, so a rollback after a crash knows what to undo. */
async function setUnschedulable(
  deps: KubeActionDeps,
  node: string,
  want: boolean,
  ctx: ExecutionContext,
): Outcome {
  const step = want ? 'cordoned' : 'uncordoned';
  const got = tracked(deps, 'get_node', await deps.client.getNode(node));
  if (!got.ok) return err(kubeFailure(`get node ${node}`, got.error));
  let wasUnschedulable = readStepBoolean(ctx.checkpoint, step, 'wasUnschedulable');
  if (wasUnschedulable === undefined) {
    wasUnschedulable = got.value.unschedulable;
    await ctx.saveCheckpoint(step, { node, wasUnschedulable });
  }
  if (got.value.unschedulable !== want) {
    const done = want ? await cordonNode(deps, node) : await uncordonNode(deps, node);
    if (!done.ok) return done;
  }
  return ok({ detail: { node, wasUnschedulable, changed: got.value.unschedulable !== want } });
}

async function executeNode(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = nodeOf(req);
  if (!target.ok) return target;
  const node = target.value;
  if (req.kind !== 'drain_node') return setUnschedulable(deps, node, req.kind === 'cordon_node', ctx);
  const drained = await drainNode(deps, node, {
    timeoutMs: deps.options.drainTimeoutMs,
    signal: ctx.signal,
    resume: {
      wasUnschedulable: readStepBoolean(ctx.checkpoint, 'cordoned', 'wasUnschedulable'),
      evicted: readStepStrings(ctx.checkpoint, 'evicted', 'pods'),
    },
    save: (step, data) => ctx.saveCheckpoint(step, data),
  });
  if (!drained.ok) return drained;
  const { evicted, skipped, cordonedByUs } = drained.value;
  return ok({ detail: { node, evicted, skipped, cordonedByUs } });
}

/** Undoes only what gpuscope did: an uncordon after its own cordon, a re-cordon after its own uncordon. */
async function rollbackNode(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = nodeOf(req);
  if (!target.ok) return target;
  const node = target.value;
  if (req.kind === 'uncordon_node') {
    if (readStepBoolean(ctx.checkpoint, 'uncordoned', 'wasUnschedulable') !== true)
      return ok({
        detail: { node, cordoned: false, why: 'the node was schedulable before, or nothing was done' },
      });
    const cordoned = await cordonNode(deps, node);
    return cordoned.ok ? ok({ detail: { node, cordoned: true } }) : cordoned;
  }
  const evicted = readStepStrings(ctx.checkpoint, 'evicted', 'pods') ?? [];
  if (readStepBoolean(ctx.checkpoint, 'cordoned', 'wasUnschedulable') !== false)
    return ok({ detail: { node, uncordoned: false, why: 'gpuscope did not cordon this node', evicted } });
  const undone = await uncordonNode(deps, node);
  // Evicted pods are not brought back: their controllers have already recreated them elsewhere.
  return undone.ok ? ok({ detail: { node, uncordoned: true, evicted } }) : undone;
}

/** `cordon_node`, `uncordon_node`, `drain_node`. */
export function createNodeExecutor(deps: KubeActionDeps): ActionExecutor {
  const kinds: readonly NodeKind[] = ['cordon_node', 'uncordon_node', 'drain_node'];
  return {
    kinds,
    checkPreconditions: (req) => checkNode(deps, req),
    dryRun: (req, snapshot) => dryRunNode(deps, req, snapshot),
    execute: (req, ctx) => executeNode(deps, req, ctx),
    rollback: (req, ctx) => rollbackNode(deps, req, ctx),
  };
}
