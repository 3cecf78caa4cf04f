import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** The caller's token: the Bearer header, else the session cookie. */
export function tokenOf(req: FastifyRequest): string | undefined {
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

export const IDENTITY_HEADER = 'x-campusg-user';
export const IDENTITY_SIGNATURE_HEADER = 'x-campusg-signature';

/**
 * Behind the gateway, services trust the caller identity the gateway established — signed with
 * the deployment's secret so nothing else on the network can forge it.
 */
export function signIdentity(user: AuthUser, secret: string): Record<string, string> {
  const value = Buffer.from(JSON.stringify(user)).toString('base64url');
  const signature = createHmac('sha256', secret).update(value).digest('base64url');
  return { [IDENTITY_HEADER]: value, [IDENTITY_SIGNATURE_HEADER]: signature };
}

export function verifyIdentity(value: string | undefined, signature: string | undefined, secret: string): AuthUser | null {
  if (!value || !signature) return null;
  const expected = createHmac('sha256', secret).update(value).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const user = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as AuthUser;
  return { ...user, tokenExpiresAt: new Date(user.tokenExpiresAt) };
}

/** A preHandler for services behind the gateway: the gateway's signed identity, or 401. */
export function requireGatewayIdentity(secret: string): AuthHook {
  return async (req) => {
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const user = verifyIdentity(header(IDENTITY_HEADER), header(IDENTITY_SIGNATURE_HEADER), secret);
    if (!user) throw new AppError('UNAUTHENTICATED', 'sign in first: send a Bearer token or the session cookie');
    req.user = user;
  };
}
