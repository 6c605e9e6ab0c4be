import { err, ok, type Result } from '../../../core/result.js';
import type {
  ActionExecutor,
  ActionFailure,
  ActionRequest,
  ExecutionContext,
  StepOutcome,
} from '../types.js';
import { invalidTarget, kubeFailure, optedOutFailure } from './action-failure.js';
import { readStepNumber } from './checkpoint.js';
import { type KubeActionDeps, tracked } from './deps.js';
import type { WorkloadRef } from './kube-actions-client.js';
import { findOptOut } from './opt-out.js';

type Outcome = Promise<Result<StepOutcome, ActionFailure>>;

const ROLLBACK_CONFLICT_TRIES = 3;

function targetOf(req: ActionRequest): Result<WorkloadRef & { replicas: number }, ActionFailure> {
  const t = req.target;
  if (t.type !== 'workload') return err(invalidTarget(req.kind, 'workload', t.type));
  if (!Number.isInteger(t.replicas) || t.replicas < 0) {
    const message = `scale_workload ${t.kind}/${t.namespace}/${t.name}: replicas must be a whole number ≥ 0, got ${t.replicas}`;
    return err({ message, retryable: false, code: 'INVALID_TARGET' });
  }
  return ok({ kind: t.kind, namespace: t.namespace, name: t.name, replicas: t.replicas });
}

const label = (ref: WorkloadRef) => `${ref.kind}/${ref.namespace}/${ref.name}`;

/** A 409 means someone else changed the workload since gpuscope looked: the engine must plan again. */
function scaleFailure(what: string, error: Parameters<typeof kubeFailure>[1]): ActionFailure {
  const failure = kubeFailure(what, error);
  return error.status === 409
    ? { ...failure, message: `${failure.message}; plan again`, retryable: false }
    : failure;
}

async function checkWorkload(deps: KubeActionDeps, req: ActionRequest) {
  const target = targetOf(req);
  if (!target.ok) return target;
  const ref = target.value;
  const workload = tracked(deps, 'get_workload', await deps.client.getWorkload(ref));
  if (!workload.ok) return err(kubeFailure(`get ${label(ref)}`, workload.error));
  const scale = tracked(deps, 'get_scale', await deps.client.getScale(ref));
  if (!scale.ok) return err(kubeFailure(`get ${label(ref)} scale`, scale.error));
  const own = findOptOut(workload.value.annotations, label(ref), { disruptive: false });
  // Scaling down removes pods: the opt-outs their template carries count then.
  const down = ref.replicas < scale.value.replicas;
  const template = down
    ? findOptOut(workload.value.templateAnnotations, `${label(ref)} pod template`, { disruptive: true })
    : undefined;
  const optOut = own ?? template;
  if (optOut !== undefined) return err(optedOutFailure(optOut));
  const { resourceVersion, replicas } = scale.value;
  return ok({ observed: { ...ref, resourceVersion, replicas, targetReplicas: ref.replicas } });
}

async function executeScale(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = targetOf(req);
  if (!target.ok) return target;
  const { replicas, ...ref } = target.value;
  const resumed = readStepNumber(ctx.checkpoint, 'scaling', 'previousReplicas');
  const seen = ctx.snapshot?.observed;
  let from = typeof seen?.['replicas'] === 'number' ? seen['replicas'] : undefined;
  let resourceVersion = typeof seen?.['resourceVersion'] === 'string' ? seen['resourceVersion'] : undefined;
  // Resumed, or no snapshot from the engine: read the Scale now (a resumed PUT may already have landed).
  if (resumed !== undefined || from === undefined || resourceVersion === undefined) {
    const scale = tracked(deps, 'get_scale', await deps.client.getScale(ref));
    if (!scale.ok) return err(kubeFailure(`get ${label(ref)} scale`, scale.error));
    ({ resourceVersion } = scale.value);
    from = scale.value.replicas;
  }
  if (resumed === undefined) await ctx.saveCheckpoint('scaling', { previousReplicas: from, replicas });
  const previous = resumed ?? from;
  if (from === replicas)
    return ok({ detail: { workload: label(ref), from: previous, to: replicas, changed: false } });
  const put = tracked(
    deps,
    'replace_scale',
    await deps.client.replaceScale(ref, { replicas, resourceVersion }),
  );
  if (!put.ok) return err(scaleFailure(`scale ${label(ref)} to ${replicas}`, put.error));
  deps.log.info({ workload: label(ref), from: previous, to: replicas }, 'workload scaled');
  return ok({ detail: { workload: label(ref), from: previous, to: replicas, changed: true } });
}

/** Restores the replica count saved before the scale, re-reading on a conflict (the rollback must land). */
async function rollbackScale(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = targetOf(req);
  if (!target.ok) return target;
  const { replicas: _, ...ref } = target.value;
  const previous = readStepNumber(ctx.checkpoint, 'scaling', 'previousReplicas');
  if (previous === undefined) return ok({ detail: { workload: label(ref), restored: false } });
  for (let attempt = 1; ; attempt++) {
    const scale = tracked(deps, 'get_scale', await deps.client.getScale(ref));
    if (!scale.ok) return err(kubeFailure(`get ${label(ref)} scale`, scale.error));
    if (scale.value.replicas === previous)
      return ok({ detail: { workload: label(ref), restored: true, replicas: previous } });
    const body = { replicas: previous, resourceVersion: scale.value.resourceVersion };
    const put = tracked(deps, 'replace_scale', await deps.client.replaceScale(ref, body));
    if (put.ok) return ok({ detail: { workload: label(ref), restored: true, replicas: previous } });
    if (put.error.status !== 409 || attempt >= ROLLBACK_CONFLICT_TRIES)
      return err(kubeFailure(`restore ${label(ref)} to ${previous} replicas`, put.error));
  }
}

/** `scale_workload`: a Deployment or StatefulSet through its autoscaling/v1 Scale subresource. */
export function createWorkloadExecutor(deps: KubeActionDeps): ActionExecutor {
  return {
    kinds: ['scale_workload'],
    checkPreconditions: (req) => checkWorkload(deps, req),
    async dryRun(req, snapshot) {
      const target = targetOf(req);
      if (!target.ok) return target;
      const { replicas, ...ref } = target.value;
      const rv = snapshot.observed['resourceVersion'];
      const resourceVersion = typeof rv === 'string' ? rv : undefined;
      const put = tracked(
        deps,
        'replace_scale',
        await deps.client.replaceScale(ref, { replicas, resourceVersion }, { dryRun: true }),
      );
      if (!put.ok) return err(scaleFailure(`scale ${label(ref)} to ${replicas} (dry run)`, put.error));
      return ok({ detail: { workload: label(ref), from: snapshot.observed['replicas'], to: replicas } });
    },
    execute: (req, ctx) => executeScale(deps, req, ctx),
    rollback: (req, ctx) => rollbackScale(deps, req, ctx),
  };
}
