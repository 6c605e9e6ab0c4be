import { describe, expect, it } from 'vitest';
import { createExecutorRegistry } from './create-executor-registry.js';
import { createFakeExecutor, createFakeWorld } from './testing/fake-executor.js';

describe('createExecutorRegistry', () => {
  it('files each executor under every kind it declares', () => {
    const world = createFakeWorld();
    const kube = createFakeExecutor(world, { kinds: ['drain_node', 'scale_workload'] });
    const aws = createFakeExecutor(world, { kinds: ['scale_asg'] });
    const registry = createExecutorRegistry([kube, aws]);
    expect([...registry.keys()].sort()).toEqual(['drain_node', 'scale_asg', 'scale_workload']);
    expect(registry.get('scale_asg')).toBe(aws);
  });

  it('refuses two executors for one kind, naming it', () => {
    const world = createFakeWorld();
    const a = createFakeExecutor(world, { kinds: ['drain_node'] });
    expect(() => createExecutorRegistry([a, a])).toThrow('two action executors declare the kind drain_node');
  });
});
