import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../../analyzer/webhooks/sign-webhook.js';

/** What the receiver answers; `hold` keeps the request open that long first. */
export type ReceiverBehaviour =
  | { kind: 'ok'; holdMs?: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'hang' };

/**
 * A webhook receiver as a careful subscriber writes one: it verifies the Standard Webhooks signature with the
 * secret of the subscription named in the path (`/hooks/<key>`), and is idempotent by `webhook-id`, so a
 * message it has already processed is acknowledged and not processed again. It records what it processed
 * (`seen`: key → ids), every request it got (`requests`), and signature failures.
 */
export interface WebhookReceiver {
  port: number;
  url(key: string): string;
  secrets: Map<string, string[]>;
  seen: Map<string, Set<string>>;
  requests: { key: string; id: string; path: string }[];
  badSignatures: number;
  inFlight(): number;
  behaviour: ReceiverBehaviour;
  /** Stops listening and drops open connections: the receiver is down. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  let server: Server | undefined;
  let inFlight = 0;
  const receiver: WebhookReceiver = {
    port,
    url: (key) => `http://127.0.0.1:${receiver.port}/hooks/${key}`,
    secrets: new Map(),
    seen: new Map(),
    requests: [],
    badSignatures: 0,
    inFlight: () => inFlight,
    behaviour: { kind: 'ok' },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        const s = server;
        server = undefined;
        s.close(() => resolve());
        s.closeAllConnections();
      }),
    open: async () => {
      server = createServer((req, res) => void handle(req, res));
      server.keepAliveTimeout = 30_000;
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(receiver.port, '127.0.0.1', () => resolve());
      });
      receiver.port = (s.address() as AddressInfo).port;
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    inFlight++;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const key = /^\/hooks\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
      const id = String(req.headers['webhook-id'] ?? '');
      receiver.requests.push({ key, id, path: req.url ?? '' });
      const b = receiver.behaviour;
      if (b.kind === 'hang') return; // never answers; the sender's timeout ends it
      if (b.kind === 'status') {
        res.writeHead(b.status, b.headers).end();
        return;
      }
      const verified = verifyWebhook(
        receiver.secrets.get(key) ?? [],
        {
          id,
          timestamp: String(req.headers['webhook-timestamp'] ?? ''),
          signature: String(req.headers['webhook-signature'] ?? ''),
        },
        body,
        Math.floor(Date.now() / 1000),
      );
      if (!verified.ok) {
        receiver.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      // processed on arrival: a sender that gives up before the answer will send it again
      const seen = receiver.seen.get(key) ?? new Set<string>();
      seen.add(id);
      receiver.seen.set(key, seen);
      if (b.holdMs) await new Promise((r) => setTimeout(r, b.holdMs));
      if (!res.destroyed) res.writeHead(204).end();
    } finally {
      inFlight--;
    }
  }

  await receiver.open();
  return receiver;
}
