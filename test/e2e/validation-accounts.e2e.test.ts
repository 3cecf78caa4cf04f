import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/client.ts';
import {
  email,
  emailOfLength,
  expectInvalid,
  expectProblem,
  PASSWORD,
  registered,
  sys,
  uniq,
  useValidationSystem,
  withLuhn,
} from './validation-support.ts';

/**
 * The validation rules of docs/http-api.md for accounts (register, login, card): 400 VALIDATION_FAILED
 * problem+json naming the field, nothing created or stored, no internals or card data in the body.
 */

useValidationSystem();

describe('POST /api/auth/register', () => {
  const valid = () => ({ email: email('reg'), password: PASSWORD, name: 'Valerie' });
  const cases: [string, (b: any) => void, string][] = [
    [
      'an email without @',
      (b) => {
        b.email = 'not-an-email';
      },
      'email',
    ],
    [
      'an email without a local part',
      (b) => {
        b.email = '@smu.edu.sg';
      },
      'email',
    ],
    [
      'an email with a space',
      (b) => {
        b.email = 'a b@smu.edu.sg';
      },
      'email',
    ],
    [
      'an email of 255 characters',
      (b) => {
        b.email = emailOfLength(255);
      },
      'email',
    ],
    [
      'an email that is a number',
      (b) => {
        b.email = 42;
      },
      'email',
    ],
    [
      'a missing email',
      (b) => {
        delete b.email;
      },
      'email',
    ],
    [
      'a password of 7 characters',
      (b) => {
        b.password = 'x'.repeat(7);
      },
      'password',
    ],
    [
      'a password of 129 characters',
      (b) => {
        b.password = 'x'.repeat(129);
      },
      'password',
    ],
    [
      'a missing password',
      (b) => {
        delete b.password;
      },
      'password',
    ],
    [
      'a password that is a number',
      (b) => {
        b.password = 12345678;
      },
      'password',
    ],
    [
      'an empty name',
      (b) => {
        b.name = '';
      },
      'name',
    ],
    [
      'a name of 101 characters',
      (b) => {
        b.name = 'n'.repeat(101);
      },
      'name',
    ],
    [
      'a missing name',
      (b) => {
        delete b.name;
      },
      'name',
    ],
  ];
  it.each(cases)('rejects %s, and creates no account', async (_what, mutate, path) => {
    const body = valid();
    const address = body.email;
    mutate(body);
    const res = await sys.client().post('/api/auth/register', body);
    expectInvalid(res, path);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('campusg_session='))).toBe(false);
    // the valid address (where it was not the thing changed) is still free
    if (path !== 'email') {
      expect((await sys.client().post('/api/auth/register', { ...valid(), email: address })).status).toBe(201);
    }
  });

  it('accepts the boundaries: email of 254, password of 8 and 128, name of 1 and 100 characters', async () => {
    const bodies = [
      { email: emailOfLength(254), password: PASSWORD, name: 'Edge' },
      { email: email('p8'), password: 'x'.repeat(8), name: 'N' },
      { email: email('p128'), password: 'x'.repeat(128), name: 'n'.repeat(100) },
    ];
    for (const body of bodies) {
      const res = await sys.client().post('/api/auth/register', body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.user.email).toBe(body.email);
    }
  });

  it('ignores unknown fields, including an attempt to grant roles', async () => {
    const res = await sys
      .client()
      .post('/api/auth/register', { ...valid(), roles: ['runner'], id: '00000000-0000-4000-8000-000000000000', admin: true });
    expect(res.status).toBe(201);
    expect(res.body.user.roles).toEqual(['customer']);
    expect(res.body.user.id).not.toBe('00000000-0000-4000-8000-000000000000');
    expect(res.body.user).not.toHaveProperty('admin');
  });

  it('refuses an email that is taken, case-insensitively, with 409 EMAIL_TAKEN', async () => {
    const tag = uniq();
    const first = await sys.client().post('/api/auth/register', { email: `Case.${tag}@SMU.edu.sg`, password: PASSWORD, name: 'Casey' });
    expect(first.status).toBe(201);
    for (const variant of [`case.${tag}@smu.edu.sg`, `CASE.${tag}@SMU.EDU.SG`, `Case.${tag}@SMU.edu.sg`]) {
      expectProblem(
        await sys.client().post('/api/auth/register', { email: variant, password: PASSWORD, name: 'Other' }),
        409,
        'EMAIL_TAKEN',
      );
    }
    expect((await sys.client().post('/api/auth/login', { email: `case.${tag}@smu.edu.sg`, password: PASSWORD })).body.user.id).toBe(
      first.body.user.id,
    );
  });

  it('rejects invalid login bodies with 400', async () => {
    expectInvalid(await sys.client().post('/api/auth/login', { password: PASSWORD }), 'email');
    expectInvalid(await sys.client().post('/api/auth/login', { email: email(), password: 5 }), 'password');
  });
});

