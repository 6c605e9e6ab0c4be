import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../../core/result.js';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md): the signed content is
 * `${msgId}.${timestamp}.${body}`, the key is the base64 part of a `whsec_` secret, the signature
 * `v1,` + base64(HMAC-SHA256). Several signatures go space-separated in one `webhook-signature` header.
 */
const SECRET_PREFIX = 'whsec_';
/** 24 random bytes, as the reference libraries generate (32 base64 characters). */
const SECRET_BYTES = 24;
const DEFAULT_TOLERANCE_SECONDS = 300;

export function createWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The key bytes of a `whsec_…` secret; throws on anything else, since a caller's secret is a bug, not input. */
function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('webhook secret is empty: expected whsec_ followed by base64');
  return key;
}

function computeSignature(key: Buffer, msgId: string, timestampSeconds: number, body: string): Buffer {
  return createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`).digest();
}

export function signWebhook(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  return `v1,${computeSignature(decodeSecret(secret), msgId, timestampSeconds, body).toString('base64')}`;
}

/** One signature per secret (current first, then the previous one during rotation), space-separated. */
export function signWebhookWithAll(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((s) => signWebhook(s, msgId, timestampSeconds, body)).join(' ');
}

export interface WebhookHeadersInput {
  id?: string | undefined;
  timestamp?: string | undefined;
  signature?: string | undefined;
}

/**
 * Verifies a received webhook as a Standard Webhooks receiver does: the timestamp within `toleranceSeconds` of
 * now either way (replay protection), and any `v1,` entry of the header matching any of `secrets`, compared in
 * constant time. Unknown versions (`v1a`, `v2`) are skipped, not errors.
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: WebhookHeadersInput,
  body: string,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): Result<{ id: string; timestampSeconds: number }, string> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return err('missing required headers');
  if (!/^\d+$/.test(timestamp)) return err('invalid signature headers: webhook-timestamp is not an integer');
  const timestampSeconds = Number(timestamp);
  if (timestampSeconds < nowSeconds - toleranceSeconds) return err('message timestamp too old');
  if (timestampSeconds > nowSeconds + toleranceSeconds) return err('message timestamp too new');
  const keys: Buffer[] = [];
  for (const secret of secrets) {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    const key = Buffer.from(encoded, 'base64');
    if (key.length > 0) keys.push(key);
  }
  if (keys.length === 0) return err('no usable secret');
  const candidates = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const key of keys) {
    const expected = computeSignature(key, id, timestampSeconds, body);
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return ok({ id, timestampSeconds });
      }
    }
  }
  return err('no matching signature found');
}
