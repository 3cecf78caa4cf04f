import { describe, expect, it } from 'vitest';
import type { Res } from '../support/client.ts';
import { sampleOrderBody } from '../support/fixtures.ts';
import {
  expectProblem,
  LOGIN_RATE_LIMIT,
  openStream,
  PASSWORD,
  sessionCookie,
  sys,
  useAuthorizationSystem,
  withToken,
} from './authorization-support.ts';

/**
 * Sessions (docs/http-api.md): logout revokes one token, the session cookie, one answer for wrong
 * password and unknown email, and the sign-in rate limits per email and per client address.
 */

useAuthorizationSystem();

describe('sessions', () => {
  it('logout revokes exactly that token; another token of the same user keeps working', async () => {
    const a = await sys.client().register('Lou');
    const login = await sys.client().post('/api/auth/login', { email: a.user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    const second = withToken(login.body.token);
    expect(login.body.token).not.toBe(a.token);
    expect((await a.get('/api/me')).status).toBe(200);
    expect((await second.get('/api/me')).status).toBe(200);

    const out = await a.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expectProblem(await a.get('/api/me'), 401, 'UNAUTHENTICATED');
    expectProblem(await a.post('/api/auth/logout'), 401, 'UNAUTHENTICATED');
    expectProblem(
      await sys.client().request('GET', '/api/me', undefined, { cookie: `campusg_session=${a.token}` }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await a.post('/api/orders', sampleOrderBody()), 401, 'UNAUTHENTICATED');
    const me = await second.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(a.user.id);
  });

  it('the session cookie set by register works without an Authorization header', async () => {
    const email = `cookie.${process.pid}.${Date.now()}@smu.edu.sg`;
    const reg = await sys.client().post('/api/auth/register', { email, password: PASSWORD, name: 'Coco' });
    expect(reg.status).toBe(201);
    const cookie = sessionCookie(reg);
    expect(cookie, 'register sets campusg_session').toBeDefined();
    expect(cookie!.value).toBe(reg.body.token);
    const attrs = cookie!.attrs.map((a) => a.toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=lax');
    expect(attrs).toContain('path=/');

    const me = await sys.client().request('GET', '/api/me', undefined, { cookie: `campusg_session=${encodeURIComponent(cookie!.value)}` });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
    const stream = await openStream({ cookie: `campusg_session=${encodeURIComponent(cookie!.value)}` });
    expect(stream.status).toBe(200);

    const login = await sys.client().post('/api/auth/login', { email, password: PASSWORD });
    const loginCookie = sessionCookie(login);
    expect(loginCookie?.value).toBe(login.body.token);
    expect(loginCookie!.attrs.map((a) => a.toLowerCase())).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
  });

  it('wrong password and unknown email get the same 401 INVALID_CREDENTIALS answer', async () => {
    const u = await sys.client().register('Wanda');
    const wrong = await sys.client().post('/api/auth/login', { email: u.user.email, password: 'not the password' });
    const unknown = await sys.client().post('/api/auth/login', { email: `nobody.${Date.now()}@smu.edu.sg`, password: 'not the password' });
    expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
    expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect(unknown.headers.get('content-type')).toBe(wrong.headers.get('content-type'));
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('campusg_session='))).toBe(false);
  });

  it(`login is rate-limited per email after ${LOGIN_RATE_LIMIT} failures (429 RATE_LIMITED with retry-after)`, async () => {
    const u = await sys.client().register('Rory');
    const bystander = await sys.client().register('Bea');
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) {
      expectProblem(
        await sys.client().post('/api/auth/login', { email: u.user.email, password: `wrong-${i}-password` }),
        401,
        'INVALID_CREDENTIALS',
      );
    }
    // even the right password is refused now
    const limited = await sys.client().post('/api/auth/login', { email: u.user.email, password: PASSWORD });
    expectProblem(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    // the address is not blocked for other accounts yet, and tokens already issued still work
    expect((await sys.client().post('/api/auth/login', { email: bystander.user.email, password: PASSWORD })).status).toBe(200);
    expect((await u.get('/api/me')).status).toBe(200);
    // the per-email limit ignores case
    expectProblem(
      await sys.client().post('/api/auth/login', { email: u.user.email.toUpperCase(), password: PASSWORD }),
      429,
      'RATE_LIMITED',
    );
  });
});

// Last: this blocks sign-ins from the test's address for the rest of the run.
describe('login rate limit per client address', () => {
  it('after enough failures from one address, even a new email with the right password gets 429', async () => {
    const victim = await sys.client().register('Vera');
    let limited: Res | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const res = await sys.client().post('/api/auth/login', { email: `spray.${i}.${Date.now()}@smu.edu.sg`, password: 'wrong password' });
      if (res.status === 429) limited = res;
      else expectProblem(res, 401, 'INVALID_CREDENTIALS');
    }
    expect(limited, 'no 429 after 100 failed sign-ins with different emails from one address').toBeDefined();
    expectProblem(limited!, 429, 'RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expectProblem(await sys.client().post('/api/auth/login', { email: victim.user.email, password: PASSWORD }), 429, 'RATE_LIMITED');
    // tokens already issued keep working
    expect((await victim.get('/api/me')).status).toBe(200);
  });
});
