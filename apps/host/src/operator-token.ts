import { timingSafeEqual } from 'node:crypto';
import { AppError, type AuthHook } from '@campusg/platform';
import type { FastifyRequest } from 'fastify';

/** Checks the operator's token (`ADMIN_TOKEN`); without one there are no operator routes. */
export function operatorHook(adminToken: string | undefined): AuthHook | undefined {
  if (!adminToken) return undefined;
  const expected = Buffer.from(adminToken);
  return async (req: FastifyRequest) => {
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new AppError('UNAUTHENTICATED', 'an operator token is required');
  };
}
