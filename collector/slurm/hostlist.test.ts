import { describe, expect, it } from 'vitest';
import { expandHostlist } from './hostlist.js';

describe('expandHostlist', () => {
  it('expands ranges and single numbers inside brackets, keeping zero padding', () => {
    expect(expandHostlist('node[01-03,7]')).toEqual({
      ok: true,
      value: ['node01', 'node02', 'node03', 'node7'],
    });
  });

  it('splits top-level commas but not commas inside brackets', () => {
    expect(expandHostlist('ng[30103,30706-30707],cdr896')).toEqual({
      ok: true,
      value: ['ng30103', 'ng30706', 'ng30707', 'cdr896'],
    });
  });

  it('expands several bracket groups in one name as a product', () => {
    expect(expandHostlist('r[1-2]n[1-2]')).toEqual({ ok: true, value: ['r1n1', 'r1n2', 'r2n1', 'r2n2'] });
  });

  it('reads (null) and None assigned as no nodes', () => {
    expect(expandHostlist('(null)')).toEqual({ ok: true, value: [] });
    expect(expandHostlist('None assigned')).toEqual({ ok: true, value: [] });
  });

  describe('errors', () => {
    it('rejects an unclosed bracket', () => {
      const result = expandHostlist('node[01-03');
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain('unbalanced [');
    });

    it('rejects a descending range and a range past the host limit', () => {
      expect(expandHostlist('n[5-1]').ok).toBe(false);
      expect(expandHostlist('n[1-99999999]').ok).toBe(false);
    });
  });
});
