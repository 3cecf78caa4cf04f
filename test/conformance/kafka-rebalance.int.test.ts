/**
 * Consumer-group rebalancing on the real broker, end to end through the MessageBus (inbox, per-key
 * ordering, commit after the handling transaction): "an instance stops mid-load, no message lost or
 * handled twice in effect". Three instances of one service (same group, same inbox schema, each
 * with its own Kafka client and database pool, as separate processes would have): A and B consume
 * while 500 keyed messages are being published; B dies mid-stream right after a batch's handling
 * transactions and before its offset commit, and leaves the group; then C joins. Every message must
 * have exactly one effect (the uncommitted batch comes again and the inbox absorbs it), and each
 * key's effects must follow publish order.
 *
 * The database is a fresh PostgreSQL database when DATABASE_URL is set, else an in-memory PGlite.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createMessage, type TopicSpec } from '@campusg/contracts';
import { MessageBus, messagingTablesSql, type Subscription, TableOutbox, type Transport, toRecord } from '@campusg/messaging';
import { KafkaTransport } from '@campusg/messaging/kafka';
import { createLogger, type Db, Metrics, migrate, openPglite, openPostgres, randomIds, systemClock } from '@campusg/platform';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropKafkaNamespace, freshDatabase } from '../support/environment.ts';
import { describeWithKafka, kafkaBrokers } from '../support/kafka.ts';
import { Deferred, waitFor } from './transport-conformance.ts';

const KEYS = 25;
const PER_KEY = 20;
const TOTAL = KEYS * PER_KEY;
const PARTITIONS = 6;
const SCHEMA = 'rebalance';
const GROUP = 'rebalance-service';
const WAIT = 60_000;

describeWithKafka('kafka: consumer-group rebalance mid-load', {}, () => {
  const namespace = `rebal${process.pid}${Date.now().toString(36)}.`;
  const topic = 'rebalance_events';
  const log = createLogger({ level: process.env.KAFKA_TEST_LOG_LEVEL ?? 'fatal', name: 'kafka-rebalance' });
  const cleanup: Array<() => Promise<unknown>> = [];
  let fresh: { url: string; drop(): Promise<void> } | undefined;
  let shared: Db | undefined;
  let producer: KafkaTransport;

  /** One connection pool per instance on PostgreSQL; PGlite has one connection, shared. */
  async function database(): Promise<Db> {
    if (fresh) {
      const db = openPostgres(fresh.url, { max: 4, applicationName: 'campusg-rebalance' });
      cleanup.push(() => db.close());
      return db;
    }
    shared ??= await openPglite(undefined);
    return shared;
  }

  beforeAll(async () => {
    if (process.env.DATABASE_URL) fresh = await freshDatabase(process.env.DATABASE_URL);
    const db = await database();
    await migrate(db, SCHEMA, [
      { id: '001', sql: messagingTablesSql(SCHEMA) },
      {
        id: '002',
        sql: `create table ${SCHEMA}.effects (message_id uuid primary key, key text not null, seq int not null, member text not null,
                times int not null default 1);
              create table ${SCHEMA}.counters (key text primary key, n int not null);`,
      },
    ]);
    producer = new KafkaTransport({ brokers: kafkaBrokers, clientId: 'campusg-rebalance-producer', namespace, log });
    const spec: TopicSpec = { name: topic, description: 'rebalance test', partitions: PARTITIONS, retentionMs: 86_400_000 };
    await producer.ensureTopics([spec, { ...spec, name: `${topic}_dlq`, partitions: 1 }]);
  });

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    await producer?.close();
    await shared?.close();
    await fresh?.drop();
    await dropKafkaNamespace(kafkaBrokers, namespace, { clientId: 'campusg-rebalance-cleanup', timeoutMs: 5000 });
  });

  it('an instance leaving and another joining mid-load: every message has exactly one effect, per-key order kept', async () => {
    const db = await database();
    /** Records delivered to any instance (duplicates included): redeliveries are allowed, double effects are not. */
    let deliveries = 0;
    const closed = new Set<string>();
    const violations: string[] = [];
    /** B's death mid-load: after a batch is handled and before its offsets are committed. */
    const crash = { member: 'B', armed: false, batch: [] as string[], fired: new Deferred() };

    /** One instance of the service: its own Kafka client, pool, outbox and bus; same group and inbox. */
    async function instance(member: string): Promise<{ bus: MessageBus; sub: Subscription; transport: Transport }> {
      const transport = new KafkaTransport({ brokers: kafkaBrokers, clientId: `campusg-rebalance-${member}`, namespace, log });
      const subscribe = transport.subscribe.bind(transport);
      transport.subscribe = (options) =>
        subscribe({
          ...options,
          handleBatch: async (batch) => {
            deliveries += batch.length;
            await options.handleBatch(batch);
            if (crash.member === member && crash.armed) {
              // The worst moment to die: the batch's handling transactions committed, its offsets not.
              crash.armed = false;
              crash.batch = batch.map((r) => JSON.parse(r.value).message_id as string);
              crash.fired.resolve();
              throw new Error(`${member} dies after its handling transactions, before the offset commit`);
            }
          },
        });
      const mdb = await database();
      const outbox = new TableOutbox(mdb, SCHEMA, transport);
      const bus = new MessageBus({
        db: mdb,
        transport,
        outbox,
        schema: SCHEMA,
        source: 'rebalance-test',
        clock: systemClock,
        ids: randomIds,
        log,
        metrics: new Metrics({ defaultMetrics: false }),
        maxAttempts: 5,
        retryBaseMs: 20,
      });
      const sub = await bus.consume(GROUP, [topic], {
        'order.status_updated': async (m, { tx }) => {
          if (closed.has(member)) violations.push(`${member} handled ${m.message_id} after it left`);
          const key = m.payload.order_id;
          const [row] = await tx.query<{ n: number }>(
            `insert into ${SCHEMA}.counters (key, n) values ($1, 1)
             on conflict (key) do update set n = ${SCHEMA}.counters.n + 1 returning n`,
            [key],
          );
          await tx.query(
            `insert into ${SCHEMA}.effects (message_id, key, seq, member) values ($1, $2, $3, $4)
             on conflict (message_id) do update set times = ${SCHEMA}.effects.times + 1`,
            [m.message_id, key, row!.n, member],
          );
          await sleep(3); // some work in hand, so that a leave finds batches in flight
        },
      });
      cleanup.push(async () => {
        await bus.close();
        await transport.close();
      });
      return { bus, sub, transport };
    }

    const effects = async () => (await db.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.effects`))[0]!.n;

    const a = await instance('A');
    const b = await instance('B');
    await waitFor(
      () =>
        a.sub.assignment().length > 0 &&
        b.sub.assignment().length > 0 &&
        a.sub.assignment().length + b.sub.assignment().length === PARTITIONS,
      WAIT,
      'A and B to split the partitions',
    );

    // ~500 keyed messages, interleaved across keys, published over a few seconds
    const keys = Array.from({ length: KEYS }, () => crypto.randomUUID());
    const sent: { key: string; messageId: string }[] = [];
    for (let seq = 0; seq < PER_KEY; seq++) for (const key of keys) sent.push({ key, messageId: crypto.randomUUID() });
    // The last fifth (every key's last messages) is held back until C has joined, so C always finds
    // work in its partitions, however fast A drains what came before.
    const heldBack = Math.floor(sent.length * 0.8);
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        const records = sent.slice(i, Math.min(i + 10, to)).map(({ key, messageId }) => {
          const m = createMessage(
            'order.status_updated',
            { order_id: key, status: 'PLACED', previous_status: 'ACCEPTED', runner_id: null },
            { messageId, correlationId: crypto.randomUUID(), causationId: null, source: 'rebalance-test', timestamp: new Date() },
          );
          return { ...toRecord(m, key), topic };
        });
        await producer.publish(records);
        await sleep(40);
      }
    };
    const publishing = publish(0, heldBack);

    // B stops mid-load, at the worst moment: a batch handled but not committed. It leaves the group
    // (after the batches in hand); its partitions move to A, and the uncommitted batch comes again.
    await waitFor(async () => (await effects()) >= TOTAL * 0.25, WAIT, 'a quarter of the messages handled');
    crash.armed = true;
    await crash.fired.promise;
    const beforeLeave = await effects();
    await b.bus.close();
    closed.add('B');
    await b.transport.close();
    await waitFor(() => a.sub.assignment().length === PARTITIONS, WAIT, 'A to own every partition after B left');

    // C joins mid-load: the group rebalances again
    await waitFor(async () => (await effects()) >= TOTAL * 0.6, WAIT, '60% of the messages handled');
    const c = await instance('C');
    await waitFor(
      () => c.sub.assignment().length > 0 && a.sub.assignment().length + c.sub.assignment().length === PARTITIONS,
      WAIT,
      'A and C to split the partitions',
    );

    await publishing;
    await publish(heldBack, sent.length);
    await waitFor(async () => (await effects()) >= TOTAL, WAIT, `all ${TOTAL} effects`);
    await waitFor(async () => (await a.transport.lag(GROUP, [topic])).every((l) => l.lag === 0), WAIT, 'the group to commit everything');

    // exactly one effect per message, nothing lost, nothing extra
    const rows = await db.query<{ message_id: string; key: string; seq: number; member: string; times: number }>(
      `select message_id::text, key, seq, member, times from ${SCHEMA}.effects`,
    );
    expect(rows.length).toBe(TOTAL);
    expect(rows.filter((r) => r.times !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(sent.map((s) => s.messageId)));
    const counters = await db.query<{ key: string; n: number }>(`select key, n from ${SCHEMA}.counters`);
    expect(counters.length).toBe(KEYS);
    for (const c of counters) expect(c.n, `counter of ${c.key}`).toBe(PER_KEY);
    const inbox = await db.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.inbox where group_id = $1`, [GROUP]);
    expect(inbox[0]!.n).toBe(TOTAL);

    // per key, effects in publish order
    const bySeq = new Map(rows.map((r) => [r.message_id, r.seq]));
    for (const key of keys) {
      const published = sent.filter((s) => s.key === key).map((s) => s.messageId);
      const applied = [...published].sort((x, y) => bySeq.get(x)! - bySeq.get(y)!);
      expect(applied, `order of key ${key}`).toEqual(published);
    }

    // all three instances did work; B did none after it left
    const byMember = (m: string) => rows.filter((r) => r.member === m).length;
    expect(byMember('B')).toBeGreaterThan(0);
    expect(byMember('A')).toBeGreaterThan(0);
    expect(byMember('C')).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    // the batch B handled but never committed was delivered again — and had no second effect
    expect(crash.batch.length).toBeGreaterThan(0);
    expect(deliveries).toBeGreaterThanOrEqual(TOTAL + crash.batch.length);
    for (const id of crash.batch) expect(rows.find((r) => r.message_id === id)?.times).toBe(1);
    console.info(
      `rebalance: ${TOTAL} messages, ${deliveries} deliveries (${deliveries - TOTAL} redelivered, absorbed by the inbox); ` +
        `effects by A ${byMember('A')}, B ${byMember('B')} (left at ${beforeLeave} handled), C ${byMember('C')}`,
    );
  }, 120_000);
});
