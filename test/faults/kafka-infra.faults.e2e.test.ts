import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { describeWithKafka, requireKafka } from '../support/kafka.ts';
import {
  type Actors,
  describeOrders,
  duplicateEffects,
  type Journey,
  mix,
  registerActors,
  runJourney,
  startLoad,
  summarize,
  underWay,
  unsettled,
} from '../support/load.ts';
import { type PrivateKafka, type PrivatePostgres, postgresBinDir, startPrivateKafka, startPrivatePostgres } from '../support/servers.ts';
import type { TestSystem } from '../support/system.ts';
import { processLines, startTopology } from '../support/topology.ts';

/**
 * Faults of the infrastructure and of a participant, on the production topology (every service in
 * processes of its own, two instances each, the gateway): PostgreSQL restarted under load, the payment
 * service (both instances) down past the step deadline, the broker stopped past the step deadline. The deployment
 * runs on a PostgreSQL server and a Kafka broker of its own (scripts/kafka/start.sh in a temporary
 * directory), so stopping them disturbs no suite running in parallel on the shared ones.
 */
const STEP_TIMEOUT_MS = 4000;
const ACCEPT_WINDOW_MS = 30_000;

let pg: PrivatePostgres | undefined;
let kafka: PrivateKafka | undefined;
let sys: TestSystem;
let actors: Actors;
const orderIds = new Set<string>();

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const db = () => sys.infra.db;

/** Every process of the deployment still runs: none died of the fault (nobody restarts them here). */
function deadProcesses(): string[] {
  return sys
    .processes!.filter((p) => p.process.child.exitCode !== null || p.process.child.signalCode !== null)
    .map((p) => `${p.service}:\n${p.process.output().slice(-3000)}`);
}

/**
 * A journey ends either as it would have without the fault, or compensated because one of its steps
 * timed out (the fault outlasted the deadline) — never FAILED, never half-done.
 */
function explained(j: Journey): boolean {
  const timedOut = j.sagas.some((s) => s.status === 'COMPENSATED' && /STEP_TIMEOUT/.test(s.error ?? ''));
  if (j.sagas.some((s) => s.status === 'FAILED')) return false;
  // create_order itself timed out and its compensating cancel came first: the order never existed.
  if (j.status === 'NEVER_CREATED')
    return j.sagas[0]?.type === 'create-order' && /STEP_TIMEOUT: no reply to create_order/.test(j.sagas[0].error ?? '');
  switch (j.kind) {
    case 'complete':
      return j.status === 'COMPLETED' || (timedOut && (j.status === 'CANCELLED' || j.status === 'CREATED')) || acceptLostToExpiry(j);
    case 'decline':
      return j.status === 'CANCELLED' && (j.cancelReason === 'PAYMENT_DECLINED' || (timedOut && compensatedReason(j)));
    case 'cancel':
      return (
        j.status === 'CANCELLED' && (j.cancelReason === 'CUSTOMER_CANCELLED' || (timedOut && compensatedReason(j)) || acceptLostToExpiry(j))
      );
    case 'open':
      return (
        j.status === 'CREATED' || (j.status === 'CANCELLED' && (j.cancelReason === 'ACCEPT_TIMEOUT' || (timedOut && compensatedReason(j))))
      );
  }
}

/**
 * The acceptance window ran out while the fault held the runner's accept or the customer's cancel
 * back: the timer's cancel reached the order first (or the accept landed late, timed out and was
 * released, and the refused expiry was carried out then), so the order expired, as it would for an
 * accept or a cancel that came after the window on a healthy deployment. The journey may not have
 * seen its own saga at all: its request can time out during the outage, and the order be closed by
 * the time it asks again. An expiry can only come a whole window after the order was posted, so a
 * journey that ended sooner cannot have lost to it. The invariant check after the case holds the
 * rest (hold voided, timer fired, no runner).
 */
