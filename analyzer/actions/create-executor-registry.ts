import type { ActionExecutor, ActionKind } from './types.js';

/**
 * The engine's executor lookup from the executors built at start (Kubernetes, AWS): each under every kind it
 * declares. Two executors claiming one kind is a wiring mistake, refused at start rather than resolved silently.
 */
export function createExecutorRegistry(
  executors: readonly ActionExecutor[],
): Map<ActionKind, ActionExecutor> {
  const registry = new Map<ActionKind, ActionExecutor>();
  for (const executor of executors) {
    for (const kind of executor.kinds) {
      if (registry.has(kind)) throw new Error(`two action executors declare the kind ${kind}; wire one`);
      registry.set(kind, executor);
    }
  }
  return registry;
}
