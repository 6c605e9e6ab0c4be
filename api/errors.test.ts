import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { validator } from 'hono/validator';
import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { createSilentLogger } from '../core/log.js';
import { errorResponse } from './errors.js';

function app() {
  const a = new Hono();
  a.use(requestId());
  a.onError((error, c) => errorResponse(c, error, createSilentLogger()));
  // the routes' validators parse the body; a body that is not JSON makes hono throw its own 400
  a.post(
    '/json',
    validator('json', (value) => value),
    (c) => c.json(c.req.valid('json')),
  );
  a.get('/missing', () => {
    throw new AppError('NOT_FOUND', 'no GPU GPU-1');
  });
  a.get('/bug', () => {
    throw new Error('secret internals');
  });
  return a;
}

describe('errorResponse', () => {
  it('answers a malformed JSON body with 400 and the one error body, not a 500', async () => {
    const res = await app().request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"url": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('VALIDATION');
    expect(body.error.message).toMatch(/JSON/i);
    expect(body.error.requestId).toBeTruthy();
  });

  it('maps AppError codes to their status and hides what a bug says', async () => {
    const missing = await app().request('/missing');
    expect(missing.status).toBe(404);
    const bug = await app().request('/bug');
    expect(bug.status).toBe(500);
    expect(await bug.text()).not.toContain('secret internals');
  });
});
