import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import type { ActionExecutor, NodeOperations } from '../types.js';
import {
  DEFAULT_KUBERNETES_ACTIONS_OPTIONS,
  type KubeActionDeps,
  type KubernetesActionsOptions,
} from './deps.js';
import { createJobExecutor } from './job-executor.js';
import { createKubeActionMetrics } from './kube-action-metrics.js';
import type { KubeActionsClient } from './kube-actions-client.js';
import { createNodeExecutor } from './node-executor.js';
import { createNodeOperations } from './node-operations.js';
import { realSleep, type Sleep } from './sleep.js';
import { createWorkloadExecutor } from './workload-executor.js';

export interface KubernetesActionsDeps {
  /** `createKubeActionsClient(kubeConfig)` in production; a fake in tests. */
  client: KubeActionsClient;
  log: Logger;
  registry: Registry;
  clock?: Clock | undefined;
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
  options?: Partial<KubernetesActionsOptions> | undefined;
}

export interface KubernetesActions {
  /** `cordon_node`/`uncordon_node`/`drain_node`, `scale_workload`, `suspend_job`/`resume_job`. */
  executors: ActionExecutor[];
  /** For the AWS spot migration and interruption handling. */
  nodeOperations: NodeOperations;
}

export function createKubernetesActions(deps: KubernetesActionsDeps): KubernetesActions {
  const resolved: KubeActionDeps = {
    client: deps.client,
    log: deps.log,
    metrics: createKubeActionMetrics(deps.registry),
    clock: deps.clock ?? systemClock,
    sleep: deps.sleep ?? realSleep,
    random: deps.random ?? Math.random,
    options: { ...DEFAULT_KUBERNETES_ACTIONS_OPTIONS, ...deps.options },
  };
  return {
    executors: [createNodeExecutor(resolved), createWorkloadExecutor(resolved), createJobExecutor(resolved)],
    nodeOperations: createNodeOperations(resolved),
  };
}
