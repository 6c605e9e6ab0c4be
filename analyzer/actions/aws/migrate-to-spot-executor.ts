import { CreateFleetCommand, type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Logger } from '../../../core/log.js';
import { err, ok, type Result } from '../../../core/result.js';
import type {
  ActionExecutor,
  ActionFailure,
  ActionRequest,
  ExecutionContext,
  NodeOperations,
  StepOutcome,
} from '../types.js';
import type { AwsActionMetrics } from './aws-action-metrics.js';
import { callAws, toActionFailure } from './call-aws.js';
import {
  describeInstance,
  doNotDisruptTag,
  isOptedOut,
  listInstancesByTag,
  readTerminationProtection,
} from './describe-instance.js';
import {
  actionTag,
  actionTagValue,
  buildCreateFleetInput,
  type FleetLaunchSpec,
  launchReplacementFleet,
} from './launch-replacement-fleet.js';
import {
  type MigrationProgress,
  type MigrationStep,
  newInstanceIds,
  readMigrationProgress,
} from './migration-progress.js';
import { dryRunTerminate, terminateInstance } from './terminate-instance-executor.js';

export interface SpotMigrationSettings {
  /** With no spot capacity in any listed type, launch the replacement on-demand (listed order) instead of failing. */
  onDemandFallback: boolean;
  nodeReadyTimeoutSeconds: number;
  drainTimeoutSeconds: number;
}

export interface MigrateToSpotDeps {
  ec2: EC2Client;
  nodes: NodeOperations;
  log: Logger;
  metrics: AwsActionMetrics;
  settings: SpotMigrationSettings;
}

type SpotTarget = Extract<ActionRequest['target'], { type: 'spot_migration' }>;
type Outcome = Result<StepOutcome, ActionFailure>;

function refuse(code: string, message: string, retryable = false): Result<never, ActionFailure> {
  return err({ code, message, retryable });
}

function targetOf(req: ActionRequest): SpotTarget | undefined {
  return req.target.type === 'spot_migration' ? req.target : undefined;
}

function fleetSpec(target: SpotTarget, idempotencyKey: string): FleetLaunchSpec {
  return {
    launchTemplateId: target.launchTemplateId,
    launchTemplateVersion: target.launchTemplateVersion,
    instanceTypes: target.instanceTypes,
    subnetIds: target.subnetIds,
    count: 1,
    replaces: target.instanceId,
    idempotencyKey,
  };
}

async function save(ctx: ExecutionContext, step: MigrationStep, progress: MigrationProgress): Promise<void> {
  await ctx.saveCheckpoint(step, { step, ...progress });
}

/**
 * Replace before remove: launch the spot replacement, wait for its node to be Ready, cordon and drain the old node,
 * then terminate the old instance. Every step is checkpointed, so a resumed action continues where it stopped (the
 * same ClientToken never creates a second fleet) and rollback knows exactly what to undo.
 */
export function createMigrateToSpotExecutor(deps: MigrateToSpotDeps): ActionExecutor {
  return {
    kinds: ['migrate_to_spot'],
    checkPreconditions: (req) => checkMigration(deps, req),
    dryRun: (req) => dryRunMigration(deps, req),
    execute: (req, ctx) => executeMigration(deps, req, ctx),
    rollback: (req, ctx) => rollbackMigration(deps, req, ctx),
  };
}