function acceptLostToExpiry(j: Journey): boolean {
  return j.status === 'CANCELLED' && j.cancelReason === 'ACCEPT_TIMEOUT' && j.endedAt - j.startedAt >= ACCEPT_WINDOW_MS;
}

/**
 * The reason an order cancelled by a timed-out saga shows: SYSTEM_ERROR, the compensation's; or
 * ACCEPT_TIMEOUT when start_order_timer was the step that timed out and landed so late that the timer
 * it armed was already due (it fires, and its cancel-order saga gets there first).
 */
function compensatedReason(j: Journey): boolean {
  if (j.cancelReason === 'SYSTEM_ERROR') return true;
  return j.cancelReason === 'ACCEPT_TIMEOUT' && /STEP_TIMEOUT: no reply to start_order_timer/.test(j.sagas[0]?.error ?? '');
}

async function verify(label: string, journeys: Journey[], timings: Record<string, number>) {
  for (const j of journeys) if (j.orderId) orderIds.add(j.orderId);
  // A process that died of the fault is a failure in itself (and the reason anything else would hang).
  expect(deadProcesses()).toEqual([]);
  const settleStart = Date.now();
  await quiesce(db(), sys.infra.transport, 45_000).catch(async (err) => {
    const stuck = journeys
      .filter((j) => j.error)
      .map((j) => j.orderId!)
      .filter(Boolean);
    console.log(
      `[fault] ${label}: not settled\n${await unsettled(db(), sys.infra.transport)}\n${JSON.stringify(summarize(journeys))}\n${journeys
        .filter((j) => j.error)
        .map((j) => j.error)
        .join('\n')}\n${await describeOrders(db(), stuck)}`,
    );
    console.log(
      processLines(sys, /crash|restart|rebalanc|not aware|coordinator|retries|eachBatch|outbox|sequence|producer|kafka:/i, 25, 600),
    );
    throw err;
  });
  const sagas = journeys.flatMap((j) => j.sagas);
  const count = (pred: (s: Journey['sagas'][number]) => boolean) => sagas.filter(pred).length;
  console.log(
    `[fault] ${label}: ${journeys.length} orders ${JSON.stringify(summarize(journeys))}; sagas: ${count((s) => s.status === 'COMPLETED')} completed, ` +
      `${count((s) => s.status === 'COMPENSATED' && /STEP_TIMEOUT/.test(s.error ?? ''))} compensated after a step timeout, ` +
      `${count((s) => s.status === 'COMPENSATED' && !/STEP_TIMEOUT/.test(s.error ?? ''))} compensated on business grounds, ${count((s) => s.status === 'FAILED')} failed; ` +
      `${Object.entries(timings)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}; retried requests ${journeys.reduce((n, j) => n + j.retries, 0)}; settled in ${Date.now() - settleStart} ms`,
  );
  const failed = journeys
    .filter((j) => j.error || !explained(j))
    .map((j) => j.orderId!)
    .filter(Boolean);
  if (failed.length > 0) console.log(`[fault] ${label}: journeys that went wrong\n${await describeOrders(db(), failed)}`);
  expect(journeys.filter((j) => j.error).map((j) => `${j.kind} ${j.orderId}: ${j.error}`)).toEqual([]);
  expect(
    journeys
      .filter((j) => !explained(j))
      .map((j) => `${j.kind} ${j.orderId} ended ${j.status} (${j.cancelReason}) ${JSON.stringify(j.sagas)}`),
  ).toEqual([]);
  expect(await checkInvariants(db())).toEqual([]);
  expect(await duplicateEffects(db(), orderIds)).toEqual([]);
}

/** What a case that timed out needs to be read: each journey's sagas, and what every process's Kafka clients logged. */
function printSagasAndKafkaLog(label: string, journeys: Journey[]) {
  console.log(`[fault] ${label}: sagas\n${journeys.map((j) => `${j.orderId} ${j.status}: ${JSON.stringify(j.sagas)}`).join('\n')}`);
  console.log(processLines(sys, /kafka/i, 40, 800));
}

