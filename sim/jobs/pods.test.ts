import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../fleet.js';
import { parseSeries } from '../test-helpers.js';

const startMs = Date.UTC(2025, 5, 2, 8);
const fleet = createFleet({ seed: 2024, nodeCount: 24, startMs });
const tMs = startMs + 3_600_000;
const text = fleet.renderPodList(tMs);
const raw = JSON.parse(text);
const truth = fleet.groundTruth().scenarios;

type AttributeMap = { baseName: string; type: string }[];
const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap }>;

/** Every key must be a JSON field of the client's model for that position; returns the unknown ones. */
function findUnknownKeys(value: unknown, type: string, path: string): string[] {
  const element = /^Array<(.+)>$/.exec(type)?.[1];
  if (element)
    return (value as unknown[]).flatMap((item, i) => findUnknownKeys(item, element, `${path}[${i}]`));
  const attributes = models[type]?.getAttributeTypeMap?.();
  if (!attributes || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const attribute = attributes.find((a) => a.baseName === key);
    return attribute ? findUnknownKeys(child, attribute.type, `${path}.${key}`) : [`${path}.${key}`];
  });
}

describe('renderPodList', () => {
  it('deserialises as a V1PodList with the Kubernetes client, timestamps as dates', () => {
    const list = k8s.loadYaml<k8s.V1PodList>(text);
    expect(list).toBeInstanceOf(k8s.V1PodList);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.length).toBeGreaterThan(10);
    expect(list.items[0]!.status?.startTime).toBeInstanceOf(Date);
    expect(list.items[0]!.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });

  it('uses only fields the v1 Pod model knows', () => {
    expect(findUnknownKeys(raw, 'V1PodList', '')).toEqual([]);
  });

  it('lists exactly the pods the dcgm-exporter labels name, on their nodes, with one GPU per labelled device', () => {
    const fromLabels = new Map<string, number>();
    for (const node of fleet.nodes.filter((n) => n.scheduler === 'kubernetes')) {
      for (const s of parseSeries(fleet.renderNode(node.name, tMs)!)) {
        if (s.name !== 'DCGM_FI_DEV_FB_USED' || !s.labels.pod) continue;
        const key = `${s.labels.namespace}/${s.labels.pod}@${node.name}`;
        fromLabels.set(key, (fromLabels.get(key) ?? 0) + 1);
      }
    }
    const fromList = new Map<string, number>();
    for (const pod of raw.items) {
      const limits = pod.spec.containers[0].resources.limits as Record<string, string>;
      const count = Object.values(limits).reduce((sum, n) => sum + Number(n), 0);
      fromList.set(`${pod.metadata.namespace}/${pod.metadata.name}@${pod.spec.nodeName}`, count);
    }
    expect(fromList).toEqual(fromLabels);
  });

  it('gives every pod team and project labels and the owner its name implies', () => {
    for (const pod of raw.items)
      expect(Object.keys(pod.metadata.labels)).toEqual(expect.arrayContaining(['team', 'project']));
    const congested = truth.find((s) => s.kind === 'ib-congested-port')!;
    if (congested.kind !== 'ib-congested-port') throw new Error('unreachable');
    const jobPods = raw.items.filter(
      (pod: { metadata: { labels: Record<string, string> } }) =>
        pod.metadata.labels['training.kubeflow.org/job-name'] === congested.expect.owner.name,
    );
    expect(jobPods.map((pod: { spec: { nodeName: string } }) => pod.spec.nodeName).sort()).toEqual(
      [...congested.nodes!].sort(),
    );
    for (const pod of jobPods) {
      expect(pod.metadata.ownerReferences[0]).toMatchObject({
        apiVersion: 'kubeflow.org/v1',
        kind: 'PyTorchJob',
        controller: true,
      });
      expect(pod.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('8');
    }
    const notebook = raw.items.find(
      (pod: { metadata: { namespace: string } }) => pod.metadata.namespace === 'jupyterhub',
    );
    expect(notebook.metadata.ownerReferences).toBeUndefined();
  });

  it('asks for MIG slices by profile for the pods on the MIG GPU', () => {
    const mig = truth.find((s) => s.kind === 'mig-partitioned')!;
    if (mig.kind !== 'mig-partitioned') throw new Error('unreachable');
    for (const instance of mig.expect.instances.filter((i) => i.pod)) {
      const pod = raw.items.find(
        (p: { metadata: { name: string } }) => p.metadata.name === instance.pod!.pod,
      );
      expect(pod.spec.containers[0].resources.limits).toEqual({
        [`nvidia.com/mig-${instance.profile}`]: '1',
      });
    }
  });

  it('lists no pod before it started and raises the resourceVersion as pods appear', () => {
    const early = JSON.parse(fleet.renderPodList(startMs - 40 * 3_600_000));
    expect(early.items.length).toBeLessThan(raw.items.length);
    expect(Number(early.metadata.resourceVersion)).toBeLessThan(Number(raw.metadata.resourceVersion));
  });
});