async function checkMigration(deps: MigrateToSpotDeps, req: ActionRequest) {
  const target = targetOf(req);
  if (!target)
    return refuse('VALIDATION', `migrate_to_spot needs a spot_migration target, got ${req.target.type}`);
  if (target.instanceTypes.length === 0)
    return refuse('VALIDATION', 'migrate_to_spot needs at least one instance type');
  if (!target.launchTemplateId) return refuse('VALIDATION', 'migrate_to_spot needs a launch template id');
  const described = await callAws(deps, 'DescribeInstances', () =>
    describeInstance(deps.ec2, target.instanceId),
  );
  if (!described.ok) return err(toActionFailure(described.error));
  const facts = described.value;
  if (!facts) return refuse('InvalidInstanceID.NotFound', `instance ${target.instanceId} not found`);
  if (facts.state !== 'running')
    return refuse('IncorrectInstanceState', `${facts.instanceId} is ${facts.state}, not running`);
  if (facts.lifecycle !== 'on-demand')
    return refuse('NotOnDemand', `${facts.instanceId} is already ${facts.lifecycle}`);
  if (isOptedOut(facts)) return refuse('OptedOut', `${facts.instanceId} is tagged ${doNotDisruptTag}=true`);
  // The last step terminates the old instance: find out now, not after its node was drained.
  const protection = await callAws(deps, 'DescribeInstanceAttribute', () =>
    readTerminationProtection(deps.ec2, target.instanceId),
  );
  if (!protection.ok) return err(toActionFailure(protection.error));
  if (protection.value)
    return refuse('TerminationProtected', `${target.instanceId} has termination protection on`);
  const node = await deps.nodes.findNodeByInstanceId(target.instanceId);
  if (!node)
    return refuse('NodeNotFound', `no Kubernetes node has providerID ending in ${target.instanceId}`);
  if (node !== target.node)
    return refuse('NodeMismatch', `${target.instanceId} is node ${node}, not ${target.node}`);
  return ok({
    observed: {
      instanceId: facts.instanceId,
      node,
      state: facts.state,
      lifecycle: facts.lifecycle,
      instanceType: facts.instanceType,
      availabilityZone: facts.availabilityZone,
      candidateTypes: [...target.instanceTypes],
    },
  });
}

async function dryRunMigration(deps: MigrateToSpotDeps, req: ActionRequest): Promise<Outcome> {
  const target = targetOf(req);
  if (!target) return refuse('VALIDATION', 'migrate_to_spot needs a spot_migration target');
  const input = buildCreateFleetInput(fleetSpec(target, 'dry-run'), 'spot', { dryRun: true });
  const fleet = await callAws(deps, 'CreateFleet', () => deps.ec2.send(new CreateFleetCommand(input)));
  if (fleet.ok)
    return refuse('DryRunNotHonored', 'CreateFleet with DryRun returned success instead of DryRunOperation');
  if (fleet.error.errorClass !== 'dry_run_ok') return err(toActionFailure(fleet.error));
  const terminate = await dryRunTerminate(deps, target.instanceId);
  if (!terminate.ok) return terminate;
  return ok({
    detail: {
      createFleet: 'DryRunOperation',
      terminateInstances: 'DryRunOperation',
      instanceTypes: [...target.instanceTypes],
      onDemandFallback: deps.settings.onDemandFallback,
    },
  });
}

async function executeMigration(
  deps: MigrateToSpotDeps,
  req: ActionRequest,
  ctx: ExecutionContext,
): Promise<Outcome> {
  const target = targetOf(req);
  if (!target) return refuse('VALIDATION', 'migrate_to_spot needs a spot_migration target');
  const progress = readMigrationProgress(ctx.checkpoint);
  const resumedFrom = Object.keys(progress).filter(
    (k) => progress[k as keyof MigrationProgress] !== undefined,
  );
  for (const step of [launchStep, readyStep, cordonStep, drainStep, terminateStep]) {
    if (ctx.signal.aborted) return refuse('Aborted', 'the spot migration was cancelled', true);
    const done = await step(deps, target, ctx, progress);
    if (!done.ok) return done;
  }
  return ok({
    detail: {
      oldInstanceId: target.instanceId,
      oldNode: target.node,
      newInstances: progress.fleet?.instances ?? [],
      newNodes: progress.newNodes ?? [],
      capacityType: progress.fleet?.capacityType,
      fleetErrors: progress.fleet?.errors ?? [],
      drain: progress.drain,
      resumed: resumedFrom.length > 0,
    },
  });
}

type Step = (
  deps: MigrateToSpotDeps,
  target: SpotTarget,
  ctx: ExecutionContext,
  progress: MigrationProgress,
) => Promise<Result<void, ActionFailure>>;

const launchStep: Step = async (deps, target, ctx, progress) => {
  if (progress.fleet) return ok(undefined);
  const launched = await launchReplacementFleet(deps, fleetSpec(target, ctx.idempotencyKey), {
    onDemandFallback: deps.settings.onDemandFallback,
  });
  if (!launched.ok) return launched;
  progress.fleet = launched.value;
  await save(ctx, 'fleet_created', progress);
  return ok(undefined);
};

const readyStep: Step = async (deps, _target, ctx, progress) => {
  if (progress.newNodes) return ok(undefined);
  const nodes: string[] = [];
  for (const instanceId of newInstanceIds(progress)) {
    const ready = await deps.nodes.waitForNodeReady(
      instanceId,
      deps.settings.nodeReadyTimeoutSeconds * 1000,
      ctx.signal,
    );
    if (!ready.ok) return ready;
    nodes.push(ready.value.node);
  }
  progress.newNodes = nodes;
  await save(ctx, 'new_node_ready', progress);
  return ok(undefined);
};

