import {
  CreateFleetCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../core/log.js';
import { describeInstancesOutput } from '../../../test/fixtures/aws/load.js';
import { captureEc2Error, createFleetOutput } from '../../../test/fixtures/aws-actions/load.js';
import type { ActionRequest } from '../types.js';
import { noopAwsActionMetrics } from './aws-action-metrics.js';
import { createFakeContext, SimulatedCrash } from './fake-execution-context.js';
import { createFakeNodeOperations, type FakeNodeOperations } from './fake-node-operations.js';
import { deriveClientToken } from './launch-replacement-fleet.js';
import { createMigrateToSpotExecutor } from './migrate-to-spot-executor.js';
import { migrationSteps } from './migration-progress.js';

const ec2 = new EC2Client({ region: 'us-east-1' });
const ec2Mock = mockClient(ec2);
const oldId = 'i-0p4d000000000000a';
const oldNode = 'ip-10-0-1-2.ec2.internal';
const newId = 'i-1234567890abcdef0';
const newNode = `ip-${newId}.ec2.internal`;
const settings = { onDemandFallback: false, nodeReadyTimeoutSeconds: 600, drainTimeoutSeconds: 900 };
const request: ActionRequest = {
  kind: 'migrate_to_spot',
  target: {
    type: 'spot_migration',
    instanceId: oldId,
    node: oldNode,
    instanceTypes: ['p4d.24xlarge', 'p4de.24xlarge'],
    launchTemplateId: 'lt-01234a567b8910abcEXAMPLE',
  },
  reason: 'right_size',
};

/** The user guide's partial instant-fleet output cut to one spot instance: one pool launched, one had no capacity. */
function spotFleetOutput() {
  const out = structuredClone(createFleetOutput('partial')) as {
    Instances: { Lifecycle: string; InstanceIds: string[] }[];
  };
  const first = out.Instances[0];
  if (first) Object.assign(first, { Lifecycle: 'spot', InstanceIds: [newId] });
  return out;
}

let nodes: FakeNodeOperations;
const executor = () =>
  createMigrateToSpotExecutor({
    ec2,
    nodes,
    log: createSilentLogger(),
    metrics: noopAwsActionMetrics,
    settings,
  });

beforeEach(() => {
  ec2Mock.reset();
  nodes = createFakeNodeOperations({ [oldId]: oldNode });
  ec2Mock.on(DescribeInstancesCommand).resolves(describeInstancesOutput() as never);
  ec2Mock.on(DescribeInstanceAttributeCommand).resolves({ DisableApiTermination: { Value: false } });
  ec2Mock.on(CreateFleetCommand).resolves(spotFleetOutput() as never);
  ec2Mock.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [] });
});
afterAll(() => ec2Mock.restore());

const terminatedIds = () =>
  ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds);

describe('checkPreconditions', () => {
  it('accepts a running on-demand instance whose node exists', async () => {
    const result = await executor().checkPreconditions(request);
    expect(result).toMatchObject({
      ok: true,
      value: { observed: { node: oldNode, lifecycle: 'on-demand' } },
    });
  });

  it('refuses when no node has the instance as providerID, or another node does', async () => {
    nodes.nodesByInstance.clear();
    expect(await executor().checkPreconditions(request)).toMatchObject({
      ok: false,
      error: { code: 'NodeNotFound' },
    });
    nodes.nodesByInstance.set(oldId, 'some-other-node');
    expect(await executor().checkPreconditions(request)).toMatchObject({
      ok: false,
      error: { code: 'NodeMismatch' },
    });
  });

  it('refuses an instance with termination protection before launching anything', async () => {
    ec2Mock.on(DescribeInstanceAttributeCommand).resolves({ DisableApiTermination: { Value: true } });
    const result = await executor().checkPreconditions(request);
    expect(result).toMatchObject({ ok: false, error: { code: 'TerminationProtected', retryable: false } });
  });

  it('refuses an instance that is already spot', async () => {
    const spotTarget = { ...request.target, instanceId: 'i-0p4de00000000000b' } as ActionRequest['target'];
    const result = await executor().checkPreconditions({ ...request, target: spotTarget });
    expect(result).toMatchObject({ ok: false, error: { code: 'NotOnDemand' } });
  });
});

