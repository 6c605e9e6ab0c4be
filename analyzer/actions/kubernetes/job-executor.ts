import { err, ok, type Result } from '../../../core/result.js';
import type {
  ActionExecutor,
  ActionFailure,
  ActionRequest,
  ExecutionContext,
  StepOutcome,
} from '../types.js';
import { invalidTarget, kubeFailure, optedOutFailure } from './action-failure.js';
import { readStepBoolean } from './checkpoint.js';
import { type KubeActionDeps, tracked } from './deps.js';
import { findOptOut } from './opt-out.js';

type Outcome = Promise<Result<StepOutcome, ActionFailure>>;

interface JobTarget {
  namespace: string;
  name: string;
  /** The `spec.suspend` this action sets. */
  suspend: boolean;
}

function targetOf(req: ActionRequest): Result<JobTarget, ActionFailure> {
  if (req.target.type !== 'k8s_job') return err(invalidTarget(req.kind, 'k8s_job', req.target.type));
  const { namespace, name } = req.target;
  return ok({ namespace, name, suspend: req.kind === 'suspend_job' });
}

const label = (t: JobTarget) => `Job/${t.namespace}/${t.name}`;
const stepOf = (t: JobTarget) => (t.suspend ? 'suspending' : 'resuming');

async function checkJob(deps: KubeActionDeps, req: ActionRequest) {
  const target = targetOf(req);
  if (!target.ok) return target;
  const t = target.value;
  const job = tracked(deps, 'get_job', await deps.client.getJob(t.namespace, t.name));
  if (!job.ok) return err(kubeFailure(`get ${label(t)}`, job.error));
  // Suspending deletes the Job's running pods: the opt-outs their template carries count then.
  const optOut =
    findOptOut(job.value.annotations, label(t), { disruptive: false }) ??
    (t.suspend
      ? findOptOut(job.value.templateAnnotations, `${label(t)} pod template`, { disruptive: true })
      : undefined);
  if (optOut !== undefined) return err(optedOutFailure(optOut));
  if (job.value.finished !== null) {
    const message = `${label(t)} has finished (${job.value.finished}); there is nothing to ${t.suspend ? 'suspend' : 'resume'}`;
    return err({ message, retryable: false, code: 'JOB_FINISHED' });
  }
  const { resourceVersion, suspend } = job.value;
  return ok({ observed: { namespace: t.namespace, name: t.name, resourceVersion, suspend } });
}

async function patchSuspend(deps: KubeActionDeps, t: JobTarget, suspend: boolean, dryRun = false): Outcome {
  const patch = { spec: { suspend } };
  const patched = tracked(
    deps,
    'patch_job',
    await deps.client.patchJob(t.namespace, t.name, patch, { dryRun }),
  );
  if (!patched.ok)
    return err(kubeFailure(`set ${label(t)} suspend=${suspend}${dryRun ? ' (dry run)' : ''}`, patched.error));
  return ok({ detail: { job: label(t), suspend: patched.value.suspend } });
}

async function executeJob(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = targetOf(req);
  if (!target.ok) return target;
  const t = target.value;
  if (readStepBoolean(ctx.checkpoint, stepOf(t), 'previousSuspend') === undefined) {
    const job = tracked(deps, 'get_job', await deps.client.getJob(t.namespace, t.name));
    if (!job.ok) return err(kubeFailure(`get ${label(t)}`, job.error));
    await ctx.saveCheckpoint(stepOf(t), { previousSuspend: job.value.suspend });
    if (job.value.suspend === t.suspend)
      return ok({ detail: { job: label(t), suspend: t.suspend, changed: false } });
  }
  const patched = await patchSuspend(deps, t, t.suspend);
  if (patched.ok) deps.log.info({ job: label(t), suspend: t.suspend }, 'job suspend set');
  return patched;
}

/** Flips `spec.suspend` back to what it was, only if this action changed it. */
async function rollbackJob(deps: KubeActionDeps, req: ActionRequest, ctx: ExecutionContext): Outcome {
  const target = targetOf(req);
  if (!target.ok) return target;
  const t = target.value;
  const previous = readStepBoolean(ctx.checkpoint, stepOf(t), 'previousSuspend');
  if (previous === undefined || previous === t.suspend)
    return ok({ detail: { job: label(t), restored: false } });
  return patchSuspend(deps, t, previous);
}

/** `suspend_job`, `resume_job`: a batch/v1 Job's `spec.suspend` by JSON merge patch. */
export function createJobExecutor(deps: KubeActionDeps): ActionExecutor {
  return {
    kinds: ['suspend_job', 'resume_job'],
    checkPreconditions: (req) => checkJob(deps, req),
    async dryRun(req) {
      const target = targetOf(req);
      return target.ok ? patchSuspend(deps, target.value, target.value.suspend, true) : target;
    },
    execute: (req, ctx) => executeJob(deps, req, ctx),
    rollback: (req, ctx) => rollbackJob(deps, req, ctx),
  };
}