const cordonStep: Step = async (deps, target, ctx, progress) => {
  if (progress.cordoned) return ok(undefined);
  if (!progress.cordonRequested) {
    progress.cordonRequested = true;
    await save(ctx, 'old_node_cordon_requested', progress);
  }
  const cordoned = await deps.nodes.cordon(target.node);
  if (!cordoned.ok) return cordoned;
  progress.cordoned = true;
  await save(ctx, 'old_node_cordoned', progress);
  return ok(undefined);
};

const drainStep: Step = async (deps, target, ctx, progress) => {
  if (progress.drain) return ok(undefined);
  const drained = await deps.nodes.drain(target.node, {
    timeoutMs: deps.settings.drainTimeoutSeconds * 1000,
    signal: ctx.signal,
  });
  if (!drained.ok) return drained;
  progress.drain = drained.value;
  await save(ctx, 'old_node_drained', progress);
  return ok(undefined);
};

const terminateStep: Step = async (deps, target, ctx, progress) => {
  if (progress.terminated) return ok(undefined);
  const terminated = await terminateInstance(deps, target.instanceId);
  // Gone already (an earlier attempt terminated it and EC2 stopped listing it): the step is done.
  if (!terminated.ok && terminated.error.code !== 'InvalidInstanceID.NotFound') return terminated;
  progress.terminated = true;
  await save(ctx, 'old_instance_terminated', progress);
  return ok(undefined);
};

async function rollbackMigration(
  deps: MigrateToSpotDeps,
  req: ActionRequest,
  ctx: ExecutionContext,
): Promise<Outcome> {
  const target = targetOf(req);
  if (!target) return refuse('VALIDATION', 'migrate_to_spot needs a spot_migration target');
  const progress = readMigrationProgress(ctx.checkpoint);
  if (progress.terminated) {
    return ok({
      detail: {
        nothingToRollBack: true,
        reason: 'the old instance is terminated: the migration is complete and cannot be undone',
        newInstances: newInstanceIds(progress),
      },
    });
  }
  if (progress.drain) return keepReplacement(deps, target, progress);
  return undoReplacement(deps, target, ctx, progress);
}

/** After the drain the workloads run on the replacement: keep it, make the old node schedulable again. */
async function keepReplacement(
  deps: MigrateToSpotDeps,
  target: SpotTarget,
  progress: MigrationProgress,
): Promise<Outcome> {
  const uncordoned = await deps.nodes.uncordon(target.node);
  if (!uncordoned.ok) return uncordoned;
  return ok({
    detail: {
      uncordoned: target.node,
      newInstancesKept: newInstanceIds(progress),
      reason:
        'the old node was already drained and its workloads run on the replacement, which is kept; both instances now run',
    },
  });
}

/** Before the drain: terminate the replacement(s) and uncordon the old node if this action cordoned it. */
async function undoReplacement(
  deps: MigrateToSpotDeps,
  target: SpotTarget,
  ctx: ExecutionContext,
  progress: MigrationProgress,
): Promise<Outcome> {
  let ids = newInstanceIds(progress);
  if (!progress.fleet) {
    // CreateFleet may have launched before the crash that kept its checkpoint from being saved: find by tag.
    const tagged = await callAws(deps, 'DescribeInstances', () =>
      listInstancesByTag(deps.ec2, actionTag, actionTagValue(ctx.idempotencyKey)),
    );
    if (!tagged.ok) return err(toActionFailure(tagged.error));
    ids = tagged.value.map((i) => i.instanceId).filter((id) => id !== target.instanceId);
  }
  if (ids.length > 0) {
    const terminated = await callAws(deps, 'TerminateInstances', () =>
      deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })),
    );
    if (!terminated.ok && terminated.error.code !== 'InvalidInstanceID.NotFound') {
      return err(toActionFailure(terminated.error));
    }
  }
  const mayBeCordoned = progress.cordonRequested === true || progress.cordoned === true;
  if (mayBeCordoned) {
    const uncordoned = await deps.nodes.uncordon(target.node);
    if (!uncordoned.ok) return uncordoned;
  }
  deps.log.info({ oldNode: target.node, terminated: ids }, 'spot migration rolled back');
  return ok({ detail: { terminatedNewInstances: ids, uncordoned: mayBeCordoned ? target.node : null } });
}
