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
const env = {
  CAMPUSG_DATA_DIR: dataDir,
  AUTH_SECRET: 'crash-test-secret-crash-test-secret-0123',
  ORDER_ACCEPT_TIMEOUT_MS: '4000',
  SAGA_STEP_TIMEOUT_MS: '5000',
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
      await c.saga(sagaId);
      const r = runners[i % 3]!;
      const accept = await r.post(`/api/orders/${orderId}/accept`);
      await r.saga(accept.body.sagaId);
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

    proc = await startProcess(env);
    for (const c of [...customers, ...runners]) c.baseUrl = proc.url;
    // Every saga started before the crash reaches an end state after the restart.
    for (const [sagaId, owner] of sagaOwners) {
      const saga = await owner.saga(sagaId);
      expect(['COMPLETED', 'COMPENSATED']).toContain(saga.status);
    }
    // Orders nobody accepts time out; every posted order ends up explained.
    for (const { orderId, owner } of inflight) {
      await waitFor(
        async () => (await owner.get(`/api/orders/${orderId}`)).body.status === 'CANCELLED' && true,
        `order ${orderId} to time out`,
        30_000,
      );
    }
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
    } finally {
      await db.close();
    }
  }, 180_000);
});