describe('dryRun', () => {
  it('dry-runs CreateFleet and the old instance termination; both answering DryRunOperation is success', async () => {
    const dryRunOk = await captureEc2Error('DryRunOperation');
    ec2Mock.on(CreateFleetCommand).rejects(dryRunOk).on(TerminateInstancesCommand).rejects(dryRunOk);
    const result = await executor().dryRun(request, { observed: {} });
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { createFleet: 'DryRunOperation', terminateInstances: 'DryRunOperation' } },
    });
    const fleetInput = ec2Mock.commandCalls(CreateFleetCommand)[0]?.args[0].input;
    expect(fleetInput).toMatchObject({ DryRun: true, Type: 'instant' });
    expect(fleetInput?.ClientToken).toBeUndefined();
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)[0]?.args[0].input).toEqual({
      InstanceIds: [oldId],
      DryRun: true,
    });
  });

  it('fails when the role may not create fleets', async () => {
    ec2Mock.on(CreateFleetCommand).rejects(await captureEc2Error('UnauthorizedOperation'));
    const result = await executor().dryRun(request, { observed: {} });
    expect(result).toMatchObject({ ok: false, error: { code: 'UnauthorizedOperation', retryable: false } });
  });
});

describe('execute', () => {
  it('replaces before it removes: fleet, new node Ready, cordon, drain, then terminate the old instance', async () => {
    const { ctx, saved } = createFakeContext();
    const result = await executor().execute(request, ctx);
    expect(result.ok).toBe(true);
    expect(nodes.calls).toEqual([`ready ${newId}`, `cordon ${oldNode}`, `drain ${oldNode}`]);
    expect(nodes.lastDrainTimeoutMs).toBe(900_000);
    expect(saved).toEqual([...migrationSteps]);
    expect(terminatedIds()).toEqual([[oldId]]);
    const input = ec2Mock.commandCalls(CreateFleetCommand)[0]?.args[0].input;
    expect(input?.ClientToken).toBe(deriveClientToken(ctx.idempotencyKey, 'spot'));
    expect(result.ok && result.value.detail).toMatchObject({
      newInstances: [{ instanceId: newId, lifecycle: 'spot' }],
      newNodes: [newNode],
      capacityType: 'spot',
      fleetErrors: [{ code: 'InsufficientInstanceCapacity', instanceType: 'c4.xlarge' }],
      resumed: false,
    });
  });

  it('stops before touching any node when no spot capacity exists and fallback is off', async () => {
    ec2Mock.on(CreateFleetCommand).rejects(await captureEc2Error('InsufficientInstanceCapacity'));
    const { ctx, saved } = createFakeContext();
    const result = await executor().execute(request, ctx);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'InsufficientInstanceCapacity', retryable: true },
    });
    expect(nodes.calls).toEqual([]);
    expect(saved).toEqual([]);
  });

  it('launches on-demand when every spot pool reports InsufficientInstanceCapacity and fallback is on', async () => {
    const noSpot = structuredClone(createFleetOutput('none'));
    ec2Mock
      .on(CreateFleetCommand, { TargetCapacitySpecification: { DefaultTargetCapacityType: 'spot' } } as never)
      .resolves(noSpot as never)
      .on(CreateFleetCommand, {
        TargetCapacitySpecification: { DefaultTargetCapacityType: 'on-demand' },
      } as never)
      .resolves(spotFleetOutput() as never);
    const fallback = createMigrateToSpotExecutor({
      ec2,
      nodes,
      log: createSilentLogger(),
      metrics: noopAwsActionMetrics,
      settings: { ...settings, onDemandFallback: true },
    });
    const result = await fallback.execute(request, createFakeContext().ctx);
    expect(result.ok && result.value.detail.capacityType).toBe('on-demand');
    expect(result.ok && (result.value.detail.fleetErrors as unknown[]).length).toBe(3);
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(2);
  });

  it('saves nothing and touches no node when CreateFleet is throttled, so the retry starts clean', async () => {
    ec2Mock.on(CreateFleetCommand).rejects(await captureEc2Error('RequestLimitExceeded'));
    const { ctx, saved } = createFakeContext();
    const result = await executor().execute(request, ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'RequestLimitExceeded', retryable: true } });
    expect([saved, nodes.calls]).toEqual([[], []]);
  });

  it('stops between steps once the engine cancels the action', async () => {
    const controller = new AbortController();
    const { ctx } = createFakeContext();
    controller.abort();
    const result = await executor().execute(request, { ...ctx, signal: controller.signal });
    expect(result).toMatchObject({ ok: false, error: { code: 'Aborted', retryable: true } });
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(0);
  });

  it('fails when the new node never becomes Ready, leaving the old node untouched', async () => {
    nodes.fail.waitForNodeReady = {
      message: 'node not Ready within 600 s',
      retryable: true,
      code: 'Timeout',
    };
    const { ctx, saved } = createFakeContext();
    const result = await executor().execute(request, ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'Timeout' } });
    expect(saved).toEqual(['fleet_created']);
    expect(nodes.cordoned.size).toBe(0);
  });
});

