import { KafkaTransport } from '@campusg/messaging/kafka';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { dropKafkaNamespace } from '../support/environment.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { describeWithKafka } from '../support/kafka.ts';
import {
  type Actors,
  describeOrders,
  duplicateEffects,
  type Journey,
  type JourneyKind,
  mix,
  registerActors,
  startLoad,
  summarize,
  underWay,
  unsettled,
} from '../support/load.ts';
import type { PlatformProcess } from '../support/process.ts';
import type { TestSystem } from '../support/system.ts';
import { processLines, startTopology } from '../support/topology.ts';

/**
 * kill -9 of each process of the production topology in turn, under load, then a restart on the same
 * port (every service runs twice: one instance is killed and the other takes over its partitions;
 * the gateway runs once). The step deadline and the acceptance window are longer than an outage lasts (a dead
 * consumer holds its partitions until its 10 s session expires), so every journey must end exactly
 * as it would have without the crash: no step times out, nothing is compensated that would not have
 * been. After every case: the system settles, docs/sagas.md's invariants hold over every order, and no
 * effect is doubled.
 */
const STEP_TIMEOUT_MS = 30_000;
const ACCEPT_WINDOW_MS = 30_000;

let sys: TestSystem;
let actors: Actors;
/** Every order a create accepted, across the cases (the database must hold exactly these). */
const orderIds = new Set<string>();
const openOrders: string[] = [];
/** Processes a case killed and did not restart. */
const leftDown = new Set<PlatformProcess>();

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const entry = (service: string, index = 0) => {
  const found = sys.processes!.filter((p) => p.service === service)[index];
  if (!found) throw new Error(`no ${service} process #${index}`);
  return found;
};

/** What a journey must end in when the crash changes nothing. */
const EXPECTED: Record<JourneyKind, (j: Journey) => boolean> = {
  complete: (j) => j.status === 'COMPLETED',
  decline: (j) => j.status === 'CANCELLED' && j.cancelReason === 'PAYMENT_DECLINED',
  cancel: (j) => j.status === 'CANCELLED' && j.cancelReason === 'CUSTOMER_CANCELLED',
  open: (j) => j.status === 'CREATED' || (j.status === 'CANCELLED' && j.cancelReason === 'ACCEPT_TIMEOUT'),
};

/** The checks after every case: settled, every invariant, no duplicate effect, every journey as without a crash. */
async function verify(label: string, journeys: Journey[], timings: Record<string, number>) {
  for (const j of journeys) if (j.orderId) orderIds.add(j.orderId);
  openOrders.push(...journeys.filter((j) => j.kind === 'open' && j.orderId).map((j) => j.orderId!));
  // No process died but the one the case killed (and left down).
  const dead = sys.processes!.filter(
    (p) => !leftDown.has(p.process) && (p.process.child.exitCode !== null || p.process.child.signalCode !== null),
  );
  expect(dead.map((p) => `${p.service}:\n${p.process.output().slice(-3000)}`)).toEqual([]);
  const settleStart = Date.now();
  await quiesce(sys.infra.db, sys.infra.transport, 60_000).catch(async (err) => {
    console.log(
      `[fault] ${label}: not settled\n${await unsettled(sys.infra.db, sys.infra.transport)}\n${processLines(sys, /kafka:|rebalanc|commit/i, 12, 800)}`,
    );
    throw err;
  });
  const last = Math.max(...journeys.map((j) => j.endedAt));
  console.log(
    `[fault] ${label}: ${journeys.length} orders ${JSON.stringify(summarize(journeys))}; ` +
      `${Object.entries(timings)
        .filter(([k]) => k !== 'at')
        .map(([k, v]) => `${k} ${v} ms, `)
        .join('')}last journey done ${last - (timings.at ?? 0)} ms after the fault; ` +
      `retried requests ${journeys.reduce((n, j) => n + j.retries, 0)}; settled in ${Date.now() - settleStart} ms`,
  );
  const wrong = journeys
    .filter((j) => j.error || !EXPECTED[j.kind](j))
    .map((j) => j.orderId!)
    .filter(Boolean);
  if (wrong.length > 0) console.log(`[fault] ${label}: journeys that went wrong\n${await describeOrders(sys.infra.db, wrong)}`);
  expect(journeys.filter((j) => j.error).map((j) => `${j.kind} ${j.orderId}: ${j.error}`)).toEqual([]);
  expect(journeys.filter((j) => !EXPECTED[j.kind](j)).map((j) => `${j.kind} ${j.orderId} ended ${j.status} (${j.cancelReason})`)).toEqual(
    [],
  );
  // Nothing timed out: the crash delayed the sagas, it did not change their course.
  const timedOut = journeys.flatMap((j) => j.sagas.filter((s) => /STEP_TIMEOUT|unacknowledged/.test(s.error ?? '')));
  expect(timedOut).toEqual([]);
  expect(await checkInvariants(sys.infra.db)).toEqual([]);
  expect(await duplicateEffects(sys.infra.db, orderIds)).toEqual([]);
}

