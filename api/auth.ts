import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../core/config.js';
import { AppError } from '../core/errors.js';

export interface TokenConfig {
  name: string;
  role: Role;
  token?: string | undefined;
  tokenSha256?: string | undefined;
}

export interface Principal {
  name: string;
  role: Role;
}

const rank: Record<Role, number> = { viewer: 0, finance: 1, operator: 2, admin: 3 };

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Tokens are kept only as SHA-256 digests; a presented token is hashed and compared in constant time. */
export function createTokenVerifier(
  tokens: readonly TokenConfig[],
): (presented: string) => Principal | undefined {
  const byDigest = new Map<string, Principal>();
  for (const t of tokens) {
    const digest = t.tokenSha256 ?? sha256Hex(t.token ?? '');
    byDigest.set(digest, { name: t.name, role: t.role });
  }
  return (presented) => {
    const digest = sha256Hex(presented);
    for (const [known, principal] of byDigest) {
      if (timingSafeEqual(Buffer.from(known, 'hex'), Buffer.from(digest, 'hex'))) return principal;
    }
    return undefined;
  };
}

export type AuthVariables = { principal: Principal };

export function requireRole(
  minimum: Role,
  verify: (token: string) => Principal | undefined,
): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AppError('UNAUTHORIZED', 'missing bearer token');
    const principal = verify(match[1]!);
    if (!principal) throw new AppError('UNAUTHORIZED', 'invalid bearer token');
    if (rank[principal.role] < rank[minimum]) {
      throw new AppError(
        'FORBIDDEN',
        `role ${principal.role} may not do this; ${minimum} or higher is required`,
      );
    }
    c.set('principal', principal);
    await next();
  };
}
