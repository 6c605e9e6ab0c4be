import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Config } from '../core/config.js';
import { findPackageRoot } from '../core/paths.js';
import { renderGenerated } from './build-deploy.js';
import {
  containersOf,
  type K8sObject,
  mergePatch,
  readObjects,
  renderKustomization,
} from './render-kustomization.js';

const root = findPackageRoot();
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};
const base = renderKustomization(join(root, 'deploy/base'));
const overlay = renderKustomization(join(root, 'deploy/overlays/example'));
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

describe('deploy manifests', () => {
  it('validates every object of the base and the example overlay against the Kubernetes OpenAPI schemas', () => {
    for (const o of [...base, ...overlay]) {
      const Model = models[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} has no model here`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    expect(
      overlay
        .filter((o) => o.kind !== 'Namespace')
        .every((o) => o.metadata.namespace === 'gpuscope' || o.kind.startsWith('Cluster')),
    ).toBe(true);
  });

  it('keeps the generated PrometheusRule and dashboards ConfigMap identical to alerts/ and dashboards/', () => {
    for (const [path, text] of renderGenerated(root)) {
      expect(
        readFileSync(join(root, path), 'utf8'),
        `${path} is stale: run npx tsx deploy/build-deploy.ts`,
      ).toBe(text);
    }
    const rule = find(base, 'PrometheusRule', 'gpuscope') as unknown as {
      spec: { groups: { rules: { alert?: string }[] }[] };
    };
    const alerts = readdirSync(join(root, 'alerts')).filter((f) => f.endsWith('.rules.yml'));
    const names = alerts.flatMap((f) =>
      (
        parse(readFileSync(join(root, 'alerts', f), 'utf8')) as { groups: { rules: { alert?: string }[] }[] }
      ).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(rule.spec.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])))).toEqual(
      names,
    );
    const dashboards = find(base, 'ConfigMap', 'gpuscope-dashboards') as unknown as {
      data: Record<string, string>;
      metadata: K8sObject['metadata'];
    };
    expect(dashboards.metadata.labels?.grafana_dashboard).toBe('1');
    expect(Object.keys(dashboards.data).length).toBeGreaterThan(0);
    // a ConfigMap holds at most 1 MiB
    expect(Buffer.byteLength(JSON.stringify(dashboards.data))).toBeLessThan(1024 * 1024);
  });

  it('runs each role with its own flags: sharded collectors whose SHARDS equals their replicas', () => {
    for (const objects of [base, overlay]) {
      const collector = find(objects, 'StatefulSet', 'gpuscope-collector') as {
        spec: { replicas: number };
      } & K8sObject;
      const c = containersOf(collector)[0] as unknown as {
        args: string[];
        env: { name: string; value?: string }[];
      };
      expect(c.args).toEqual(
        expect.arrayContaining(['--role', 'collector', '--shard', '$(POD_INDEX)/$(SHARDS)']),
      );
      expect(Number(c.env.find((e) => e.name === 'SHARDS')?.value)).toBe(collector.spec.replicas);
      for (const role of ['api', 'analyzer']) {
        const args = (
          containersOf(find(objects, 'Deployment', `gpuscope-${role}`)!)[0] as unknown as { args: string[] }
        ).args;
        expect(args).toEqual(expect.arrayContaining(['--role', role]));
      }
    }
    expect(
      (find(overlay, 'StatefulSet', 'gpuscope-collector') as unknown as { spec: { replicas: number } }).spec
        .replicas,
    ).toBe(3);
  });

  it('runs as non-root with a read-only root filesystem, limits, probes, and secrets only by reference', () => {
    for (const w of workloads(overlay)) {
      const pod = (w.spec as { template: { spec: Record<string, unknown> } }).template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      for (const c of containersOf(w) as unknown as Record<string, Record<string, unknown>>[]) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(c.resources?.limits).toHaveProperty('memory');
        expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
        expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
        expect(c.image).toBe('registry.example.internal/gpuscope:0.1.0');
        const env = c.env as unknown as { name: string; value?: string; valueFrom?: unknown }[];
        expect(env.find((e) => e.name === 'GPUSCOPE_DATABASE_URL')).toMatchObject({
          valueFrom: { secretKeyRef: { name: 'gpuscope-database', key: 'url' } },
        });
      }
    }
  });

  it('gives the actions their verbs only to the analyzer, with no wildcard anywhere', () => {
    const roles = base.filter((o) => o.kind === 'ClusterRole') as unknown as {
      metadata: { name: string };
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    }[];
    for (const r of roles) {
      for (const rule of r.rules) {
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      }
    }
    const actions = roles.find((r) => r.metadata.name === 'gpuscope-actions')!;
    const can = (group: string, resource: string, verb: string) =>
      actions.rules.some(
        (x) => x.apiGroups.includes(group) && x.resources.includes(resource) && x.verbs.includes(verb),
      );
    // what analyzer/actions/kubernetes calls: cordon by patching nodes, evict, scale subresources, suspend Jobs
    expect(can('', 'nodes', 'patch')).toBe(true);
    expect(can('', 'pods/eviction', 'create')).toBe(true);
    expect(can('', 'pods', 'delete')).toBe(false);
    expect(can('apps', 'deployments/scale', 'update')).toBe(true);
    expect(can('apps', 'statefulsets/scale', 'update')).toBe(true);
    expect(can('batch', 'jobs', 'patch')).toBe(true);
    const binding = find(base, 'ClusterRoleBinding', 'gpuscope-actions') as unknown as {
      subjects: { name: string }[];
    };
    expect(binding.subjects.map((s) => s.name)).toEqual(['gpuscope-analyzer']);
    const analyzer = find(base, 'Deployment', 'gpuscope-analyzer') as unknown as {
      spec: { template: { spec: { serviceAccountName: string } } };
    };
    expect(analyzer.spec.template.spec.serviceAccountName).toBe('gpuscope-analyzer');
  });

  it('ships an example config that gpuscope itself accepts', () => {
    const secret = find(overlay, 'Secret', 'gpuscope-config') as unknown as { data: Record<string, string> };
    const text = Buffer.from(secret.data['config.yaml'] ?? '', 'base64').toString('utf8');
    expect(Config.safeParse(parse(text)).success).toBe(true);
  });
});

describe('renderKustomization', () => {
  it('merges named lists by name and replaces scalars, as a strategic merge does', () => {
    expect(
      mergePatch(
        {
          spec: {
            replicas: 2,
            containers: [
              {
                name: 'a',
                env: [
                  { name: 'X', value: '1' },
                  { name: 'Y', value: '2' },
                ],
              },
            ],
          },
        },
        { spec: { replicas: 3, containers: [{ name: 'a', env: [{ name: 'Y', value: '9' }] }] } },
      ),
    ).toEqual({
      spec: {
        replicas: 3,
        containers: [
          {
            name: 'a',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '9' },
            ],
          },
        ],
      },
    });
  });

  it('names the file of a patch whose target does not exist, and refuses fields it does not render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
    writeFileSync(join(dir, 'sa.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: a }\n');
    writeFileSync(join(dir, 'p.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: b }\n');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [sa.yaml]\npatches: [{ path: p.yaml }]\n');
    expect(() => renderKustomization(dir)).toThrow(/p\.yaml: no ServiceAccount b to patch/);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [sa.yaml]\nreplicas: []\n');
    expect(() => renderKustomization(dir)).toThrow(/field "replicas" is not supported/);
    expect(readObjects(join(dir, 'sa.yaml'))[0]?.metadata.name).toBe('a');
  });
});