/** Load, a kill -9 of one process mid-way, a restart after `downMs`; returns the journeys and the timings. */
async function crashUnderLoad(service: string, index: number, opts: { downMs?: number; restart?: boolean; orders?: number } = {}) {
  const { downMs = 1000, restart = true, orders = 12 } = opts;
  const since = new Date();
  const load = startLoad(actors, mix(orders), 120);
  // Mid-load: some journeys are still being created, others accepting, progressing or completing.
  await underWay(sys.infra.db, since, { orders: Math.ceil(orders / 2), past: 2 });
  const target = entry(service, index);
  const t0 = Date.now();
  await target.process.kill9();
  if (!restart) leftDown.add(target.process);
  const timings: Record<string, number> = { at: t0 };
  if (restart) {
    await pause(downMs);
    target.process = await target.process.restart();
    timings['restarted (ready) after'] = Date.now() - t0;
  }
  const journeys = await load;
  return { journeys, timings };
}

describeWithKafka('faults on the production topology: kill -9 of each process under load', { database: true }, () => {
  beforeAll(async () => {
    sys = await startTopology({ SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS), ORDER_ACCEPT_TIMEOUT_MS: String(ACCEPT_WINDOW_MS) });
    actors = await registerActors(sys);
  });
  afterAll(async () => {
    await sys?.close();
  });

  it('runs the load to its end without a fault (the baseline every crash case must match)', async () => {
    const journeys = await startLoad(actors, mix(8), 100);
    await verify('baseline', journeys, { at: journeys[0]!.startedAt });
  }, 120_000);

  // One instance of each service in turn, and the gateway; the order service's first instance comes later.
  for (const service of ['sagas', 'payment', 'user', 'timer', 'notification', 'gateway']) {
    it(`kill -9 of a ${service} process under load, then a restart: every journey ends as without the crash`, async () => {
      const { journeys, timings } = await crashUnderLoad(service, 0);
      await verify(`kill -9 ${service}`, journeys, timings);
    }, 120_000);
  }

  it('kill -9 of one of the two order instances: the other takes over its partitions, alone', async () => {
    const { journeys, timings } = await crashUnderLoad('order', 0, { restart: false });
    await verify('kill -9 order#1 (no restart)', journeys, timings);
  }, 120_000);

  it('the killed order instance restarts under load and takes its share of the partitions back', async () => {
    const since = new Date();
    const load = startLoad(actors, mix(12), 120);
    await underWay(sys.infra.db, since, { orders: 6, past: 2 });
    const target = entry('order', 0);
    const t0 = Date.now();
    target.process = await target.process.restart();
    const journeys = await load;
    await verify('restart order#1 under load', journeys, { at: t0, 'rejoined (ready) after': Date.now() - t0 });
  }, 120_000);

  it('timers armed before and across the restarts fire: every order left open is cancelled, its hold voided', async () => {
    for (const orderId of openOrders) {
      await waitFor(
        async () => {
          const [row] = await sys.infra.db.query<{ status: string; cancel_reason: string | null }>(
            'select status, cancel_reason from orders.orders where id = $1',
            [orderId],
          );
          return row?.status === 'CANCELLED' ? row : undefined;
        },
        `open order ${orderId} to time out`,
        ACCEPT_WINDOW_MS + 30_000,
      );
    }
    await quiesce(sys.infra.db, sys.infra.transport, 60_000);
    const rows = await sys.infra.db.query<{ status: string; cancel_reason: string; payment: string }>(
      `select o.status, o.cancel_reason, p.status as payment from orders.orders o join payments.payments p on p.order_id = o.id where o.id = any($1::uuid[])`,
      [openOrders],
    );
    expect(rows).toHaveLength(openOrders.length);
    expect(rows.filter((r) => !(r.status === 'CANCELLED' && r.cancel_reason === 'ACCEPT_TIMEOUT' && r.payment === 'REVERTED'))).toEqual([]);
    expect(await checkInvariants(sys.infra.db)).toEqual([]);
    expect(await duplicateEffects(sys.infra.db, orderIds)).toEqual([]);
  }, 120_000);
});

describeWithKafka('faults on Kafka: a consumer whose handler fails with a bug', {}, () => {
  it('gets the batch again by itself: an error no retry classifies never stops the consumer', async () => {
    // A consumer that stopped after an error deemed final (a TypeError here; a coordinator not found
    // after a broker restart) would leave the service silently not consuming.
    const brokers = process.env.KAFKA_BROKERS!;
    const namespace = `crash${process.pid}${Date.now()}.`;
    const transport = new KafkaTransport({
      brokers: brokers.split(','),
      clientId: 'campusg-test-crash',
      namespace,
      log: pino({ level: 'silent' }),
    });
    try {
      await transport.ensureTopics([{ name: 'crash_test', description: 'test', partitions: 1, retentionMs: 3_600_000 }]);
      let calls = 0;
      const handled: string[] = [];
      const sub = await transport.subscribe({
        groupId: 'crash-test',
        topics: ['crash_test'],
        handleBatch: async (batch) => {
          if (++calls === 1) throw new TypeError('a bug of the first attempt');
          handled.push(...batch.map((r) => r.value));
        },
      });
      await transport.publish([{ topic: 'crash_test', key: 'k', value: 'v1', headers: {} }]);
      await waitFor(async () => handled.length > 0, 'the record to be handled after the crash', 20_000);
      expect(handled).toEqual(['v1']);
      expect(calls).toBe(2);
      await sub.close();
    } finally {
      await transport.close();
      await dropKafkaNamespace(brokers, namespace).catch(() => {});
    }
  }, 60_000);
});