describe('PUT /api/me/card', () => {
  let u: ApiClient;
  beforeAll(async () => {
    u = await registered('Cardie');
  });
  const now = new Date();
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  const valid = () => ({ number: '4242424242424242', expMonth: 12, expYear: year + 3, cvc: '123' });
  const cases: [string, (b: any) => void, string | RegExp][] = [
    [
      'a number failing Luhn',
      (b) => {
        b.number = '4242424242424241';
      },
      'number',
    ],
    [
      'a number of 11 digits',
      (b) => {
        b.number = withLuhn('4242424242');
      },
      'number',
    ],
    [
      'a number of 20 digits',
      (b) => {
        b.number = withLuhn('4242424242424242424');
      },
      'number',
    ],
    [
      'a number with letters',
      (b) => {
        b.number = '4242abcd42424242';
      },
      'number',
    ],
    [
      'a number given as a number',
      (b) => {
        b.number = 4242424242424242;
      },
      'number',
    ],
    [
      'a missing number',
      (b) => {
        delete b.number;
      },
      'number',
    ],
    [
      'an expired card (expYear 2020)',
      (b) => {
        b.expYear = 2020;
      },
      /^exp(Month|Year)$/,
    ],
    [
      'expMonth 13',
      (b) => {
        b.expMonth = 13;
      },
      'expMonth',
    ],
    [
      'expMonth 0',
      (b) => {
        b.expMonth = 0;
      },
      'expMonth',
    ],
    [
      'expMonth "12"',
      (b) => {
        b.expMonth = '12';
      },
      'expMonth',
    ],
    [
      'a cvc of 2 digits',
      (b) => {
        b.cvc = '12';
      },
      'cvc',
    ],
    [
      'a cvc of 5 digits',
      (b) => {
        b.cvc = '12345';
      },
      'cvc',
    ],
    [
      'a cvc with letters',
      (b) => {
        b.cvc = '12a';
      },
      'cvc',
    ],
    [
      'a missing cvc',
      (b) => {
        delete b.cvc;
      },
      'cvc',
    ],
  ];
  if (month > 1)
    cases.push([
      'a card that expired last month',
      (b) => {
        b.expMonth = month - 1;
        b.expYear = year;
      },
      /^exp(Month|Year)$/,
    ]);

  it.each(cases)('rejects %s, stores nothing and echoes no card data', async (_what, mutate, path) => {
    const body = valid();
    mutate(body);
    const res = await u.put('/api/me/card', body);
    expectInvalid(res, path);
    const text = JSON.stringify(res.body);
    if (typeof body.number === 'string' && body.number.length >= 12) expect(text).not.toContain(body.number);
    expect((await u.get('/api/me')).body.card).toBeNull();
  });

  it('accepts 12- and 19-digit numbers, spaces, a 4-digit cvc, a card expiring this month, unknown fields', async () => {
    const ok = [
      { number: withLuhn('42424242424'), expMonth: 12, expYear: year + 1, cvc: '123' },
      { number: withLuhn('424242424242424242'), expMonth: 1, expYear: year + 1, cvc: '1234' },
      { number: '4242 4242 4242 4242', expMonth: month, expYear: year, cvc: '123', holder: 'ignored' },
    ];
    for (const body of ok) {
      const res = await u.put('/api/me/card', body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.card).toMatchObject({
        last4: body.number.replace(/ /g, '').slice(-4),
        expMonth: body.expMonth,
        expYear: body.expYear,
      });
      expect(JSON.stringify(res.body)).not.toContain(body.number.replace(/ /g, ''));
    }
    expect((await u.delete('/api/me/card')).status).toBe(204);
    expect((await u.get('/api/me')).body.card).toBeNull();
  });
});
