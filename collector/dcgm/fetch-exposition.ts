import * as http from 'node:http';
import * as https from 'node:https';
import type { Result } from '../../core/result.js';
import { err, ok } from '../../core/result.js';

export type FetchFailure =
  | { kind: 'timeout'; message: string }
  | { kind: 'too_large'; message: string }
  | { kind: 'http_status'; message: string; status: number }
  | { kind: 'network'; message: string };

export interface FetchedExposition {
  text: string;
  bytes: number;
}

export interface FetchOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  headers?: Record<string, string>;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxFreeSockets: 1024 }),
  https: new https.Agent({ keepAlive: true, maxFreeSockets: 1024 }),
};

/**
 * GETs an exposition body with one deadline covering connect, headers and body, and a size cap
 * that aborts the transfer as soon as it is exceeded. Never throws: every failure is a Result.
 */
export function fetchExposition(
  url: string,
  options: FetchOptions,
): Promise<Result<FetchedExposition, FetchFailure>> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Result<FetchedExposition, FetchFailure>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve(err({ kind: 'network', message: `invalid URL ${url}` }));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : http;
    const request = client.get(
      parsed,
      {
        agent: parsed.protocol === 'https:' ? agents.https : agents.http,
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1', ...options.headers },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          response.resume();
          finish(err({ kind: 'http_status', status, message: `HTTP ${status} from ${url}` }));
          return;
        }
        const declared = Number(response.headers['content-length'] ?? Number.NaN);
        if (declared > options.maxBodyBytes) {
          request.destroy();
          finish(
            err({ kind: 'too_large', message: `body of ${declared} bytes exceeds ${options.maxBodyBytes}` }),
          );
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBodyBytes) {
            request.destroy();
            finish(err({ kind: 'too_large', message: `body exceeds ${options.maxBodyBytes} bytes` }));
            return;
          }
          parts.push(chunk);
        });
        response.on('end', () => {
          const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
          finish(ok({ text: body.toString('utf8'), bytes: size }));
        });
        response.on('error', (error) => finish(err({ kind: 'network', message: error.message })));
        response.on('aborted', () => finish(err({ kind: 'network', message: 'response aborted' })));
      },
    );
    request.on('error', (error) => finish(err({ kind: 'network', message: error.message })));
    const timer = setTimeout(() => {
      finish(err({ kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` }));
      request.destroy();
    }, options.timeoutMs);
  });
}
