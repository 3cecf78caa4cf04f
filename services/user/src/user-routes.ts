import { authResponse, cardBody, isCardExpired, loginBody, registerBody, userSchema } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { type App, AppError, type AuthHook, callerOf, SESSION_COOKIE } from '@campusg/platform';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { LoginLimits } from './login-limits.ts';
import { DUMMY_HASH, hashPassword, tokeniseCard, toUserView, verifyPassword } from './user.ts';
import { userRepository as repo } from './user-repository.ts';
import { authenticateToken, type TokenService } from './user-tokens.ts';

/** Registration, sign-in, the caller's profile and card, and becoming a runner. */
export function registerUserRoutes(app: App, deps: ServiceDeps, auth: AuthHook, tokens: TokenService): void {
  const { db, bus, clock, ids, config } = deps;
  const limits = new LoginLimits(db, config.loginRateLimit);

  const signIn = async (reply: FastifyReply, user: { id: string }) => {
    const { token, expiresAt } = await tokens.issue(user);
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', expires: expiresAt });
    return token;
  };

  app.post(
    '/api/auth/register',
    {
      schema: { tags: ['auth'], summary: 'Create an account', body: registerBody, response: { 201: authResponse } },
    },
    async (req, reply) => {
      const { email, password, name } = req.body;
      const passwordHash = await hashPassword(password);
      const user = await bus.transact(async (tx, emit) => {
        const row = await repo.insert(tx, { id: ids.uuid(), email, name, passwordHash, now: clock.now() });
        if (!row) throw new AppError('EMAIL_TAKEN', 'an account with this email already exists');
        emit('user.registered', { user_id: row.id, name: row.name });
        return row;
      });
      const token = await signIn(reply, user);
      return reply.code(201).send({ token, user: toUserView(user) });
    },
  );

  app.post(
    '/api/auth/login',
    {
      schema: { tags: ['auth'], summary: 'Sign in', body: loginBody, response: { 200: authResponse } },
    },
    async (req, reply) => {
      const { email, password } = req.body;
      const wait = await limits.blocked(email, req.ip);
      if (wait !== null) {
        reply.header('retry-after', String(wait));
        throw new AppError('RATE_LIMITED', `too many failed sign-ins; try again in ${wait} s`);
      }
      const user = await repo.findByEmail(db, email);
      const ok = await verifyPassword(password, user?.password_hash ?? (await DUMMY_HASH));
      if (!user || !ok) {
        await limits.failed(email, req.ip);
        throw new AppError('INVALID_CREDENTIALS', 'the email or password is wrong');
      }
      await limits.succeeded(email);
      const token = await signIn(reply, user);
      return { token, user: toUserView(user) };
    },
  );

  // For the gateway only (never proxied under /api): who a token belongs to, if it is still good.
  app.post(
    '/internal/authenticate',
    { schema: { hide: true, body: z.object({ token: z.string().min(1).max(4096) }) } },
    async (req, reply) => {
      const user = await authenticateToken(db, tokens, req.body.token);
      if (!user) throw new AppError('UNAUTHENTICATED', 'the token is invalid, expired or revoked');
      return reply.send({ user });
    },
  );

  app.post(
    '/api/auth/logout',
    { onRequest: auth, schema: { tags: ['auth'], summary: 'Sign out: the token stops working' } },
    async (req, reply) => {
      const user = callerOf(req);
      // Revoked here and announced: the notification service ends the token's live streams.
      await bus.transact(async (tx, emit) => {
        await repo.revoke(tx, user.tokenId, user.tokenExpiresAt);
        emit('user.session_revoked', { user_id: user.id, token_id: user.tokenId, expires_at: user.tokenExpiresAt.toISOString() });
      });
      await repo.pruneRevoked(db, clock.now());
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get('/api/me', { onRequest: auth, schema: { tags: ['me'], summary: 'The caller', response: { 200: userSchema } } }, async (req) => {
    const user = await repo.find(db, callerOf(req).id);
    if (!user) throw new AppError('UNAUTHENTICATED', 'the account no longer exists');
    return toUserView(user);
  });

  app.put(
    '/api/me/card',
    {
      onRequest: auth,
      schema: { tags: ['me'], summary: 'Add or replace the card (sandbox gateway)', body: cardBody, response: { 200: userSchema } },
    },
    async (req) => {
      const card = req.body;
      if (isCardExpired(card.expMonth, card.expYear, clock.now())) {
        throw new AppError('VALIDATION_FAILED', 'the card has expired', { errors: [{ path: 'expYear', message: 'the card has expired' }] });
      }
      const tokenised = tokeniseCard(card, () => ids.uuid());
      const user = await bus.transact(async (tx, emit) => {
        const row = await repo.setCard(tx, callerOf(req).id, tokenised);
        if (!row) throw new AppError('UNAUTHENTICATED', 'the account no longer exists');
        emit('user.card_updated', { user_id: row.id });
        return row;
      });
      return toUserView(user);
    },
  );

  app.delete('/api/me/card', { onRequest: auth, schema: { tags: ['me'], summary: 'Remove the card' } }, async (req, reply) => {
    await bus.transact(async (tx, emit) => {
      const row = await repo.setCard(tx, callerOf(req).id, null);
      if (row) emit('user.card_removed', { user_id: row.id });
    });
    return reply.code(204).send();
  });

  app.post(
    '/api/me/runner',
    {
      onRequest: auth,
      schema: { tags: ['me'], summary: 'Become a runner (idempotent)', response: { 200: userSchema } },
    },
    async (req) => {
      const user = await bus.transact(async (tx, emit) => {
        const result = await repo.makeRunner(tx, callerOf(req).id, `acct_sandbox_${ids.uuid()}`);
        if (!result) throw new AppError('UNAUTHENTICATED', 'the account no longer exists');
        if (result.changed) emit('user.became_runner', { user_id: result.row.id, name: result.row.name });
        return result.row;
      });
      return toUserView(user);
    },
  );
}
