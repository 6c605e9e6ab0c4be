import { describe, expect, it } from 'vitest';
import { parseCounterText, parseIbPort, parseIbRate, parsePortState } from './parse-ib-port.js';

const base = {
  node: 'n1',
  device: 'mlx5_0',
  port: 1,
  timestampMs: 0,
  directory: '/sys/class/infiniband/mlx5_0/ports/1',
};

describe('parseIbRate', () => {
  it('reads "100 Gb/sec (4X EDR)" as 1e11 bits per second', () => {
    expect(parseIbRate('100 Gb/sec (4X EDR)\n')).toBe(100e9);
  });
  it('reads fractional rates and rates without a width suffix', () => {
    expect(parseIbRate('2.5 Gb/sec (1X SDR)')).toBe(2.5e9);
    expect(parseIbRate('10 Gb/sec (4X)')).toBe(10e9);
  });
  it('returns null for text that is not a rate', () => {
    expect(parseIbRate('unknown')).toBeNull();
  });
});

describe('parsePortState', () => {
  it('splits "4: ACTIVE" and "5: LinkUp" into id and name', () => {
    expect(parsePortState('4: ACTIVE\n')).toEqual({ id: 4, name: 'ACTIVE' });
    expect(parsePortState('5: LinkUp')).toEqual({ id: 5, name: 'LinkUp' });
  });
  it('returns null without a numeric prefix', () => {
    expect(parsePortState('ACTIVE')).toBeNull();
  });
});

describe('parseCounterText', () => {
  it('skips "N/A (no PMA)" with a reason instead of a value', () => {
    expect(parseCounterText('N/A (no PMA)\n')).toEqual({ reason: 'not available: N/A (no PMA)' });
  });
  it('rejects negative and non-numeric text', () => {
    expect(parseCounterText('-1')).toHaveProperty('reason');
    expect(parseCounterText('12abc')).toHaveProperty('reason');
  });
});

describe('parseIbPort', () => {
  it('multiplies port_xmit_data and port_rcv_data words by 4 and keeps other counters as read', () => {
    const files = new Map([
      ['rate', '100 Gb/sec (4X EDR)\n'],
      ['state', '4: ACTIVE\n'],
      ['phys_state', '5: LinkUp\n'],
      ['link_layer', 'InfiniBand\n'],
      ['counters/port_xmit_data', '1000\n'],
      ['counters/port_rcv_data', '250\n'],
      ['counters/symbol_error', '3\n'],
      ['hw_counters/out_of_sequence', '7\n'],
    ]);
    const { snapshot, issues } = parseIbPort({ ...base, files });
    expect(issues).toEqual([]);
    expect(snapshot.counters).toEqual({ port_xmit_data: 4000, port_rcv_data: 1000, symbol_error: 3 });
    expect(snapshot.hwCounters).toEqual({ out_of_sequence: 7 });
    expect(snapshot.rateBitsPerSecond).toBe(100e9);
    expect(snapshot.linkLayer).toBe('InfiniBand');
  });

  it('reports a missing rate file by path and still returns the counters it has', () => {
    const files = new Map([
      ['state', '4: ACTIVE'],
      ['phys_state', '5: LinkUp'],
      ['link_layer', 'Ethernet'],
      ['counters/link_downed', '1'],
    ]);
    const { snapshot, issues } = parseIbPort({ ...base, files });
    expect(snapshot.rateBitsPerSecond).toBeNull();
    expect(snapshot.counters.link_downed).toBe(1);
    expect(issues).toEqual([{ source: `${base.directory}/rate`, field: 'rate', reason: 'missing' }]);
  });

  it('names an unreadable file with the reason the reader gave', () => {
    const files = new Map([
      ['state', '4: ACTIVE'],
      ['phys_state', '5: LinkUp'],
      ['link_layer', 'InfiniBand'],
    ]);
    const unreadable = new Map([
      ['rate', 'unreadable (EISDIR)'],
      ['counters/symbol_error', 'unreadable (EACCES)'],
    ]);
    const { issues } = parseIbPort({ ...base, files, unreadable });
    expect(issues.map((i) => `${i.field}: ${i.reason}`).sort()).toEqual([
      'counters/symbol_error: unreadable (EACCES)',
      'rate: unreadable (EISDIR)',
    ]);
  });

  it('reports a state file it cannot understand and leaves the state null', () => {
    const files = new Map([
      ['rate', '40 Gb/sec (4X QDR)'],
      ['state', 'garbage'],
      ['phys_state', '5: LinkUp'],
      ['link_layer', 'InfiniBand'],
    ]);
    const { snapshot, issues } = parseIbPort({ ...base, files });
    expect(snapshot.state).toBeNull();
    expect(issues[0]).toMatchObject({ field: 'state', reason: 'unrecognised "garbage"' });
  });
});
