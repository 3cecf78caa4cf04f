import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

export interface AuthUser {
  id: string;
  name: string;
  roles: ('customer' | 'runner')[];
  /** The token's id, so logout can revoke exactly this token. */
  tokenId: string;
  tokenExpiresAt: Date;
}

/** Checks a token: signature, expiry, revocation, and that its user still exists. */
export type Authenticate = (token: string) => Promise<AuthUser | null>;

export const SESSION_COOKIE = 'campusg_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return req.cookies?.[SESSION_COOKIE];
}

export type AuthHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** A preHandler that admits only authenticated callers (Bearer token or the session cookie). */
export function requireUser(authenticate: Authenticate): AuthHook {
  return async (req) => {
    const token = tokenOf(req);
    if (!token) throw new AppError('UNAUTHENTICATED', 'sign in first: send a Bearer token or the session cookie');
    const user = await authenticate(token);
    if (!user) throw new AppError('UNAUTHENTICATED', 'the token is invalid, expired or revoked');
    req.user = user;
  };
}

/** The authenticated caller of a route guarded by `requireUser`. */
export function callerOf(req: FastifyRequest): AuthUser {
  if (!req.user) throw new AppError('UNAUTHENTICATED', 'sign in first');
  return req.user;
}
