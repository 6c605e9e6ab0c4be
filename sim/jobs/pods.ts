import { hashInts, hashString } from '../hash.js';
import type { Allocation, SimNode } from '../types.js';

export interface PodOwner {
  apiVersion: string;
  kind: 'Job' | 'ReplicaSet' | 'PyTorchJob';
  name: string;
  uid: string;
}

/** A pod behind the fleet's `pod`/`namespace`/`container` labels. */
export interface SimPod {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  nodeIndex: number;
  container: string;
  /** Extended resources it holds: `nvidia.com/gpu` or `nvidia.com/mig-<profile>` → count. */
  resources: Record<string, number>;
  owner: PodOwner | undefined;
  labels: Record<string, string>;
  startMs: number;
}

const teamByNamespace: Record<string, string> = {
  'ml-research': 'research',
  nlp: 'language',
  speech: 'language',
  vision: 'perception',
  recsys: 'ads',
  inference: 'platform',
  training: 'foundation',
  jupyterhub: 'research',
};
const projects = ['atlas', 'borealis', 'cobalt', 'delta', 'ember'] as const;
const hourMs = 3_600_000;

/** A UUID (version 4 layout) fixed by the inputs, like the API server's metadata.uid. */
export function createUid(seedKey: number, text: string): string {
  const hex = [1, 2, 3, 4]
    .map((word) => hashInts(seedKey, hashString(text), word).toString(16).padStart(8, '0'))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The owner chain a pod name implies: `<job>-master-0`/`-worker-N` PyTorchJob, `serve-`/`embed-` Deployment, else Job. */
function inferOwner(
  seedKey: number,
  namespace: string,
  pod: string,
): { owner?: PodOwner; labels: Record<string, string> } {
  if (namespace === 'jupyterhub') {
    // KubeSpawner creates bare pods: no ownerReferences.
    return {
      labels: {
        app: 'jupyterhub',
        component: 'singleuser-server',
        'hub.jupyter.org/username': pod.replace(/^jupyter-/, ''),
      },
    };
  }
  const replica = /^(.+)-(master|worker)-(\d+)$/.exec(pod);
  if (replica) {
    const [, name, type, index] = replica as unknown as [string, string, string, string];
    const owner = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob' as const,
      name,
      uid: createUid(seedKey, `${namespace}/pytorchjob/${name}`),
    };
    return {
      owner,
      labels: {
        'training.kubeflow.org/job-name': name,
        'training.kubeflow.org/operator-name': 'pytorchjob-controller',
        'training.kubeflow.org/replica-index': index,
        'training.kubeflow.org/replica-type': type,
      },
    };
  }
  const prefix = pod.replace(/-[^-]+$/, '');
  if (prefix === 'serve' || prefix === 'embed') {
    const hash = hashInts(seedKey, hashString(`${namespace}/${prefix}`))
      .toString(16)
      .padStart(8, '0')
      .slice(0, 8);
    const name = `${prefix}-${hash}`;
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet' as const,
      name,
      uid: createUid(seedKey, `${namespace}/rs/${name}`),
    };
    return { owner, labels: { app: prefix, 'pod-template-hash': hash } };
  }
  const uid = createUid(seedKey, `${namespace}/job/${prefix}`);
  return {
    owner: { apiVersion: 'batch/v1', kind: 'Job', name: prefix, uid },
    labels: {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': prefix,
      'controller-uid': uid,
      'job-name': prefix,
    },
  };
}

interface PodContext {
  seedKey: number;
  fleetStartMs: number;
  pods: Map<string, SimPod>;
}

function addHolding(ctx: PodContext, node: SimNode, allocation: Allocation | undefined, resource: string) {
  if (allocation?.kind !== 'pod') return;
  const { namespace, pod: name, container } = allocation.pod;
  const key = `${namespace}/${name}`;
  const existing = ctx.pods.get(key);
  // Pod names are unique per namespace; a (vanishingly rare) repeat on another node is left out.
  if (existing && existing.nodeName !== node.name) return;
  const pod = existing ?? createPod(ctx, node, namespace, name, container);
  pod.resources[resource] = (pod.resources[resource] ?? 0) + 1;
  ctx.pods.set(key, pod);
}

/** Pods of one owner start together, between 30 minutes and a day and a half before the fleet start. */
function createPod(
  ctx: PodContext,
  node: SimNode,
  namespace: string,
  name: string,
  container: string,
): SimPod {
  const { seedKey } = ctx;
  const { owner, labels } = inferOwner(seedKey, namespace, name);
  const startKey = hashInts(
    seedKey,
    hashString(owner ? `${namespace}/${owner.name}` : `${namespace}/${name}`),
    0x706f64,
  );
  const team = teamByNamespace[namespace] ?? 'unassigned';
  return {
    namespace,
    name,
    uid: createUid(seedKey, `${namespace}/pod/${name}`),
    nodeName: node.name,
    nodeIndex: node.index,
    container,
    resources: {},
    owner,
    labels: { ...labels, project: projects[startKey % projects.length]!, team },
    startMs: Math.floor((ctx.fleetStartMs - 0.5 * hourMs - (startKey % (30 * hourMs))) / 1000) * 1000,
  };
}

/** Every pod the Kubernetes nodes' GPU labels name, with the GPUs or MIG instances it holds. */
export function listPods(nodes: readonly SimNode[], seedKey: number, fleetStartMs: number): SimPod[] {
  const ctx: PodContext = { seedKey, fleetStartMs, pods: new Map() };
  for (const node of nodes) {
    if (node.scheduler !== 'kubernetes') continue;
    for (const gpu of node.gpus) {
      addHolding(ctx, node, gpu.instances.length === 0 ? gpu.allocation : undefined, 'nvidia.com/gpu');
      for (const instance of gpu.instances)
        addHolding(ctx, node, instance.allocation, `nvidia.com/mig-${instance.profile}`);
    }
  }
  // In start order, so the pods started by any time are a prefix and keep their resourceVersions.
  return [...ctx.pods.values()].sort(
    (a, b) => a.startMs - b.startMs || (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1),
  );
}
