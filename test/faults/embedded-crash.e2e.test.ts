import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite } from '@campusg/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, waitFor } from '../support/client.ts';
import { sagaEngineEnv } from '../support/environment.ts';
import { checkInvariants } from '../support/invariants.ts';
import { type PlatformProcess, startProcess } from '../support/process.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'campusg-crash-'));
/**
 * How long a saga may take. On Temporal a fresh worker's first workflow tasks are slow (the
 * workflow code is loaded), a workflow task the killed worker held moves to the new one after its
 * 10 s timeout, and a restarted process resumes every workflow at once.
 */
const SAGA_WAIT_MS = 60_000;
const ADMIN_TOKEN = 'crash-operator-token-crash-operator-0123';
const env = {
  CAMPUSG_DATA_DIR: dataDir,
  ADMIN_TOKEN,
  AUTH_SECRET: 'crash-test-secret-crash-test-secret-0123',
  // Long enough for an accept to land and a step to be answered on a busy machine, on either engine;
  // the orders nobody accepts still time out within the test.
  ORDER_ACCEPT_TIMEOUT_MS: '10000',
  SAGA_STEP_TIMEOUT_MS: '20000',
  // The same task queue before and after the crash: the restarted worker picks up the sagas in flight.
  ...sagaEngineEnv(),
};
let proc: PlatformProcess | undefined;

afterAll(async () => {
  if (proc && proc.child.exitCode === null) await proc.kill9();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 of the one process, then a restart on the same data directory', () => {
  it('resumes every saga to the end it would have reached, with no duplicate and nothing lost', async () => {
    proc = await startProcess(env);
    const client = (u = proc!.url) => new ApiClient(u);
    const customers = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => (await client().register(`C${i}`)).addCard(i === 3 ? '4000000000000002' : undefined)),
    );
    const runners = await Promise.all(Array.from({ length: 3 }, async (_, i) => (await client().register(`R${i}`)).becomeRunner()));

    // Orders in every stage: some completed, delivered, accepted, open, some just posted when the crash hits.
    const sagaOwners = new Map<string, ApiClient>();
    const finished: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = customers[i % 3]!;
      const { orderId, sagaId } = await c.createOrder();
      expect((await c.saga(sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      const r = runners[i % 3]!;
      const accept = await r.post(`/api/orders/${orderId}/accept`);
      expect((await r.saga(accept.body.sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      if (i < 4) for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) await r.post(`/api/orders/${orderId}/progress`, { status });
      if (i < 2) {
        const done = await r.post(`/api/orders/${orderId}/complete`);
        sagaOwners.set(done.body.sagaId, r);
      }
      finished.push(orderId);
    }
    // A burst in flight: creates (one card declines), accepts racing, a cancel and completes of delivered orders.
    const inflight = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const owner = customers[i % 4]!;
        const { orderId, sagaId } = await owner.createOrder();
        sagaOwners.set(sagaId, owner);
        return { orderId, owner };
      }),
    );
    const completes = await Promise.all([2, 3].map((i) => runners[i % 3]!.post(`/api/orders/${finished[i]}/complete`)));
    completes.forEach((res, k) => {
      sagaOwners.set(res.body.sagaId, runners[[2, 3][k]! % 3]!);
    });
    await proc.kill9();
    const crashedAt = new Date();

    proc = await startProcess(env);
    for (const c of [...customers, ...runners]) c.baseUrl = proc.url;
    // Every saga started before the crash reaches an end state after the restart.
    for (const [sagaId, owner] of sagaOwners) {
      const saga = await owner.saga(sagaId, undefined, SAGA_WAIT_MS);
      expect(['COMPLETED', 'COMPENSATED']).toContain(saga.status);
    }
    // Orders nobody accepts time out; every posted order ends up explained.
    for (const { orderId, owner } of inflight) {
      await waitFor(
        async () => (await owner.get(`/api/orders/${orderId}`)).body.status === 'CANCELLED' && true,
        `order ${orderId} to time out`,
        SAGA_WAIT_MS,
      );
    }
    // An order shows CANCELLED before its cancel-order saga has voided the hold: the process is
    // stopped once no saga is at work, so that a saga still in flight is not taken for a stuck one.
    const operator = client();
    operator.token = ADMIN_TOKEN;
    const active = async () => {
      const counts = await Promise.all(
        ['RUNNING', 'COMPENSATING'].map(
          async (status) => (await operator.get(`/admin/sagas?status=${status}&limit=1000`)).body.items.length,
        ),
      );
      return counts[0]! + counts[1]!;
    };
    await waitFor(async () => (await active()) === 0, 'every saga to end', SAGA_WAIT_MS);
    expect(await proc.stop()).toBe(0);

    const db = await openPglite(path.join(dataDir, 'pglite'));
    try {
      expect(await checkInvariants(db)).toEqual([]);
      const [orders] = await db.query<{ n: number }>('select count(*)::int as n from orders.orders');
      expect(orders!.n).toBe(6 + 24);
      const [payouts] = await db.query<{ n: number }>(`select count(*)::int as n from payments.payments where status = 'RELEASED'`);
      expect(payouts!.n).toBe(4);
      const [dupNotes] = await db.query<{ n: number }>(
        `select count(*)::int as n from (select user_id, order_id, kind from notifications.notifications
         where kind <> 'ORDER_ACCEPTED' group by 1, 2, 3 having count(*) > 1) d`,
      );
      expect(dupNotes!.n).toBe(0);
      const [stuck] = await db.query<{ n: number }>(
        `select count(*)::int as n from sagas.instances where status in ('RUNNING', 'COMPENSATING')`,
      );
      expect(stuck!.n).toBe(0);
      // The crash caught sagas mid-way: some of them were finished by the restarted process.
      const [resumed] = await db.query<{ n: number }>(
        'select count(*)::int as n from sagas.instances where id = any($1::uuid[]) and ended_at > $2',
        [[...sagaOwners.keys()], crashedAt],
      );
      expect(resumed!.n).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }, 300_000);
});
