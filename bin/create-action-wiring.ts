import { KubeConfig } from '@kubernetes/client-node';
import { createActionMetrics } from '../analyzer/actions/action-metrics.js';
import {
  createAwsActionClients,
  resolveAwsActionClientOptions,
} from '../analyzer/actions/aws/aws-action-clients.js';
import { createAwsActionMetrics } from '../analyzer/actions/aws/aws-action-metrics.js';
import {
  createAwsActionExecutors,
  resolveSpotMigrationSettings,
} from '../analyzer/actions/aws/create-aws-action-executors.js';
import { createScaleAsgExecutor } from '../analyzer/actions/aws/scale-asg-executor.js';
import { createTerminateInstanceExecutor } from '../analyzer/actions/aws/terminate-instance-executor.js';
import { type ActionEngine, createActionEngine } from '../analyzer/actions/create-action-engine.js';
import { createExecutorRegistry } from '../analyzer/actions/create-executor-registry.js';
import { createSpotEventHook } from '../analyzer/actions/handle-spot-events.js';
import { createKubeActionsClient } from '../analyzer/actions/kubernetes/create-kube-actions-client.js';
import { createKubernetesActions } from '../analyzer/actions/kubernetes/create-kubernetes-actions.js';
import type { ActionExecutor } from '../analyzer/actions/types.js';
import type { SpotInterruptionHook } from '../analyzer/inbound/types.js';
import type { RoleContext } from './start-role-tickers.js';

export interface ActionWiring {
  engine: ActionEngine;
  /** Set where this process can act on nodes (Kubernetes configured, analyzer or all role). */
  spotHook?: SpotInterruptionHook | undefined;
}

/**
 * The action engine for this process. With `act`, the executors the config allows: Kubernetes ones when a cluster
 * is configured (in-cluster or `collectors.kubernetes.kubeconfig`), AWS ones when a region is known; the spot
 * migration needs both. Without `act` (API-only replicas) the engine serves the API and executes nothing.
 */
export function createActionWiring(ctx: RoleContext, act: boolean): ActionWiring {
  const { config, log, clock, registry, db } = ctx;
  const executors: ActionExecutor[] = [];
  let spotHook: SpotInterruptionHook | undefined;
  if (act) {
    const kube = config.collectors.kubernetes;
    let nodes: ReturnType<typeof createKubernetesActions>['nodeOperations'] | undefined;
    if (kube?.enabled) {
      const kc = new KubeConfig();
      if (kube.kubeconfig !== undefined) kc.loadFromFile(kube.kubeconfig);
      else kc.loadFromCluster();
      const k8s = createKubernetesActions({ client: createKubeActionsClient(kc), log, registry, clock });
      executors.push(...k8s.executors);
      nodes = k8s.nodeOperations;
    }
    const aws = resolveAwsActionClientOptions(config);
    if (aws) {
      const clients = createAwsActionClients(aws);
      const metrics = createAwsActionMetrics(registry);
      if (nodes) {
        const settings = resolveSpotMigrationSettings(config.awsActions);
        executors.push(...createAwsActionExecutors({ clients, clock, nodes, log, metrics, settings }));
      } else {
        executors.push(
          createScaleAsgExecutor({ autoScaling: clients.autoScaling, clock, log, metrics }),
          createTerminateInstanceExecutor({ ec2: clients.ec2, log, metrics }),
        );
      }
    }
    if (nodes) spotHook = createSpotEventHook({ nodes, log, clock });
    log.info({ executors: executors.flatMap((e) => e.kinds) }, 'action executors ready');
  }
  const engine = createActionEngine({
    db,
    cluster: config.cluster,
    config: config.actions,
    executors: createExecutorRegistry(executors),
    metrics: createActionMetrics(registry),
    log,
    clock,
  });
  return { engine, spotHook };
}
