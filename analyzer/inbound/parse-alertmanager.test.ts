import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeLabelFingerprint,
  hashFnv1a64,
  listNodeCandidates,
  parseAlertmanagerMessage,
} from './parse-alertmanager.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures/inbound');
const readFixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

describe('hashFnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(hashFnv1a64(Buffer.from('')).toString(16)).toBe('cbf29ce484222325');
    expect(hashFnv1a64(Buffer.from('a')).toString(16)).toBe('af63dc4c8601ec8c');
    expect(hashFnv1a64(Buffer.from('foobar')).toString(16)).toBe('85944171f73967e8');
  });
});

describe('computeLabelFingerprint', () => {
  it('gives the empty label set the FNV offset basis, as prometheus/common does', () => {
    expect(computeLabelFingerprint({})).toBe('cbf29ce484222325');
  });

  it('does not depend on the order labels arrive in', () => {
    expect(computeLabelFingerprint({ a: '1', b: '2' })).toBe(computeLabelFingerprint({ b: '2', a: '1' }));
  });

  it('separates name from value, so a=bc and ab=c differ', () => {
    expect(computeLabelFingerprint({ a: 'bc' })).not.toBe(computeLabelFingerprint({ ab: 'c' }));
  });

  it('reproduces the fingerprints in the current-shape sample', () => {
    const body = readFixture('alertmanager-v4-current.json') as {
      alerts: { labels: Record<string, string>; fingerprint: string }[];
    };
    for (const a of body.alerts) expect(computeLabelFingerprint(a.labels)).toBe(a.fingerprint);
  });
});

describe('parseAlertmanagerMessage', () => {
  it('reads an older version 4 payload: group status for each alert and a fingerprint from its labels', () => {
    const result = parseAlertmanagerMessage(readFixture('alertmanager-v4-legacy.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.truncatedAlerts).toBe(0);
    expect(result.value.alerts).toHaveLength(1);
    const [alert] = result.value.alerts;
    expect(alert).toMatchObject({
      groupKey: '{}:{alertname="high_memory_load"}',
      status: 'firing',
      fingerprintSource: 'computed',
      alertname: 'high_memory_load',
      receiver: 'teams_proxy',
      endsAt: null,
      generatorUrl: null,
    });
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(alert?.startsAt.toISOString()).toBe('2018-03-07T11:33:21.873Z');
  });

  it('reads the current payload: per-alert status, fingerprint, generatorURL and end time', () => {
    const result = parseAlertmanagerMessage(readFixture('alertmanager-v4-current.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [firing, resolved] = result.value.alerts;
    expect(firing).toMatchObject({ status: 'firing', fingerprintSource: 'alertmanager', endsAt: null });
    expect(firing?.generatorUrl).toContain('DCGM_FI_DEV_XID_ERRORS');
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.endsAt?.toISOString()).toBe('2026-12-03T09:05:00.000Z');
  });

  it('names the field of a malformed alert', () => {
    const body = readFixture('alertmanager-v4-current.json') as { alerts: Record<string, unknown>[] };
    body.alerts[1]!['startsAt'] = 'yesterday';
    const result = parseAlertmanagerMessage(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.map((i) => i.path.join('.'))).toEqual(['alerts.1.startsAt']);
  });

  it('refuses a status Alertmanager never sends', () => {
    const body = { ...(readFixture('alertmanager-v4-legacy.json') as object), status: 'pending' };
    const result = parseAlertmanagerMessage(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error[0]?.path).toEqual(['status']);
  });
});

describe('listNodeCandidates', () => {
  it('takes node, Hostname and instance labels, and the host of host:port', () => {
    expect(listNodeCandidates({ Hostname: 'gpu-node-0001', instance: '10.0.4.17:9400' })).toEqual([
      'gpu-node-0001',
      '10.0.4.17:9400',
      '10.0.4.17',
    ]);
  });

  it('gives nothing for an alert without a node-like label', () => {
    expect(listNodeCandidates({ alertname: 'Watchdog' })).toEqual([]);
  });
});
