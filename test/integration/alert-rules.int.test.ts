import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * gpuscope's Prometheus alert rules (alerts/*.rules.yml) checked and unit-tested by the real promtool, and held to
 * the conventions alerts/README.md states: every alert has a promtool test, a `for`, a severity, a summary, a
 * description and a runbook_url naming a section of alerts/RUNBOOKS.md.
 */

const run = promisify(execFile);
const alertsDir = join(import.meta.dirname, '../../alerts');
const testsDir = join(alertsDir, 'tests');
const promtool = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ruleFiles = readdirSync(alertsDir)
  .filter((f) => f.endsWith('.rules.yml'))
  .sort()
  .map((f) => join(alertsDir, f));
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.test.yml'))
  .sort()
  .map((f) => join(testsDir, f));

function loadAlerts(): (Rule & { alert: string; file: string })[] {
  return ruleFiles.flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] };
    return doc.groups.flatMap((g) =>
      g.rules.flatMap((r) => (r.alert ? [{ ...r, alert: r.alert, file }] : [])),
    );
  });
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
function runbookAnchors(): Set<string> {
  const text = readFileSync(join(alertsDir, 'RUNBOOKS.md'), 'utf8');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

function promtoolAvailable(): boolean {
  if (existsSync(promtool)) return true;
  if (process.env['CI'])
    throw new Error(`CI is set but ${promtool} is missing: install the Debian package \`prometheus\``);
  console.warn(
    `skipping promtool checks: ${promtool} not found (apt-get install -y prometheus, or set PROMTOOL_BIN)`,
  );
  return false;
}

describe('alert rules', () => {
  const alerts = loadAlerts();
  const withPromtool = promtoolAvailable();

  it('finds rule files and test files', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(5);
    expect(testFiles.length).toBeGreaterThanOrEqual(5);
    expect(alerts.length).toBeGreaterThanOrEqual(30);
  });

  it.runIf(withPromtool)('pass promtool check rules', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', ...ruleFiles]);
    expect(stdout).not.toMatch(/FAILED/);
    expect(stdout.match(/SUCCESS/g)).toHaveLength(ruleFiles.length);
  });

  it.runIf(withPromtool)('pass their promtool unit tests', async () => {
    const result = await run(promtool, ['test', 'rules', ...testFiles]).catch(
      (error: { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
    expect(result.stdout.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  });

  it('have a firing and a non-firing case in some test file for every alert', () => {
    const cases = testFiles.flatMap((file) => {
      const doc = parse(readFileSync(file, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    });
    const missing = alerts.flatMap((a) => {
      const own = cases.filter((c) => c.alertname === a.alert);
      const firing = own.some((c) => (c.exp_alerts ?? []).length > 0);
      const quiet = own.some((c) => (c.exp_alerts ?? []).length === 0);
      return firing && quiet ? [] : [`${a.alert} (${firing ? 'no non-firing case' : 'no firing case'})`];
    });
    expect(missing).toEqual([]);
  });

  it('give every alert a for, a severity, a summary, a description and a runbook section that exists', () => {
    const anchors = runbookAnchors();
    const problems = alerts.flatMap((a) => {
      const out: string[] = [];
      if (a.for === undefined) out.push('no for');
      if (!a.labels?.['severity']) out.push('no severity label');
      if (!a.annotations?.['summary']) out.push('no summary');
      if (!a.annotations?.['description']) out.push('no description');
      const runbook = a.annotations?.['runbook_url'] ?? '';
      const anchor = runbook.split('#')[1] ?? '';
      if (!runbook.startsWith('alerts/RUNBOOKS.md#')) out.push(`runbook_url ${runbook || '(none)'}`);
      else if (!anchors.has(anchor)) out.push(`no RUNBOOKS.md section #${anchor}`);
      return out.map((p) => `${a.alert}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('name every alert once', () => {
    const names = alerts.map((a) => a.alert);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
