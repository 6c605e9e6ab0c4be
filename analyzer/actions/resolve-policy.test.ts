import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { findAllowListViolation, isInMaintenanceWindow, matchGlob, resolvePolicy } from './resolve-policy.js';
import { actionsConfig } from './testing/seed.js';
import { ACTION_KINDS } from './types.js';

const config = actionsConfig({
  defaultMode: 'dry-run',
  policies: [
    { scope: { cluster: 'c1' }, mode: 'approve' },
    { scope: { cluster: 'c1', namespace: 'ml-*' }, mode: 'auto', allowNamespaces: ['ml-train'] },
    { scope: { cluster: 'c1', nodePool: 'NVIDIA H100 x8', namespace: 'ml-train' }, mode: 'off' },
    { scope: { namespace: 'ml-train', partition: 'gpu' }, mode: 'approve' },
  ],
});

describe('resolvePolicy', () => {
  it('picks the most specific matching scope', () => {
    expect(resolvePolicy(config, { cluster: 'c1' })).toMatchObject({
      mode: 'approve',
      source: 'policies[0]',
    });
    expect(resolvePolicy(config, { cluster: 'c1', namespace: 'ml-eval' })).toMatchObject({
      mode: 'auto',
      source: 'policies[1]',
    });
    expect(
      resolvePolicy(config, { cluster: 'c1', nodePool: 'NVIDIA H100 x8', namespace: 'ml-train' }),
    ).toMatchObject({ mode: 'off', source: 'policies[2]' });
  });

  it('takes the first listed among equally specific matches', () => {
    expect(resolvePolicy(config, { cluster: 'c1', namespace: 'ml-train', partition: 'gpu' }).source).toBe(
      'policies[1]',
    );
  });

  it('falls back to the default mode (dry-run) with default limits when nothing matches', () => {
    expect(resolvePolicy(config, { cluster: 'c2' })).toMatchObject({
      mode: 'dry-run',
      source: 'defaultMode',
      cooldownMinutes: 60,
      minNodeAgeMinutes: 60,
    });
  });
});

describe('matchGlob', () => {
  it('matches * and ? and treats regex characters literally', () => {
    expect(matchGlob('gpu-node-*', 'gpu-node-a07')).toBe(true);
    expect(matchGlob('gpu-node-?', 'gpu-node-ab')).toBe(false);
    expect(matchGlob('a.b', 'axb')).toBe(false);
  });
});

describe('findAllowListViolation', () => {
  const policy = {
    ...resolvePolicy(config, { cluster: 'c1' }),
    allowKinds: ['drain_node' as const],
    allowNodes: ['gpu-*'],
  };
  const drain = {
    kind: 'drain_node' as const,
    target: { type: 'node' as const, node: 'cpu-1' },
    reason: 'scale_down',
  };

  it('names the node outside allowNodes and the kind outside allowKinds', () => {
    expect(findAllowListViolation(policy, drain, { cluster: 'c1', nodes: ['cpu-1'] })).toBe(
      'node cpu-1 is not in allowNodes of policies[0]',
    );
    expect(
      findAllowListViolation(policy, { ...drain, kind: 'scale_asg' }, { cluster: 'c1', nodes: [] }),
    ).toBe('kind scale_asg is not in allowKinds of policies[0]');
    expect(findAllowListViolation(policy, drain, { cluster: 'c1', nodes: ['gpu-7'] })).toBeUndefined();
  });

  it('names a namespace outside allowNamespaces', () => {
    const p = resolvePolicy(config, { cluster: 'c1', namespace: 'ml-eval' });
    const scale = {
      kind: 'scale_workload' as const,
      target: {
        type: 'workload' as const,
        namespace: 'ml-eval',
        kind: 'Deployment' as const,
        name: 'x',
        replicas: 1,
      },
      reason: 'idle_gpu',
    };
    expect(findAllowListViolation(p, scale, { cluster: 'c1', namespace: 'ml-eval' })).toBe(
      'namespace ml-eval is not in allowNamespaces of policies[1]',
    );
  });
});

describe('isInMaintenanceWindow', () => {
  const overnight = [{ days: ['sat' as const], start: '22:00', end: '02:00', timezone: 'UTC' as const }];
  it('runs a window past midnight into the next day, still counted as its start day', () => {
    expect(isInMaintenanceWindow(overnight, new Date('2026-12-05T23:00:00Z'))).toBe(true); // Saturday
    expect(isInMaintenanceWindow(overnight, new Date('2026-12-06T01:59:00Z'))).toBe(true); // Sunday early
    expect(isInMaintenanceWindow(overnight, new Date('2026-12-06T02:00:00Z'))).toBe(false);
    expect(isInMaintenanceWindow(overnight, new Date('2026-12-06T23:00:00Z'))).toBe(false); // Sunday night
  });
  it('includes the start minute and excludes the end minute of a same-day window', () => {
    const day = [{ days: ['tue' as const], start: '09:00', end: '17:00', timezone: 'UTC' as const }];
    expect(isInMaintenanceWindow(day, new Date('2026-12-01T09:00:00Z'))).toBe(true);
    expect(isInMaintenanceWindow(day, new Date('2026-12-01T17:00:00Z'))).toBe(false);
  });
});

describe('the actions config section', () => {
  it('defaults to dry-run with no policies', () => {
    expect(parseConfig({}).actions).toMatchObject({ defaultMode: 'dry-run', policies: [], maxAttempts: 3 });
  });

  it('names the key of a bad window time, an unknown mode and an unknown kind', () => {
    const bad = {
      actions: {
        policies: [
          {
            mode: 'yolo',
            allowKinds: ['delete_cluster'],
            maintenanceWindows: [{ days: ['sat'], start: '25:00', end: '02:00' }],
          },
        ],
      },
    };
    expect(() => parseConfig(bad, 'gpuscope.yaml')).toThrow(/actions\.policies\.0\.mode: /);
    expect(() => parseConfig(bad)).toThrow(/actions\.policies\.0\.allowKinds\.0: /);
    expect(() => parseConfig(bad)).toThrow(
      /actions\.policies\.0\.maintenanceWindows\.0\.start: expected HH:MM \(24 h\)/,
    );
  });
});

describe('actions.policies[].allowKinds', () => {
  it('accepts exactly the kinds the executors implement (core/config.ts keeps its own copy of the list)', () => {
    const policy = (allowKinds: string[]) => ({
      actions: { policies: [{ scope: {}, mode: 'auto', allowKinds }] },
    });
    expect(actionsConfig(policy([...ACTION_KINDS]).actions).policies[0]?.allowKinds).toEqual([
      ...ACTION_KINDS,
    ]);
    expect(() => actionsConfig(policy(['reboot_node']).actions)).toThrow();
  });
});