describe('a crash between each pair of steps', () => {
  it.each(migrationSteps)(
    'after %s: the resumed action finishes without a second fleet or repeated step',
    async (step) => {
      const store: Record<string, unknown> = {};
      const first = createFakeContext({ store, crashAfter: step });
      await expect(executor().execute(request, first.ctx)).rejects.toBeInstanceOf(SimulatedCrash);
      const resumed = createFakeContext({ store });
      const result = await executor().execute(request, resumed.ctx);
      expect(result).toMatchObject({ ok: true, value: { detail: { resumed: true, newNodes: [newNode] } } });
      expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(1);
      expect(nodes.calls.filter((c) => c.startsWith('drain'))).toHaveLength(1);
      expect(nodes.calls.filter((c) => c.startsWith('ready'))).toHaveLength(1);
      expect(terminatedIds()).toEqual([[oldId]]);
      expect(resumed.saved).toEqual(migrationSteps.slice(migrationSteps.indexOf(step) + 1));
    },
  );

  it('before the fleet checkpoint was saved: the retry reuses the ClientToken, so EC2 returns the same fleet', async () => {
    const store: Record<string, unknown> = {};
    await expect(
      executor().execute(request, createFakeContext({ store, crashBefore: 'fleet_created' }).ctx),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    const result = await executor().execute(request, createFakeContext({ store }).ctx);
    expect(result.ok).toBe(true);
    const tokens = ec2Mock.commandCalls(CreateFleetCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
  });

  const rollbackCases: [string, string[][], string[]][] = [
    ['fleet_created', [[newId]], []],
    ['new_node_ready', [[newId]], []],
    ['old_node_cordon_requested', [[newId]], [`uncordon ${oldNode}`]],
    ['old_node_cordoned', [[newId]], [`uncordon ${oldNode}`]],
    ['old_node_drained', [], [`uncordon ${oldNode}`]],
    ['old_instance_terminated', [], []],
  ];

  it.each(rollbackCases)(
    'after %s: rollback terminates %j and runs %j',
    async (step, terminated, nodeCalls) => {
      const store: Record<string, unknown> = {};
      await expect(
        executor().execute(request, createFakeContext({ store, crashAfter: step }).ctx),
      ).rejects.toThrow();
      ec2Mock.resetHistory();
      nodes.calls.length = 0;
      const result = await executor().rollback(request, createFakeContext({ store }).ctx);
      expect(result.ok).toBe(true);
      expect(terminatedIds()).toEqual(terminated);
      expect(nodes.calls).toEqual(nodeCalls);
    },
  );

  it('after the old instance is terminated, rollback says there is nothing to roll back', async () => {
    const store: Record<string, unknown> = {};
    await executor().execute(request, createFakeContext({ store }).ctx);
    const result = await executor().rollback(request, createFakeContext({ store }).ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { nothingToRollBack: true } } });
  });

  it('after the drain, rollback keeps the replacement and says why', async () => {
    const store: Record<string, unknown> = {};
    await expect(
      executor().execute(request, createFakeContext({ store, crashAfter: 'old_node_drained' }).ctx),
    ).rejects.toThrow();
    const result = await executor().rollback(request, createFakeContext({ store }).ctx);
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { newInstancesKept: [newId], uncordoned: oldNode } },
    });
  });

  it('before the fleet checkpoint was saved: rollback finds the launched instance by its action tag and terminates it', async () => {
    const store: Record<string, unknown> = {};
    const key = 'action-7-attempt-key';
    await expect(
      executor().execute(
        request,
        createFakeContext({ store, crashBefore: 'fleet_created', idempotencyKey: key }).ctx,
      ),
    ).rejects.toThrow();
    const byTag = {
      Filters: [
        { Name: 'tag:gpuscope.io/action', Values: [key] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    };
    ec2Mock.on(DescribeInstancesCommand, byTag).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: newId,
              InstanceLifecycle: 'spot',
              State: { Code: 0, Name: 'pending' },
              Tags: [{ Key: 'gpuscope.io/action', Value: key }],
            },
          ],
        },
      ],
    });
    const result = await executor().rollback(request, createFakeContext({ store, idempotencyKey: key }).ctx);
    expect(result).toMatchObject({
      ok: true,
      value: { detail: { terminatedNewInstances: [newId], uncordoned: null } },
    });
    expect(terminatedIds()).toEqual([[newId]]);
  });

  it('never terminates an instance the tag lookup returns without the action tag (a filter the API ignored)', async () => {
    const store: Record<string, unknown> = {};
    await expect(
      executor().execute(request, createFakeContext({ store, crashBefore: 'fleet_created' }).ctx),
    ).rejects.toThrow();
    // DescribeInstances answers with the whole inventory (the old instance among it), none tagged for this action.
    const result = await executor().rollback(request, createFakeContext({ store }).ctx);
    expect(result).toMatchObject({ ok: true, value: { detail: { terminatedNewInstances: [] } } });
    expect(terminatedIds()).toEqual([]);
  });
});
