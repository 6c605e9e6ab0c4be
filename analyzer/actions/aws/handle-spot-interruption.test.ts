import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../core/clock.js';
import { createSilentLogger } from '../../../core/log.js';
import { createRegistry } from '../../../core/telemetry.js';
import { readAwsActionsFixture } from '../../../test/fixtures/aws-actions/load.js';
import { createAwsActionMetrics } from './aws-action-metrics.js';
import { createFakeNodeOperations } from './fake-node-operations.js';
import { computeDrainTimeoutMs, handleSpotInterruption } from './handle-spot-interruption.js';

// aws-node-termination-handler's example EventBridge "EC2 Spot Instance Interruption Warning".
const warning = readAwsActionsFixture<{ time: string; detail: { 'instance-id': string } }>(
  'eventbridge_ec2_spot_interruption_warning.json',
);
const instanceId = warning.detail['instance-id'];
const node = 'ip-10-0-2-7.ec2.internal';
const now = Date.parse('2026-12-03T10:00:00Z');

function setup() {
  const registry = createRegistry({ defaultMetrics: false });
  const nodes = createFakeNodeOperations({ [instanceId]: node });
  const deps = {
    nodes,
    log: createSilentLogger(),
    clock: createManualClock(now),
    metrics: createAwsActionMetrics(registry),
  };
  return { deps, nodes, registry };
}

describe('computeDrainTimeoutMs', () => {
  it('leaves a 10 s margin of the two-minute notice when the action time is unknown', () => {
    expect(computeDrainTimeoutMs(now, undefined)).toEqual({ timeoutMs: 110_000, deadlineMs: now + 120_000 });
  });

  it('shortens the drain to what is left before the action time, never below 5 s', () => {
    expect(computeDrainTimeoutMs(now, new Date(now + 30_000)).timeoutMs).toBe(20_000);
    expect(computeDrainTimeoutMs(now, new Date(now - 1_000)).timeoutMs).toBe(5_000);
    expect(computeDrainTimeoutMs(now, new Date(now + 600_000)).timeoutMs).toBe(110_000);
  });
});

describe('handleSpotInterruption', () => {
  it('cordons and drains the node of the instance named in the warning at once', async () => {
    const { deps, nodes, registry } = setup();
    const report = await handleSpotInterruption(deps, { instanceId, actionTime: new Date(now + 90_000) });
    expect(nodes.calls).toEqual([`find ${instanceId}`, `cordon ${node}`, `drain ${node}`]);
    expect(nodes.lastDrainTimeoutMs).toBe(80_000);
    expect(report).toMatchObject({
      instanceId: 'i-0b662ef9931388ba0',
      node,
      outcome: 'drained',
      cordoned: true,
      drainTimeoutMs: 80_000,
      deadline: '2026-12-03T10:01:30.000Z',
      errors: [],
    });
    expect(report.drain?.evicted).toHaveLength(2);
    expect(await registry.getSingleMetricAsString('gpuscope_spot_interruptions_handled_total')).toContain(
      'gpuscope_spot_interruptions_handled_total{outcome="drained"} 1',
    );
  });

  it('reports an instance with no node and touches nothing', async () => {
    const { deps, nodes } = setup();
    const report = await handleSpotInterruption(deps, { instanceId: 'i-0000000000000000f' });
    expect(report).toMatchObject({ outcome: 'no_node', node: undefined, cordoned: false });
    expect(nodes.calls).toEqual(['find i-0000000000000000f']);
  });

  it('still drains when the cordon fails, and says so', async () => {
    const { deps, nodes } = setup();
    nodes.fail.cordon = { message: 'conflict on node update', retryable: true };
    const report = await handleSpotInterruption(deps, { instanceId });
    expect(report).toMatchObject({
      outcome: 'drained',
      cordoned: false,
      errors: ['cordon: conflict on node update'],
    });
    expect(nodes.calls).toContain(`drain ${node}`);
  });

  it('reports a drain that did not finish within the notice', async () => {
    const { deps, nodes } = setup();
    nodes.fail.drain = {
      message: 'eviction of team-a/train-0 blocked by PodDisruptionBudget',
      retryable: true,
    };
    const report = await handleSpotInterruption(deps, { instanceId });
    expect(report).toMatchObject({ outcome: 'drain_incomplete', cordoned: true });
    expect(report.errors[0]).toContain('PodDisruptionBudget');
  });

  it('reports a node lookup that throws as failed instead of throwing', async () => {
    const { deps, nodes } = setup();
    nodes.findNodeByInstanceId = async () => {
      throw new Error('apiserver unreachable');
    };
    const report = await handleSpotInterruption(deps, { instanceId });
    expect(report).toMatchObject({ outcome: 'failed', errors: ['Error: apiserver unreachable'] });
  });
});
