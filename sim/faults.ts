import type { ServerResponse } from 'node:http';
import { hashInts } from './hash.js';
import type { SimNode } from './types.js';

export type SimFault = 'hang' | 'http500' | 'huge' | 'garbage';

export const hugeBodyBytes = 50 * 1024 * 1024;
const garbageBytes = 64 * 1024;

/** promhttp's wording when a collector fails. */
export function writeHttp500(res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(
    'An error has occurred while serving metrics:\n\nerror collecting metrics: DCGM is not responding\n',
  );
}

/** Random-looking bytes (deterministic per node) under a text content type, as a corrupted proxy would send. */
export function writeGarbage(res: ServerResponse, node: SimNode): void {
  const body = Buffer.alloc(garbageBytes);
  for (let i = 0; i < garbageBytes; i += 4) body.writeUInt32LE(hashInts(node.index, i, 0x6761), i);
  res.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'content-length': garbageBytes,
  });
  res.end(body);
}

function buildHugeChunk(node: SimNode, firstLine: number, lineCount: number): string {
  const gpu = node.gpus[0];
  const prefix = `{UUID="${gpu?.uuid ?? 'GPU-00000000-0000-0000-0000-000000000000'}",modelName="${node.model.name}",${node.hostnameLabelKey}="${node.name}",gpu="`;
  let chunk = '';
  for (let line = firstLine; line < firstLine + lineCount; line++) {
    chunk += `DCGM_FI_DEV_GPU_TEMP${prefix}${line}"} ${30 + (line % 50)}\n`;
  }
  return chunk;
}

/**
 * Streams about 50 MiB of valid exposition text (one family, a distinct `gpu` label per line)
 * with back-pressure, so a scraper's body-size limit is what stops it.
 */
export function writeHugeBody(res: ServerResponse, node: SimNode): void {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  let written = 0;
  let line = 0;
  const linesPerChunk = 2000;
  const pump = (): void => {
    while (written < hugeBodyBytes && !res.destroyed) {
      const chunk =
        line === 0
          ? `# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).\n# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n${buildHugeChunk(node, 0, linesPerChunk)}`
          : buildHugeChunk(node, line, linesPerChunk);
      line += linesPerChunk;
      written += Buffer.byteLength(chunk);
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}
