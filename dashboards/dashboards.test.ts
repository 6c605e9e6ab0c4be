import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderDashboardFiles } from './build-dashboards.js';
import { buildAllDashboards, listPanelQueries, substituteVariables } from './index.js';
import type { DashboardSpec } from './lib/spec.js';

const root = import.meta.dirname;

interface JsonPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
}

const built = buildAllDashboards();
// the import input's placeholder, spelled out so that a changed constant in the generator fails here
const dsRef = { type: 'prometheus', uid: `$${'{DS_PROMETHEUS}'}` };
const panelsOf = (json: unknown) => (json as { panels: JsonPanel[] }).panels;
const variablesOf = (json: unknown) =>
  (json as { templating: { list: { name: string; type: string; query: unknown }[] } }).templating.list;

describe('committed dashboard files', () => {
  it.each([...renderDashboardFiles()])(
    'dashboards/%s is what the generator writes (run npx tsx dashboards/build-dashboards.ts)',
    (path, content) => {
      expect(readFileSync(join(root, path), 'utf8')).toBe(content);
    },
  );

  it('provisions a file provider and a default Prometheus data source', () => {
    const files = renderDashboardFiles();
    const provider = parse(files.get('provisioning/dashboards/gpuscope.yaml')!);
    expect(provider).toMatchObject({
      apiVersion: 1,
      providers: [{ type: 'file', options: { path: expect.any(String) } }],
    });
    const datasources = parse(files.get('provisioning/datasources/prometheus.yaml')!);
    expect(datasources).toMatchObject({
      apiVersion: 1,
      datasources: [{ type: 'prometheus', isDefault: true }],
    });
  });
});

describe.each(built.map((d) => [d.spec.uid, d] as const))('dashboard %s', (_uid, { spec, json }) => {
  const panels = panelsOf(json);

  it('has unique panel ids and a unique uid', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(built.filter((d) => d.spec.uid === spec.uid)).toHaveLength(1);
  });

  it('keeps every panel inside the 24 columns without overlapping another', () => {
    const taken = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24, `${p.title}: x=${x} w=${w}`).toBe(true);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          expect(taken.has(`${cx},${cy}`), `${p.title} overlaps at ${cx},${cy}`).toBe(false);
          taken.add(`${cx},${cy}`);
        }
      }
    }
  });

  it('points every panel and target at the DS_PROMETHEUS input, which __inputs and a variable define', () => {
    const dash = json as unknown as {
      __inputs: { name: string; type: string }[];
      __requires: { id: string }[];
    };
    expect(dash.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource' })]);
    expect(dash.__requires.map((r) => r.id)).toEqual(expect.arrayContaining(['grafana', 'prometheus']));
    for (const p of panels.filter((panel) => panel.type !== 'row')) {
      expect(
        dash.__requires.map((r) => r.id),
        p.type,
      ).toContain(p.type);
      expect(p.datasource).toEqual(dsRef);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource).toEqual(dsRef);
        expect(t.expr.trim()).not.toBe('');
      }
    }
    expect(variablesOf(json)[0]).toMatchObject({
      name: 'DS_PROMETHEUS',
      type: 'datasource',
      query: 'prometheus',
    });
  });

  it('defines the variables it declares, and every one of them is used by a panel query', () => {
    const defined = variablesOf(json).map((v) => v.name);
    expect(defined).toEqual([
      'DS_PROMETHEUS',
      ...['cluster', 'node', 'gpu', 'gpu_model', 'team'].filter((n) => spec.variables.includes(n as never)),
    ]);
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const name of spec.variables) expect(exprs, `$${name} unused`).toMatch(new RegExp(`\\$${name}\\b`));
  });

  it('uses no variable it does not define', () => {
    const defined = new Set(variablesOf(json).map((v) => v.name));
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        for (const m of t.expr.matchAll(/\$(\w+)/g)) {
          const name = m[1]!;
          if (!name.startsWith('__')) expect(defined.has(name), `${p.title}: $${name}`).toBe(true);
        }
      }
    }
  });

  it('says in the panel description why a query may be empty on the simulator', () => {
    const marked = spec.rows
      .flatMap((r) => r.panels)
      .filter((p) => p.queries.some((q) => q.expectEmptyInSim));
    for (const p of marked) {
      const description = panels.find((j) => j.title === p.title)?.description ?? '';
      expect(description).toContain('Empty on the simulator:');
    }
  });
});

describe('the dashboard set', () => {
  it('defines cluster, node, team and gpu_model somewhere and has the six dashboards', () => {
    const all = new Set(built.flatMap((d) => d.spec.variables));
    for (const name of ['cluster', 'node', 'team', 'gpu_model']) expect(all.has(name as never)).toBe(true);
    expect(built.map((d) => d.file)).toEqual([
      'fleet-overview.json',
      'gpu-detail.json',
      'teams.json',
      'fabric.json',
      'cost.json',
      'recommendations.json',
    ]);
  });
});

describe('listPanelQueries', () => {
  it('lists each target once with its refId, and instant only for tables and bar gauges', () => {
    const spec: DashboardSpec = {
      uid: 'x',
      file: 'x',
      title: 'x',
      description: '',
      tags: [],
      variables: [],
      from: 'now-1h',
      rows: [
        {
          title: 'r',
          panels: [
            {
              kind: 'table',
              title: 't',
              description: '',
              unit: 'short',
              queries: [{ expr: 'a' }, { expr: 'b', expectEmptyInSim: 'why' }],
            },
            { kind: 'timeseries', title: 's', description: '', unit: 'short', queries: [{ expr: 'c' }] },
          ],
        },
      ],
    };
    expect(listPanelQueries([spec])).toEqual([
      { dashboard: 'x', panel: 't', kind: 'table', refId: 'A', expr: 'a', instant: true },
      {
        dashboard: 'x',
        panel: 't',
        kind: 'table',
        refId: 'B',
        expr: 'b',
        instant: true,
        expectEmptyInSim: 'why',
      },
      { dashboard: 'x', panel: 's', kind: 'timeseries', refId: 'A', expr: 'c', instant: false },
    ]);
  });
});

describe('substituteVariables', () => {
  it('replaces Grafana built-ins and dashboard variables, $gpu_model before $gpu', () => {
    const out = substituteVariables(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's braced variable form
      'rate(x{gpu=~"$gpu", m=~"${gpu_model}", c=~"$cluster"}[$__rate_interval]) + increase(y[$__range])',
      {
        rangeSeconds: 600,
        intervalSeconds: 15,
        rateIntervalSeconds: 60,
        vars: { gpu: '0', gpu_model: 'H100', cluster: 'sim' },
      },
    );
    expect(out).toBe('rate(x{gpu=~"0", m=~"H100", c=~"sim"}[60s]) + increase(y[600s])');
  });
});
