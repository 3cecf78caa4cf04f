import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { e2eBus } from '../support/environment.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const SECRET = 'security-test-secret-0123456789-abcdef';
const PASSWORD = 'Tr0ub4dor&3-horse-battery';
const CARD = '4000056655665556';
const CVC = '9173';

const lines: string[] = [];
let sys: TestSystem;

// Everything the platform logs at the most verbose level goes through this capture.
beforeAll(async () => {
  const capture = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  sys = await startSystem({ AUTH_SECRET: SECRET, LOG_LEVEL: 'trace' }, { logDestination: capture });
});
afterAll(() => closeChecked(sys));

describe.skipIf(e2eBus === 'topology')('what the logs never contain', () => {
  it('no password, card number, CVC, token or signing secret in any log line', async () => {
    const c = sys.client();
    const email = `sec.${Date.now()}@smu.edu.sg`;
    const reg = await c.post('/api/auth/register', { email, password: PASSWORD, name: 'Sec' });
    expect(reg.status).toBe(201);
    c.token = reg.body.token;
    expect((await c.post('/api/auth/login', { email, password: 'wrong-password-1' })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
    expect((await c.put('/api/me/card', { number: CARD, expMonth: 12, expYear: 2031, cvc: CVC })).status).toBe(200);
    expect((await c.put('/api/me/card', { number: '4000056655665557', expMonth: 12, expYear: 2031, cvc: CVC })).status).toBe(400);
    const { sagaId } = await c.createOrder();
    await c.saga(sagaId);
    // A failing request is logged too (with its error), still without secrets.
    await c.request('POST', '/api/orders', '{"broken', { 'content-type': 'application/json' });

    // The capture saw every request that carried a secret: each is logged with its route and status
    // once its response has gone, so the last may be written just after the client has read it.
    const carried = [
      'POST /api/auth/register 201',
      'POST /api/auth/login 401',
      'POST /api/auth/login 200',
      'PUT /api/me/card 200',
      'PUT /api/me/card 400',
      'POST /api/orders 202',
      'POST /api/orders 400',
    ];
    const logged = () =>
      lines
        .map((line) => JSON.parse(line) as { msg?: string; method?: string; route?: string; status?: number })
        .filter((entry) => entry.msg === 'request')
        .map((entry) => `${entry.method} ${entry.route} ${entry.status}`);
    await waitFor(async () => carried.every((r) => logged().includes(r)), `request log lines ${carried.join(', ')}`);
    const all = lines.join('\n');
    for (const secret of [PASSWORD, CARD, '4000056655665557', SECRET, reg.body.token]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(new RegExp(`"cvc"\\s*:\\s*"${CVC}"`));
    expect(all).not.toMatch(/"(password|number|cvc|authorization|cookie)":"(?!\[redacted\])/i);
    // The card token the user service keeps stays out of the logs as well.
    const [row] = await sys.infra.db.query<{ card_token: string }>('select card_token from users.users where lower(email) = $1', [email]);
    expect(all).not.toContain(row!.card_token);
  });
});

describe('headers', () => {
  it('serves the web app and the API with a CSP, no-sniff and frame denial', async () => {
    for (const path of ['/', '/api/orders', '/health']) {
      const res = await fetch(`${sys.url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });
});
