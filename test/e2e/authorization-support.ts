import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ApiClient, Res } from '../support/client.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * What the authorization suites share: a platform with a known token secret and a low sign-in
 * limit, problem+json checks, forged and tampered tokens, and a cast of users with orders in
 * known states.
 */

export const SECRET = 'authz-secret-authz-secret-authz-secret-42';
export const PASSWORD = 'correct horse';
export const LOGIN_RATE_LIMIT = 3;
export const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The platform of the running suite, started by `useAuthorizationSystem` before its first test. */
export let sys: TestSystem;

/** Starts the platform before the suite; after it, waits for quiet and checks every invariant. */
export function useAuthorizationSystem(): void {
  beforeAll(async () => {
    sys = await startSystem({ LOGIN_RATE_LIMIT: String(LOGIN_RATE_LIMIT), AUTH_SECRET: SECRET });
  });
  afterAll(() => closeChecked(sys));
}

/** Asserts a problem+json answer with the given status and code, and that nothing internal leaks. */
export function expectProblem(res: Res, status: number, code: string) {
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code });
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/stack|\n\s+at |\bat \S+ \(|\bselect |\binsert |node_modules|\.ts:\d+/i);
}

/** Asserts an expected answer: a success status, or a problem with its code. */
export function expectAnswer(res: Res, status: number, code?: string) {
  if (code) expectProblem(res, status, code);
  else expect(res.status, JSON.stringify(res.body)).toBe(status);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An HS256 JWT shaped like the platform's, signed with `secret`. */
export function mintToken(claims: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256' }) {
  const now = Math.floor(Date.now() / 1000);
  const h = b64(header);
  const p = b64({ iss: 'campusg', iat: now, exp: now + 3600, jti: randomUUID(), ...claims });
  const sig = header.alg === 'none' ? '' : createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

/** Flips one character in the middle of a JWT's signature part. */
export function tamperSignature(token: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  const flipped = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${flipped}${s.slice(i + 1)}`;
}

/** Replaces the subject of a real token, keeping its (now wrong) signature. */
export function tamperPayload(token: string, sub: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return `${h}.${b64({ ...payload, sub })}.${s}`;
}

export function withToken(token: string | undefined): ApiClient {
  const c = sys.client();
  c.token = token;
  return c;
}

/** The session cookie from a response's Set-Cookie headers: its value and its attributes. */
export function sessionCookie(res: Res): { value: string; attrs: string[] } | undefined {
  const raw = res.headers.getSetCookie().find((c) => c.startsWith('campusg_session='));
  if (!raw) return undefined;
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  return { value: decodeURIComponent(pair!.slice('campusg_session='.length)), attrs };
}

/** Opens /api/stream, returns its status and content type, then closes it. */
export async function openStream(headers: Record<string, string>) {
  const ctl = new AbortController();
  const res = await fetch(`${sys.url}/api/stream`, { headers, signal: ctl.signal });
  const out = { status: res.status, type: res.headers.get('content-type'), body: undefined as any };
  if (res.status !== 200) out.body = await res.json();
  ctl.abort();
  return out;
}

// ---------------------------------------------------------------------------------------------
// the cast: users and orders in known states

export type Who = 'customer' | 'otherCustomer' | 'nonRunner' | 'runnerA' | 'runnerB';
export const users = {} as Record<Who | 'selfRunner', ApiClient>;
/** CREATED, nobody assigned. */
export let created: { orderId: string; sagaId: string };
/** ACCEPTED by runnerA. */
export let accepted: { orderId: string; sagaId: string; acceptSagaId: string };
/** CREATED, placed by a customer who is also a runner. */
export let ownOrder: { orderId: string; sagaId: string };

export async function createdOrder(c: ApiClient) {
  const o = await c.createOrder();
  expect((await c.saga(o.sagaId)).status).toBe('COMPLETED');
  await c.orderIn(o.orderId, 'CREATED');
  return o;
}

export async function acceptedBy(cust: ApiClient, run: ApiClient) {
  const o = await createdOrder(cust);
  const res = await run.post(`/api/orders/${o.orderId}/accept`);
  expect(res.status).toBe(202);
  expect((await run.saga(res.body.sagaId)).status).toBe('COMPLETED');
  await cust.orderIn(o.orderId, 'ACCEPTED');
  return { ...o, acceptSagaId: res.body.sagaId as string };
}

/** Registers the cast and brings their orders into the states above, before the suite's first test. */
export function useCast(): void {
  beforeAll(async () => {
    const [customer, otherCustomer, nonRunner, runnerA, runnerB, selfRunner] = await Promise.all([
      sys
        .client()
        .register('Carol')
        .then((c) => c.addCard()),
      sys
        .client()
        .register('Olga')
        .then((c) => c.addCard()),
      sys.client().register('Nora'),
      sys
        .client()
        .register('Rita')
        .then((c) => c.becomeRunner()),
      sys
        .client()
        .register('Remy')
        .then((c) => c.becomeRunner()),
      sys
        .client()
        .register('Sam')
        .then((c) => c.addCard())
        .then((c) => c.becomeRunner()),
    ]);
    Object.assign(users, { customer, otherCustomer, nonRunner, runnerA, runnerB, selfRunner });
    [created, accepted, ownOrder] = await Promise.all([
      createdOrder(customer),
      acceptedBy(customer, runnerA),
      createdOrder(selfRunner),
      createdOrder(otherCustomer), // so the other customer has an order of their own
    ]);
  });
}
