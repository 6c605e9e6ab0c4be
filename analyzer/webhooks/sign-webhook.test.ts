import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createWebhookSecret, signWebhook, signWebhookWithAll, verifyWebhook } from './sign-webhook.js';

const vectors = JSON.parse(
  readFileSync(
    new URL('../../test/fixtures/webhooks/standard-webhooks-test-vectors.json', import.meta.url),
    'utf8',
  ),
) as {
  sign: { secret: string; msgId: string; timestamp: number; payload: string; expectedSignature: string };
  multiSignatureHeaderDecoys: { entries: string[] };
  mustFail: {
    invalidSignatureHeader: string;
    wrongLastCharSignature: string;
    invalidTimestampHeader: string;
    emptySecrets: string[];
  };
};
const v = vectors.sign;
const headers = (signature: string, timestamp = String(v.timestamp)) => ({
  id: v.msgId,
  timestamp,
  signature,
});

describe('signWebhook', () => {
  it('matches the upstream Standard Webhooks test vector', () => {
    expect(signWebhook(v.secret, v.msgId, v.timestamp, v.payload)).toBe(v.expectedSignature);
  });

  it('signs with every secret during a rotation, current first, space-separated', () => {
    const next = createWebhookSecret();
    const header = signWebhookWithAll([next, v.secret], v.msgId, v.timestamp, v.payload);
    const [first, second] = header.split(' ');
    expect(first).toBe(signWebhook(next, v.msgId, v.timestamp, v.payload));
    expect(second).toBe(v.expectedSignature);
  });

  it('refuses an empty secret', () => {
    expect(() => signWebhook('whsec_', v.msgId, v.timestamp, v.payload)).toThrow(/empty/);
  });
});

describe('createWebhookSecret', () => {
  it('makes a whsec_ secret of 24 random bytes, different each time', () => {
    const a = createWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(24);
    expect(createWebhookSecret()).not.toBe(a);
  });
});

describe('verifyWebhook', () => {
  it('accepts the upstream vector within the tolerance', () => {
    const result = verifyWebhook([v.secret], headers(v.expectedSignature), v.payload, v.timestamp + 10);
    expect(result).toEqual({ ok: true, value: { id: v.msgId, timestampSeconds: v.timestamp } });
  });

  it('accepts a header where any v1 entry matches among decoys and unknown versions', () => {
    const signature = vectors.multiSignatureHeaderDecoys.entries
      .map((e) => (e.startsWith('<') ? v.expectedSignature : e))
      .join(' ');
    expect(verifyWebhook([v.secret], headers(signature), v.payload, v.timestamp).ok).toBe(true);
  });

  it('accepts when the signing secret is the previous one of a rotation', () => {
    expect(
      verifyWebhook([createWebhookSecret(), v.secret], headers(v.expectedSignature), v.payload, v.timestamp)
        .ok,
    ).toBe(true);
  });

  describe('errors', () => {
    it.each([
      ['an invalid signature', vectors.mustFail.invalidSignatureHeader],
      ['a signature off by its last character', vectors.mustFail.wrongLastCharSignature],
      ['only an unknown version', v.expectedSignature.replace('v1,', 'v2,')],
    ])('rejects %s', (_name, signature) => {
      expect(verifyWebhook([v.secret], headers(signature), v.payload, v.timestamp)).toEqual({
        ok: false,
        error: 'no matching signature found',
      });
    });

    it('rejects a changed body', () => {
      expect(verifyWebhook([v.secret], headers(v.expectedSignature), `${v.payload} `, v.timestamp).ok).toBe(
        false,
      );
    });

    it('rejects a non-integer timestamp', () => {
      const result = verifyWebhook(
        [v.secret],
        headers(v.expectedSignature, vectors.mustFail.invalidTimestampHeader),
        v.payload,
        v.timestamp,
      );
      expect(result).toEqual({ ok: false, error: expect.stringMatching(/not an integer/) });
    });

    it('rejects timestamps more than 300 s old or ahead', () => {
      const sig = headers(v.expectedSignature);
      expect(verifyWebhook([v.secret], sig, v.payload, v.timestamp + 301)).toEqual({
        ok: false,
        error: 'message timestamp too old',
      });
      expect(verifyWebhook([v.secret], sig, v.payload, v.timestamp - 301)).toEqual({
        ok: false,
        error: 'message timestamp too new',
      });
      expect(verifyWebhook([v.secret], sig, v.payload, v.timestamp + 300).ok).toBe(true);
    });

    it('rejects missing headers and empty secrets', () => {
      expect(verifyWebhook([v.secret], { id: v.msgId }, v.payload, v.timestamp).ok).toBe(false);
      expect(
        verifyWebhook(vectors.mustFail.emptySecrets, headers(v.expectedSignature), v.payload, v.timestamp),
      ).toEqual({ ok: false, error: 'no usable secret' });
    });
  });
});
