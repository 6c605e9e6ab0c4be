import type { Config } from '../../core/config.js';

/** `collectors.prometheus` as the config file gives it. */
export type PrometheusConfig = NonNullable<Config['collectors']['prometheus']>;

/** The config block plus knobs that only tests and unusual TSDBs need. */
export interface PrometheusSettings extends PrometheusConfig {
  /** Longest time range one request covers; default 2 h (480 points per series at a 15-s step). */
  maxChunkSeconds?: number;
  /** Largest response body accepted, after decompression; default 64 MiB. */
  maxBodyBytes?: number;
  /** Field queries in flight at once; default 4. */
  concurrency?: number;
  /** `auto` (default) uses GET and switches to a POSTed form when the URL would be long. */
  method?: 'GET' | 'POST' | 'auto';
  /** Chunks one live tick works through when catching up; later ones wait for the next tick. Default 6. */
  maxChunksPerTick?: number;
}

export const defaultMaxChunkSeconds = 7_200;
export const defaultMaxBodyBytes = 64 * 1024 * 1024;
export const defaultConcurrency = 4;
export const defaultMaxChunksPerTick = 6;
