import type { Clock } from '../../core/clock.js';
import type { Result } from '../../core/result.js';

/**
 * The contract between the action engine (planning, policy, state machine, audit) and the executors that talk to
 * Kubernetes and AWS. The engine owns persistence; an executor only reads live state and acts.
 */
export const ACTION_KINDS = [
  'cordon_node',
  'uncordon_node',
  'drain_node',
  'scale_workload',
  'suspend_job',
  'resume_job',
  'scale_asg',
  'terminate_instance',
  'migrate_to_spot',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** planned → approved → dry_run → executing → done | failed | rolled_back; `rejected` when policy or a person says no. */
export const ACTION_STATES = [
  'planned',
  'approved',
  'dry_run',
  'executing',
  'done',
  'failed',
  'rolled_back',
  'rejected',
] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export type ActionTarget =
  | { type: 'node'; node: string; instanceId?: string | undefined }
  | {
      type: 'workload';
      namespace: string;
      kind: 'Deployment' | 'StatefulSet';
      name: string;
      /** The replica count to set. */
      replicas: number;
    }
  | { type: 'k8s_job'; namespace: string; name: string }
  | { type: 'asg'; name: string; desiredCapacity: number }
  | { type: 'instance'; instanceId: string; node?: string | undefined }
  | {
      type: 'spot_migration';
      /** The on-demand instance to replace and its Kubernetes node. */
      instanceId: string;
      node: string;
      /** Candidate spot instance types, in order of preference (price-capacity-optimized picks among them). */
      instanceTypes: readonly string[];
      launchTemplateId: string;
      launchTemplateVersion?: string | undefined;
      subnetIds?: readonly string[] | undefined;
    };

export interface ActionRequest {
  kind: ActionKind;
  target: ActionTarget;
  /** Why: `idle_gpu`, `right_size`, `spot_interruption`, `scale_down`, … (blast-radius budgets count per reason). */
  reason: string;
}

/** What the executor saw right before acting; the engine stores it in the audit. */
export interface PreconditionSnapshot {
  observed: Record<string, unknown>;
}

export interface ActionFailure {
  message: string;
  /** True for throttling, 429 from a PodDisruptionBudget, capacity shortfalls: the engine may retry later. */
  retryable: boolean;
  code?: string | undefined;
}

export interface StepOutcome {
  detail: Record<string, unknown>;
}

export interface ExecutionContext {
  actionId: number;
  /** Stable across retries and restarts (EC2 ClientToken, Kubernetes field manager suffix). */
  idempotencyKey: string;
  /** Progress saved by earlier attempts of this action: a resumed action skips steps already done. */
  checkpoint: Readonly<Record<string, unknown>>;
  /** Persists progress (the engine writes it to the action and the audit) before the executor moves on. */
  saveCheckpoint(step: string, data: Record<string, unknown>): Promise<void>;
  /**
   * What `checkPreconditions` returned right before this attempt, when the engine has it: an executor uses its
   * resource versions as optimistic-concurrency preconditions (a Kubernetes PUT of a Scale answers 409 when stale).
   */
  snapshot?: PreconditionSnapshot | undefined;
  signal: AbortSignal;
  clock: Clock;
}

export interface ActionExecutor {
  readonly kinds: readonly ActionKind[];
  /** Re-reads live state right before acting: resource versions, instance and job states, opt-out annotations. */
  checkPreconditions(req: ActionRequest): Promise<Result<PreconditionSnapshot, ActionFailure>>;
  /** The server-side dry run (Kubernetes `dryRun=All`, EC2 `DryRun: true`): ok when the real call would succeed. */
  dryRun(req: ActionRequest, snapshot: PreconditionSnapshot): Promise<Result<StepOutcome, ActionFailure>>;
  execute(req: ActionRequest, ctx: ExecutionContext): Promise<Result<StepOutcome, ActionFailure>>;
  /** Undoes what `execute` did so far, read from the checkpoint; used after a failure or a crash mid-action. */
  rollback(req: ActionRequest, ctx: ExecutionContext): Promise<Result<StepOutcome, ActionFailure>>;
}

export interface DrainSummary {
  evicted: readonly string[];
  /** `opted_out`: annotated do-not-disrupt; left running by a drain that may not refuse (a spot interruption). */
  skipped: readonly { pod: string; reason: 'daemonset' | 'mirror' | 'completed' | 'opted_out' }[];
}

/** Node operations the AWS spot migration and interruption handling need from Kubernetes. */
export interface NodeOperations {
  /** The node whose `spec.providerID` ends with this instance id, if any. */
  findNodeByInstanceId(instanceId: string): Promise<string | undefined>;
  waitForNodeReady(
    instanceId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Result<{ node: string }, ActionFailure>>;
  cordon(node: string): Promise<Result<StepOutcome, ActionFailure>>;
  uncordon(node: string): Promise<Result<StepOutcome, ActionFailure>>;
  drain(
    node: string,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<Result<DrainSummary, ActionFailure>>;
}
