import { describe, expect, it } from 'vitest';
import { findExecutionBlock, type GateInputs } from './check-execution-gates.js';
import type { ActionRow } from './queries.js';
import { resolvePolicy } from './resolve-policy.js';
import { actionsConfig, T0 } from './testing/seed.js';

function action(id: number, overrides: Partial<ActionRow> = {}): ActionRow {
  return {
    id,
    cluster: 'c1',
    kind: 'drain_node',
    reason: 'scale_down',
    state: 'dry_run',
    version: 3,
    request: { kind: 'drain_node', target: { type: 'node', node: `node-${id}` }, reason: 'scale_down' },
    scope: { cluster: 'c1', nodePool: 'p', nodes: [`node-${id}`] },
    targetKey: `node:node-${id}`,
    blastNodes: 1,
    blastGpus: 8,
    approvedBy: 'policy:policies[0]',
    executedAt: null,
    ...overrides,
  } as ActionRow;
}

const ago = (m: number) => new Date(T0.getTime() - m * 60_000);
const policyOf = (p: Record<string, unknown>) =>
  resolvePolicy(actionsConfig({ policies: [{ mode: 'auto', ...p }] }), { cluster: 'c1' });

function inputs(p: Record<string, unknown>, extra: Partial<GateInputs> = {}): GateInputs {
  return {
    action: action(1),
    policy: policyOf({ cooldownMinutes: 0, minNodeAgeMinutes: 0, ...p }),
    paused: false,
    now: T0,
    recent: [],
    nodeFirstSeen: new Map([['node-1', ago(600)]]),
    ...extra,
  };
}

describe('findExecutionBlock', () => {
  it('lets an approved action through when no gate applies', () => {
    expect(findExecutionBlock(inputs({}))).toBeUndefined();
  });

  it('counts GPUs per reason within the last hour only', () => {
    const recent = [
      action(2, { executedAt: ago(30) }),
      action(3, { executedAt: ago(30), reason: 'move_to_spot' }),
      action(4, { executedAt: ago(61) }),
    ];
    expect(findExecutionBlock(inputs({ maxGpusPerHour: 16 }, { recent }))).toBeUndefined();
    expect(findExecutionBlock(inputs({ maxGpusPerHour: 15 }, { recent }))).toBe(
      'blast radius: 8 GPU(s) acted on for scale_down in the last hour, 8 more would pass maxGpusPerHour 15',
    );
  });

  it('holds a target in cooldown after another action on it', () => {
    const recent = [action(2, { executedAt: ago(20), targetKey: 'node:node-1' })];
    expect(findExecutionBlock(inputs({ cooldownMinutes: 30 }, { recent }))).toBe(
      'cooldown: action 2 acted on node:node-1 less than 30 min ago',
    );
    expect(findExecutionBlock(inputs({ cooldownMinutes: 15 }, { recent }))).toBeUndefined();
  });

  it('blocks on node age, and on a node whose first-seen time is unknown', () => {
    expect(findExecutionBlock(inputs({ minNodeAgeMinutes: 700 }))).toBe(
      'node age: node-1 is 600 min old, under minNodeAgeMinutes 700',
    );
    expect(findExecutionBlock(inputs({ minNodeAgeMinutes: 5 }, { nodeFirstSeen: new Map() }))).toBe(
      'node age: first-seen time of node-1 is unknown',
    );
  });

  it('applies maintenance windows to auto only, and the pause switch to every mode', () => {
    const windows = [{ days: ['sun'], start: '00:00', end: '06:00' }];
    expect(findExecutionBlock(inputs({ maintenanceWindows: windows }))).toMatch(
      /outside the maintenance windows/,
    );
    expect(findExecutionBlock(inputs({ mode: 'approve', maintenanceWindows: windows }))).toBeUndefined();
    expect(findExecutionBlock(inputs({ mode: 'approve' }, { paused: true }))).toMatch(/^paused/);
  });

  it('never executes under dry-run', () => {
    expect(findExecutionBlock(inputs({ mode: 'dry-run' }))).toBe(
      'policy policies[0] is dry-run: it does not execute',
    );
  });
});
