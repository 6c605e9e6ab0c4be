import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookTarget } from '../../analyzer/webhooks/check-webhook-url.js';
import { describeError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';

export interface WebhookRequest {
  target: WebhookTarget;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface WebhookResponse {
  statusCode: number;
  retryAfter?: string | undefined;
}

/** Sends one POST; an error (refused, timeout, reset, aborted) is a value, never a throw. */
export type SendWebhookRequest = (request: WebhookRequest) => Promise<Result<WebhookResponse, string>>;

/** A receiver's answer is read this far and no further: we only need its status. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookHttpClient {
  send: SendWebhookRequest;
  close(): void;
}

/**
 * POSTs with node:http/https over keep-alive agents. Redirects are never followed (node does not, and a 3xx is
 * not a 2xx). The socket connects to the address the SSRF guard checked: `lookup` is answered with it instead of
 * asking DNS again, so a name that re-resolves elsewhere between check and connect (DNS rebinding) cannot move
 * the request; TLS still verifies the certificate against the URL's host name.
 */
export function createWebhookHttpClient(options: { maxSockets?: number } = {}): WebhookHttpClient {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  const send: SendWebhookRequest = (request) =>
    new Promise((resolve) => {
      const { target } = request;
      const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
        if ((lookupOptions as { all?: boolean }).all) {
          (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
            { address: target.address, family: target.family },
          ]);
        } else {
          callback(null, target.address, target.family);
        }
      };
      const secure = target.url.protocol === 'https:';
      let settled = false;
      const finish = (result: Result<WebhookResponse, string>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = (secure ? https : http).request(
        target.url,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          lookup: pinned,
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
          signal: request.signal,
        },
        (res) => {
          let bytes = 0;
          const answer: WebhookResponse = {
            statusCode: res.statusCode ?? 0,
            retryAfter: headerValue(res.headers['retry-after']),
          };
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > MAX_RESPONSE_BYTES) {
              res.destroy();
              finish(ok(answer));
            }
          });
          res.on('end', () => finish(ok(answer)));
          res.on('error', () => finish(ok(answer)));
          res.on('close', () => finish(ok(answer)));
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`timed out after ${request.timeoutMs / 1000} s`)),
        request.timeoutMs,
      );
      req.on('error', (error) => finish(err(describeError(error))));
      req.end(request.body);
    });

  return {
    send,
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
