import { hashInts, hashString } from '../hash.js';
import type { SimPod } from '../jobs/pods.js';

const images: Record<string, string> = {
  pytorch: 'nvcr.io/nvidia/pytorch:24.05-py3',
  notebook: 'quay.io/jupyter/pytorch-notebook:cuda12-python-3.11',
};

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hex(seed: number, words: number): string {
  return Array.from({ length: words }, (_, i) =>
    hashInts(seed, i, 0x696d67).toString(16).padStart(8, '0'),
  ).join('');
}

function formatContainer(pod: SimPod) {
  const quantities = Object.fromEntries(
    Object.entries(pod.resources).map(([key, count]) => [key, String(count)]),
  );
  return {
    name: pod.container,
    image: images[pod.container] ?? 'registry.example.com/ml/trainer:2.3.1',
    resources: { limits: { ...quantities }, requests: { cpu: '8', memory: '64Gi', ...quantities } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

function formatStatus(pod: SimPod) {
  const started = formatTime(pod.startMs);
  const image = images[pod.container] ?? 'registry.example.com/ml/trainer:2.3.1';
  const key = hashString(`${pod.namespace}/${pod.name}`);
  const condition = (type: string) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: started,
  });
  return {
    phase: 'Running',
    conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
    hostIP: `10.0.${Math.floor(pod.nodeIndex / 250)}.${(pod.nodeIndex % 250) + 1}`,
    podIP: `10.244.${pod.nodeIndex % 256}.${(key % 250) + 2}`,
    startTime: started,
    containerStatuses: [
      {
        name: pod.container,
        state: { running: { startedAt: started } },
        ready: true,
        restartCount: 0,
        image,
        imageID: `${image.split(':')[0]}@sha256:${hex(key, 8)}`,
        containerID: `containerd://${hex(key + 1, 8)}`,
        started: true,
      },
    ],
    qosClass: 'Burstable',
  };
}

/** One item of `GET /api/v1/pods`: a v1 Pod as the API server returns it inside a list. */
export function formatPod(pod: SimPod, resourceVersion: string) {
  const metadata = {
    name: pod.name,
    namespace: pod.namespace,
    uid: pod.uid,
    resourceVersion,
    creationTimestamp: formatTime(pod.startMs - 20_000),
    labels: pod.labels,
    ...(pod.owner ? { ownerReferences: [{ ...pod.owner, controller: true, blockOwnerDeletion: true }] } : {}),
  };
  return {
    metadata,
    spec: {
      containers: [formatContainer(pod)],
      restartPolicy: pod.owner?.kind === 'ReplicaSet' ? 'Always' : 'Never',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: pod.nodeName,
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      priority: 0,
    },
    status: formatStatus(pod),
  };
}

/**
 * `GET /api/v1/pods` at `tMs`: a v1 PodList of the pods started by then. `pods` come in start order
 * and never change once started, so each keeps its resourceVersion and the list's grows with their number.
 */
export function renderPodList(pods: readonly SimPod[], tMs: number, baseResourceVersion: number): string {
  const started = pods.filter((pod) => pod.startMs <= tMs);
  const items = started.map((pod, i) => formatPod(pod, String(baseResourceVersion + i)));
  return JSON.stringify({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: String(baseResourceVersion + started.length) },
    items,
  });
}