function describeInfra(title: string, body: () => void) {
  const missing = postgresBinDir() ? [] : ['PostgreSQL server binaries (initdb, pg_ctl) not installed'];
  if (missing.length === 0) return describeWithKafka(title, { database: true }, body);
  if (requireKafka) {
    describe(`${title} (${missing.join(', ')})`, () => {
      it('has what it needs (CAMPUSG_REQUIRE_KAFKA=1)', () => {
        throw new Error(`CAMPUSG_REQUIRE_KAFKA=1 but ${missing.join(', ')}: apt-get install -y postgresql`);
      });
    });
  } else describe.skip(`${title} (${missing.join(', ')})`, () => it('skipped', () => {}));
}

describeInfra('faults of the infrastructure on the production topology: PostgreSQL restart, a participant down, the broker stopped', () => {
  beforeAll(async () => {
    [pg, kafka] = await Promise.all([startPrivatePostgres(), startPrivateKafka()]);
    sys = await startTopology(
      // Compensations are retried until acknowledged: with a short step deadline the default 10 attempts
      // would give up (FAILED) while the broker is still starting on a busy machine.
      { SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), ORDER_ACCEPT_TIMEOUT_MS: String(ACCEPT_WINDOW_MS), SAGA_MAX_ATTEMPTS: '100' },
      { brokers: kafka.brokers, databaseUrl: pg.url },
    );
    actors = await registerActors(sys);
  }, 180_000);
  afterAll(async () => {
    // The broker runs again whatever a case did, so that the deployment stops cleanly.
    await kafka?.start().catch(() => {});
    await sys?.close().catch(() => {});
    await kafka?.dispose();
    await pg?.dispose();
  }, 120_000);

  it('PostgreSQL restarted under load: every process reconnects, every journey ends, nothing doubled', async () => {
    const since = new Date();
    const load = startLoad(actors, mix(12), 120);
    await underWay(db(), since, { orders: 6, past: 2 });
    const t0 = Date.now();
    await pg!.restart(1500);
    const timings: Record<string, number> = { 'database back after': Date.now() - t0 };
    const journeys = await load;
    timings['last journey done after the restart began'] = Math.max(...journeys.map((j) => j.endedAt)) - t0;
    await verify('PostgreSQL restart', journeys, timings);
  }, 150_000);

  it('the payment service down past the step deadline: the sagas compensate, its late replies change nothing', async () => {
    // The service down: both of its instances.
    const paymentInstances = sys.processes!.filter((p) => p.service === 'payment');
    // Journeys already under way (most past authorize_payment) complete once payment is back.
    const since = new Date();
    const before = startLoad(actors, ['complete', 'complete'], 100);
    await underWay(db(), since, { orders: 2, past: 2 });
    const t0 = Date.now();
    await Promise.all(paymentInstances.map((p) => p.process.kill9()));
    // New orders: authorize_payment goes unanswered past the deadline.
    const posted = startLoad(actors, ['open', 'open', 'open', 'open', 'open', 'open'], 50);
    const compensating = await waitFor(
      async () => {
        const rows = await db().query<{ key: string }>(
          `select key from sagas.instances where type = 'create-order' and status = 'COMPENSATING'
             and state->>'error' like 'STEP_TIMEOUT: no reply to authorize_payment%' and started_at >= $1`,
          [new Date(t0)],
        );
        return rows.length >= 6 ? rows.map((r) => r.key) : undefined;
      },
      'the create-order sagas to time out on authorize_payment',
      STEP_TIMEOUT_MS * 4,
    );
    const timedOutAfter = Date.now() - t0;
    // Down a while longer: the revert_payment compensation times out too and is sent again.
    await pause(STEP_TIMEOUT_MS);
    await Promise.all(paymentInstances.map(async (p) => (p.process = await p.process.restart())));
    const restartedAfter = Date.now() - t0;
    const [early, late] = await Promise.all([before, posted]);
    await verify('payment down', [...early, ...late], {
      'timed out after': timedOutAfter,
      'restarted after': restartedAfter,
      'last journey done after the kill': Math.max(...late.map((j) => j.endedAt)) - t0,
    });

    for (const j of late) {
      // The compensation ran: the order is cancelled, the hold that the late authorisation placed is voided.
      expect(j.sagas).toEqual([
        expect.objectContaining({
          type: 'create-order',
          status: 'COMPENSATED',
          error: expect.stringContaining('STEP_TIMEOUT: no reply to authorize_payment'),
        }),
      ]);
      expect({ status: j.status, reason: j.cancelReason }).toEqual({ status: 'CANCELLED', reason: 'SYSTEM_ERROR' });
    }
    const lateIds = late.map((j) => j.orderId!);
    expect(lateIds.filter((id) => !compensating.includes(id))).toEqual([]);
    const payments = await db().query<{ order_id: string; status: string; revert_method: string; authorized: boolean }>(
      `select order_id, status, revert_method, authorized_at is not null as authorized from payments.payments where order_id = any($1::uuid[])`,
      [lateIds],
    );
    // The authorisation did land late (processed when payment came back), and was voided right after.
    expect(payments.map((p) => ({ status: p.status, method: p.revert_method, authorized: p.authorized }))).toEqual(
      lateIds.map(() => ({ status: 'REVERTED', method: 'VOID', authorized: true })),
    );
    // The late payment.authorized reached each saga and was recorded, and ignored.
    const ignored = await db().query<{ n: number }>(
      `select count(distinct i.key)::int as n from sagas.history h join sagas.instances i on i.id = h.saga_id
        where i.key = any($1::text[]) and h.type = 'payment.authorized' and h.note like 'ignored%'`,
      [lateIds],
    );
    expect(ignored[0]!.n).toBe(lateIds.length);
    const orders = await db().query<{ status: string }>(`select status from orders.orders where id = any($1::uuid[])`, [lateIds]);
    expect(orders.map((o) => o.status)).toEqual(lateIds.map(() => 'CANCELLED'));
    // Those under way before the kill: completed (release_payment is retried until payment is back), or,
    // if they were at authorize_payment themselves, compensated like the rest (checked by verify).
    for (const j of early) expect(['COMPLETED', 'CANCELLED']).toContain(j.status);
  }, 150_000);

  // Last: the broker is stopped. It is started again in a finally (and in afterAll) whatever happens.
  it('the broker stopped past the step deadline, then restarted: timed-out sagas compensate, the rest complete, clients reconnect', async () => {
    // Journeys spread over 3 s: the first ones are well under way (or done) when the broker stops.
    // The journeys wait as long as it takes: on a busy machine the broker takes tens of seconds to start.
    const since = new Date();
    const load = startLoad(actors, mix(12), 250, 150_000);
    await underWay(db(), since, { orders: 8, past: 4 });
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    try {
      await kafka!.stop();
      timings['broker stopped after'] = Date.now() - t0;
      await pause(STEP_TIMEOUT_MS + 2000);
    } finally {
      timings['start.sh began after'] = Date.now() - t0;
      await kafka!.start();
    }
    timings['broker back after'] = Date.now() - t0;
    const journeys = await load;
    timings['last journey done after the stop'] = Math.max(...journeys.map((j) => j.endedAt)) - t0;
    await verify('broker stopped', journeys, timings);
    // Producers and consumers reconnected by themselves: a new batch runs through with no timeout at all.
    const t1 = Date.now();
    const after = await Promise.all([0, 1, 2, 3].map((i) => runJourney('complete', actors.customers[i]!, actors.runners[i]!)));
    await verify('after the broker restart', after, { 'four fresh journeys took': Date.now() - t1 });
    if (after.some((j) => j.status !== 'COMPLETED')) printSagasAndKafkaLog('after the broker restart', after);
    expect(after.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
  }, 300_000);
});
