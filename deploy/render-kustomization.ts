// A small kustomize renderer for the features deploy/ uses (resources, labels, namespace, images, secretGenerator
// files, strategic-merge patches by kind and name), so CI can check the overlay's objects: no kustomize binary
// can be installed here. It refuses any other kustomization field rather than ignore it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
} & Record<string, unknown>;

const KNOWN = new Set([
  'apiVersion',
  'kind',
  'resources',
  'labels',
  'namespace',
  'images',
  'secretGenerator',
  'generatorOptions',
  'patches',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export function readObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

interface Kustomization {
  resources?: string[];
  labels?: { pairs: Record<string, string> }[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; files: string[] }[];
  patches?: { path: string }[];
}

export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = readObjects(file)[0] as unknown as Kustomization & Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!KNOWN.has(key)) throw new Error(`${file}: field "${key}" is not supported by this renderer`);
  }
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  for (const g of k.secretGenerator ?? []) {
    const data = Object.fromEntries(
      g.files.map((f) => [f, Buffer.from(readFileSync(join(dir, f))).toString('base64')]),
    );
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name }, type: 'Opaque', data });
  }
  for (const p of k.patches ?? []) {
    for (const patch of readObjects(join(dir, p.path))) {
      const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (!target) throw new Error(`${join(dir, p.path)}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects = objects.map((o) => (o === target ? (mergePatch(o, patch) as K8sObject) : o));
    }
  }
  for (const o of objects) {
    for (const l of k.labels ?? []) o.metadata.labels = { ...l.pairs, ...o.metadata.labels };
    if (k.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
    for (const c of containersOf(o)) {
      const image = k.images?.find((i) => c.image === i.name || c.image.startsWith(`${i.name}:`));
      if (image)
        c.image = `${image.newName ?? image.name}:${image.newTag ?? c.image.split(':')[1] ?? 'latest'}`;
    }
  }
  return objects;
}

export function containersOf(o: K8sObject): { name: string; image: string; [k: string]: unknown }[] {
  const spec = (o.spec as { template?: { spec?: { containers?: unknown[] } } } | undefined)?.template?.spec;
  return (spec?.containers ?? []) as { name: string; image: string }[];
}

/** Strategic merge as kustomize applies it to these objects: maps merge, lists of named items merge by name. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (v: unknown): v is { name: string } =>
      typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string';
    if (!patch.every(named) || !base.every(named)) return patch;
    const out = base.map((b) => {
      const p = patch.find((x) => x.name === b.name);
      return p ? mergePatch(b, p) : b;
    });
    return [...out, ...patch.filter((p) => !base.some((b) => b.name === p.name))];
  }
  if (isMap(base) && isMap(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch))
      out[key] = key in base ? mergePatch(base[key], value) : value;
    return out;
  }
  return patch;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
