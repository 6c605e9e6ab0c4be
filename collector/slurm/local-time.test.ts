import { describe, expect, it } from 'vitest';
import { isValidTimeZone, parseLocalDateTime } from './local-time.js';

describe('parseLocalDateTime', () => {
  it('reads a UTC wall-clock time as that instant', () => {
    expect(parseLocalDateTime('2024-03-01T06:38:14', 'UTC')?.toISOString()).toBe('2024-03-01T06:38:14.000Z');
  });

  it('applies standard and summer offsets of a DST zone', () => {
    expect(parseLocalDateTime('2024-01-15T12:00:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2024-01-15T11:00:00.000Z',
    );
    expect(parseLocalDateTime('2024-07-15T12:00:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2024-07-15T10:00:00.000Z',
    );
    expect(parseLocalDateTime('2024-07-15T12:00:00', 'America/Sao_Paulo')?.toISOString()).toBe(
      '2024-07-15T15:00:00.000Z',
    );
  });

  it('resolves the hours around a DST switch in New York', () => {
    // 2024-03-10 02:00 → 03:00 (EDT) and 2024-11-03 02:00 → 01:00 (EST).
    expect(parseLocalDateTime('2024-03-10T01:59:59', 'America/New_York')?.toISOString()).toBe(
      '2024-03-10T06:59:59.000Z',
    );
    expect(parseLocalDateTime('2024-03-10T03:00:00', 'America/New_York')?.toISOString()).toBe(
      '2024-03-10T07:00:00.000Z',
    );
    expect(parseLocalDateTime('2024-11-03T01:30:00', 'America/New_York')?.toISOString()).toBe(
      '2024-11-03T05:30:00.000Z',
    );
  });

  it('reads Unknown and None as no time', () => {
    expect(parseLocalDateTime('Unknown', 'UTC')).toBeNull();
    expect(parseLocalDateTime('None', 'Europe/Berlin')).toBeNull();
  });

  it('tells a valid IANA zone from a typo', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Europe/Berlni')).toBe(false);
  });
});
