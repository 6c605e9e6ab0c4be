import { ConfigError } from './config.js';

/** One collector replica's share of the targets: `--shard i/n`, 0 ≤ i < n. */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`--shard must look like i/n (e.g. 0/3), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) {
    throw new ConfigError(`--shard ${text}: need 0 ≤ i < n and n ≥ 1`);
  }
  return { index, count };
}

/**
 * FNV-1a (32-bit) of the key modulo the shard count: stable across processes, versions and restarts, so every
 * replica agrees on who scrapes what without talking to the others.
 */
export function shardOf(key: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

export function isInShard(key: string, shard: Shard): boolean {
  return shard.count === 1 || shardOf(key, shard.count) === shard.index;
}
