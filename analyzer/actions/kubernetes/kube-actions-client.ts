import type { Result } from '../../../core/result.js';

/** A failed API call: HTTP status, the `Status.reason` and `Status.message`, and the server's suggested wait. */
export interface KubeApiError {
  status: number | null;
  reason: string | null;
  message: string;
  /** `Status.details.causes[].message` (a PDB's "needs 2 healthy pods and has 2 currently"). */
  causes: string[];
  retryAfterSeconds: number | null;
}

export type KubeResult<T> = Promise<Result<T, KubeApiError>>;

export interface KubeNode {
  name: string;
  resourceVersion: string;
  /** ISO time; the engine's node-age gate reads it from the precondition snapshot. */
  creationTimestamp: string | null;
  unschedulable: boolean;
  providerId: string | null;
  annotations: Record<string, string>;
  /** The `Ready` condition's status: `True`, `False`, `Unknown`, or null when the node reports none. */
  ready: string | null;
}

export interface KubePodSummary {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string | null;
  phase: string | null;
  annotations: Record<string, string>;
  /** Kind of the owner reference marked `controller: true` (`DaemonSet`, `ReplicaSet`, `Job` …). */
  controllerKind: string | null;
  terminating: boolean;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface KubeWorkload {
  annotations: Record<string, string>;
  /** Annotations of the pod template: opt-outs set on the pods a scale-down would remove. */
  templateAnnotations: Record<string, string>;
}

/** autoscaling/v1 Scale, the subresource: its resourceVersion is the workload's. */
export interface KubeScale {
  resourceVersion: string;
  replicas: number;
}

export interface KubeJob {
  resourceVersion: string;
  suspend: boolean;
  annotations: Record<string, string>;
  templateAnnotations: Record<string, string>;
  /** `Complete` or `Failed` when that condition is True, else null. */
  finished: string | null;
}

export interface WriteOptions {
  /** Server-side `dryRun=All`: validated and admitted, nothing stored. */
  dryRun?: boolean;
}

/**
 * The Kubernetes write verbs the action executors use, small enough for a test to fake. Patches are JSON merge
 * patches (`application/merge-patch+json`); a null value removes a key.
 */
export interface KubeActionsClient {
  listNodes(): KubeResult<KubeNode[]>;
  getNode(name: string): KubeResult<KubeNode>;
  patchNode(name: string, patch: Record<string, unknown>, options?: WriteOptions): KubeResult<KubeNode>;
  /** Every pod bound to the node, across namespaces (`fieldSelector=spec.nodeName=…`). */
  listPodsOnNode(node: string): KubeResult<KubePodSummary[]>;
  getPod(namespace: string, name: string): KubeResult<KubePodSummary>;
  /** policy/v1 Eviction: 429 while a PodDisruptionBudget allows no disruption. */
  evictPod(namespace: string, name: string, options?: WriteOptions): KubeResult<void>;
  getWorkload(ref: WorkloadRef): KubeResult<KubeWorkload>;
  getScale(ref: WorkloadRef): KubeResult<KubeScale>;
  /** PUT of the Scale; with a resourceVersion the server answers 409 Conflict when it is stale. */
  replaceScale(
    ref: WorkloadRef,
    scale: { replicas: number; resourceVersion?: string | undefined },
    options?: WriteOptions,
  ): KubeResult<KubeScale>;
  getJob(namespace: string, name: string): KubeResult<KubeJob>;
  patchJob(
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): KubeResult<KubeJob>;
}
