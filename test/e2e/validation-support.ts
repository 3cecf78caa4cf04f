import { afterAll, beforeAll, expect } from 'vitest';
import type { ApiClient, Res } from '../support/client.ts';
import { closeChecked, quiesce } from '../support/invariants.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

/**
 * What the validation suites share: one platform per suite, the problem+json checks, and
 * generators for values at and just past the limits of docs/http-api.md.
 */

/** The platform of the running suite, started by `useValidationSystem` before its first test. */
export let sys: TestSystem;
/** Every error answer seen by this suite, checked for leaked internals at the end too. */
export const errorBodies: unknown[] = [];

/** Starts the platform before the suite; after it, waits for quiet and checks every invariant. */
export function useValidationSystem(): void {
  beforeAll(async () => {
    sys = await startSharedSystem();
  });
  afterAll(() => closeChecked(sys));
}

/** Stack frames, SQL and source paths: none may appear in an error body. */
export const LEAK = /stack|\n\s+at |\bat \S+ \(|\bat \S+:\d+:\d+|\bselect |\binsert |\bupdate \S+ set\b|node_modules|\.ts:\d+|\.js:\d+/i;

export function expectProblem(res: Res, status: number, code: string) {
  errorBodies.push(res.body);
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code });
  expect(JSON.stringify(res.body)).not.toMatch(LEAK);
}

/** 400 VALIDATION_FAILED with an `errors` entry for `path` (a string, or a pattern for the path). */
export function expectInvalid(res: Res, path: string | RegExp) {
  expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(typeof res.body.detail).toBe('string');
  expect(Array.isArray(res.body.errors), JSON.stringify(res.body)).toBe(true);
  for (const e of res.body.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  const paths: string[] = res.body.errors.map((e: any) => e.path);
  const hit = typeof path === 'string' ? paths.includes(path) : paths.some((p) => path.test(p));
  expect(hit, `errors ${JSON.stringify(res.body.errors)} name ${String(path)}`).toBe(true);
}

let seq = 0;
export const uniq = () => `${process.pid}${Date.now().toString(36)}${++seq}`;
export const email = (tag = 'v') => `${tag}.${uniq()}@smu.edu.sg`;
export const PASSWORD = 'correct horse';

/** A syntactically valid address of exactly `n` characters (n ≥ 72): 64-char local part, long domain. */
export function emailOfLength(n: number): string {
  const local = `${uniq()}${'x'.repeat(64)}`.slice(0, 64);
  const rest = n - 64 - 1 - 3;
  const chars = Array.from({ length: rest }, (_, i) => (i % 61 === 60 ? '.' : 'd'));
  if (chars[chars.length - 1] === '.') chars[chars.length - 1] = 'd';
  const address = `${local}@${chars.join('')}.sg`;
  expect(address).toHaveLength(n);
  return address;
}

/** Appends the Luhn check digit to `body`. */
export function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const n = `${body}${d}`;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}

export async function registered(name: string) {
  return sys.client().register(name);
}

/** Nothing of this user's exists: no order, no saga, no idempotency key, no hold. */
export async function expectNothingCreated(c: ApiClient) {
  await quiesce(sys.infra.db, sys.infra.transport);
  const list = await c.get('/api/orders');
  expect(list.status).toBe(200);
  expect(list.body.items).toEqual([]);
  const db = sys.infra.db;
  const [orders] = await db.query<{ n: number }>('select count(*)::int as n from orders.orders where customer_id = $1', [c.user.id]);
  const [sagas] = await db.query<{ n: number }>('select count(*)::int as n from sagas.instances where started_by = $1', [c.user.id]);
  const [keys] = await db.query<{ n: number }>('select count(*)::int as n from sagas.idempotency_keys where user_id = $1', [c.user.id]);
  expect({ orders: orders?.n, sagas: sagas?.n, keys: keys?.n }).toEqual({ orders: 0, sagas: 0, keys: 0 });
  expect((await c.get('/api/wallet')).body.heldCents).toBe(0);
}
