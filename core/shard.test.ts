import { describe, expect, it } from 'vitest';
import { isInShard, parseShard, shardOf } from './shard.js';

describe('parseShard', () => {
  it('reads i/n and refuses what is not a shard of n', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(() => parseShard('3/3')).toThrow(/0 ≤ i < n/);
    expect(() => parseShard('0/0')).toThrow(/n ≥ 1/);
    expect(() => parseShard('one/3')).toThrow(/i\/n/);
  });
});

describe('isInShard', () => {
  const targets = Array.from({ length: 300 }, (_, i) => `http://node-${i}:9400/metrics`);

  it('puts every target in exactly one of n shards', () => {
    for (const n of [1, 2, 3, 7]) {
      for (const t of targets) {
        const owners = Array.from({ length: n }, (_, index) => index).filter((index) =>
          isInShard(t, { index, count: n }),
        );
        expect(owners).toHaveLength(1);
      }
    }
  });

  it('spreads targets evenly and agrees with a fixed reference value', () => {
    const counts = [0, 0, 0];
    for (const t of targets) counts[shardOf(t, 3)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(70);
    // FNV-1a 32 of "a" is 0xe40c292c: a change of hash would silently reshuffle every fleet's targets
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
  });
});
