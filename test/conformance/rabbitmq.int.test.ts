import { dlqTopic, type TopicSpec, topicCatalog } from '@campusg/contracts';
import { type ConsumedRecord, partitionFor, type Transport } from '@campusg/messaging';
import { RabbitMqTransport } from '@campusg/messaging/rabbitmq';
import { createLogger, type Db, openPostgres } from '@campusg/platform';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/environment.ts';
import { amqpUrl, closeConnections, describeWithRabbitMq, localRabbitmqctl } from '../support/rabbitmq.ts';
import { describeTransportConformance, waitFor } from './transport-conformance.ts';

// The RabbitMQ transport against the real broker of AMQP_URL. Every run gets a namespace of its own
// (a prefix of every exchange and queue), so runs never see each other's messages; what a run
// declared is deleted at its end. A restart closes the transport and opens a new one on the same
// broker and namespace.
const namespace = `conf${process.pid}${Date.now().toString(36)}.`;
const log = createLogger({ level: process.env.RABBITMQ_TEST_LOG_LEVEL ?? 'fatal', name: 'rabbitmq-conformance' });
/** `RABBITMQ_TEST_QUEUE_TYPE=quorum` runs everything on quorum queues (default: classic). */
const queueType = process.env.RABBITMQ_TEST_QUEUE_TYPE === 'quorum' ? 'quorum' : 'classic';

/** Every queue and exchange any transport of this file declared: deleted at the end. */
const declared = { exchanges: new Set<string>(), queues: new Set<string>() };
const remember = (t: RabbitMqTransport) => {
  const names = t.topology();
  for (const x of names.exchanges) declared.exchanges.add(x);
  for (const q of names.queues) declared.queues.add(q);
};
const opened: RabbitMqTransport[] = [];
const open = (ns = namespace, options: Partial<ConstructorParameters<typeof RabbitMqTransport>[0]> = {}) => {
  const t = new RabbitMqTransport({ url: amqpUrl, namespace: ns, log, queueType, connectTimeoutMs: 10_000, ...options });
  opened.push(t);
  return t;
};
async function deleteEverything(): Promise<void> {
  for (const t of opened) remember(t);
  if (declared.queues.size + declared.exchanges.size === 0) return;
  const t = new RabbitMqTransport({ url: amqpUrl, log, connectTimeoutMs: 10_000 });
  try {
    await t.deleteTopology({ exchanges: [...declared.exchanges], queues: [...declared.queues] });
  } finally {
    await t.close();
  }
}

const random = () => Math.random().toString(36).slice(2, 10);

describeWithRabbitMq('rabbitmq', () => {
  describeTransportConformance('rabbitmq', {
    // RabbitMQ keeps no history: an acknowledged message is gone, a new group starts empty.
    capabilities: { replay: false },
    async create() {
      const transport = open();
      if (!(await transport.ping())) throw new Error(`no RabbitMQ broker answers at AMQP_URL=${amqpUrl}`);
      return transport;
    },
    async restart(transport: Transport) {
      await transport.close();
      return open();
    },
    // The dead-letter test's inbox/outbox: a fresh PostgreSQL database when there is a server (the
    // production pairing), else the suite's default in-memory PGlite.
    db: process.env.DATABASE_URL
      ? async (): Promise<Db> => {
          const fresh = await freshDatabase(process.env.DATABASE_URL!);
          const db = openPostgres(fresh.url, { max: 4, applicationName: 'campusg-conformance' });
          return {
            ...db,
            async close() {
              await db.close();
              await fresh.drop();
            },
          };
        }
      : undefined,
    waitTimeoutMs: 20_000,
    cleanup: deleteEverything,
  });

  describe('rabbitmq transport: topology, dead-lettering through the DLX, reconnects', () => {
    const ns = `${namespace}x.`;
    let transport: RabbitMqTransport;
    const ctl = localRabbitmqctl();

    beforeAll(async () => {
      transport = open(ns, { groups: { 'order-service': ['order_commands'], 'notification-service': ['order_commands', 'order_events'] } });
      await transport.ensureTopics(topicCatalog());
    });
    afterAll(async () => {
      await transport?.close();
      await deleteEverything();
    });

    /** A raw amqplib connection, to look at the broker from outside the transport. */
    async function raw() {
      const conn = await connect(amqpUrl);
      const ch = await conn.createChannel();
      return { conn, ch, close: () => conn.close().catch(() => {}) };
    }

    it('maps topic + type to an exchange and a routing key <topic>.<shard>.<type>; persistent messages', async () => {
      const r = await raw();
      try {
        const { queue } = await r.ch.assertQueue('', { exclusive: true });
        await r.ch.bindQueue(queue, `${ns}command_exchange`, 'order_commands.#');
        await r.ch.bindQueue(queue, `${ns}event_exchange`, 'order_events.#');
        const got: { exchange: string; routingKey: string; persistent: boolean; key: unknown }[] = [];
        await r.ch.consume(queue, (m) => {
          if (m)
            got.push({
              exchange: m.fields.exchange,
              routingKey: m.fields.routingKey,
              persistent: m.properties.deliveryMode === 2,
              key: m.properties.headers?.['x-campusg-key'],
            });
        });
        const key = crypto.randomUUID();
        await transport.publish([
          { topic: 'order_commands', key, value: '{}', headers: { type: 'accept_order', message_id: crypto.randomUUID() } },
          { topic: 'order_events', key, value: '{}', headers: { type: 'order.created', message_id: crypto.randomUUID() } },
        ]);
        await waitFor(() => got.length === 2, 10_000, 'both messages on the raw queue');
        expect(got).toEqual([
          {
            exchange: `${ns}command_exchange`,
            routingKey: `order_commands.${partitionFor('order_commands', key, 3)}.accept_order`,
            persistent: true,
            key,
          },
          {
            exchange: `${ns}event_exchange`,
            routingKey: `order_events.${partitionFor('order_events', key, 3)}.order.created`,
            persistent: true,
            key,
          },
        ]);
      } finally {
        await r.close();
      }
    });

    it('declares the consumer groups’ durable shard queues up front: what is published before a service starts waits for it', async () => {
      const r = await raw();
      try {
        for (let s = 0; s < 3; s++) {
          await r.ch.checkQueue(`${ns}order-service.order_commands.${s}`);
          await r.ch.checkQueue(`${ns}notification-service.order_events.${s}`);
        }
        for (const t of topicCatalog().filter((t) => t.name.endsWith('_dlq'))) await r.ch.checkQueue(`${ns}${t.name}`);
        // nobody of order-service has run yet, and its queue holds the command
        const key = crypto.randomUUID();
        const shard = partitionFor('order_commands', key, 3);
        const before = (await r.ch.checkQueue(`${ns}order-service.order_commands.${shard}`)).messageCount;
        await transport.publish([{ topic: 'order_commands', key, value: '{"early":true}', headers: { type: 'cancel_order' } }]);
        await waitFor(
          async () => (await r.ch.checkQueue(`${ns}order-service.order_commands.${shard}`)).messageCount === before + 1,
          10_000,
          'the command in the queue of order-service',
        );
        const received: ConsumedRecord[] = [];
        const sub = await transport.subscribe({
          groupId: 'order-service',
          topics: ['order_commands'],
          handleBatch: async (batch) => {
            received.push(...batch);
          },
        });
        await waitFor(() => received.some((x) => x.key === key), 10_000, 'the early command delivered to the service that started late');
        await sub.close();
      } finally {
        await r.close();
      }
    });

    it('deletes the queues a declared group kept for a topic it no longer reads when it joins, and keeps those it reads', async () => {
      const r = await raw();
      try {
        // order-service read order_events once (its queues are there, one holding a message); it reads only order_commands now.
        const stale = [0, 1, 2].flatMap((s) => [`${ns}order-service.order_events.${s}`, `${ns}order-service.order_events.${s}.committed`]);
        for (const q of stale) await r.ch.assertQueue(q, { durable: true });
        r.ch.sendToQueue(stale[0]!, Buffer.from('left behind'), { persistent: true });
        await waitFor(async () => (await r.ch.checkQueue(stale[0]!)).messageCount === 1, 10_000, 'the message in the stale queue');
        const sub = await transport.subscribe({ groupId: 'order-service', topics: ['order_commands'], handleBatch: async () => {} });
        await sub.close();
        for (const q of stale) {
          const ch = await r.conn.createChannel();
          ch.on('error', () => {});
          await expect(ch.checkQueue(q), q).rejects.toThrow(/NOT_FOUND/);
        }
        for (let s = 0; s < 3; s++) await r.ch.checkQueue(`${ns}order-service.order_commands.${s}`);
      } finally {
        await r.close();
      }
    });

    it('dead-letters through the DLX into <topic>_dlq with the reason (a message nobody took within retention)', async () => {
      const topic = `dl_${random()}`;
      const dlq = dlqTopic(topic);
      await transport.ensureTopics([{ name: topic, description: 'short retention', partitions: 2, retentionMs: 300 } satisfies TopicSpec]);
      const group = `g_${random()}`;
      const deadLetters: ConsumedRecord[] = [];
      const watcher = await transport.subscribe({
        groupId: `w_${random()}`,
        topics: [dlq],
        handleBatch: async (b) => void deadLetters.push(...b),
      });
      // the group exists (its queues do) but nobody consumes: the messages expire after 300 ms
      await (await transport.subscribe({ groupId: group, topics: [topic], handleBatch: async () => {} })).close();
      const sent = ['a', 'b', 'c'].map((k) => ({ topic, key: k, value: `value-${k}`, headers: { type: 'thing.happened', 'conf-id': k } }));
      await transport.publish(sent);
      await waitFor(() => deadLetters.length >= 3, 15_000, 'three dead letters');
      await watcher.close();
      for (const s of sent) {
        const d = deadLetters.find((x) => x.headers['conf-id'] === s.headers['conf-id'])!;
        expect(d.topic).toBe(dlq);
        expect(d.key).toBe(s.key);
        expect(d.value).toBe(s.value);
        expect(d.headers['dlq-reason']).toBe('EXPIRED');
        expect(d.headers['dlq-error']).toContain(`${ns}${group}.${topic}.`);
        expect(d.headers['dlq-original-topic']).toBe(topic);
        expect(d.headers['dlq-original-partition']).toBe(String(partitionFor(topic, s.key, 2)));
        expect(d.headers['dlq-group']).toBe(group);
        expect(d.headers.type).toBe('thing.happened');
      }
      // the <topic>_dlq queue keeps them for operators; read() peeks without taking them
      const first = await transport.read(dlq, 0, 0, 10);
      expect(first.map((x) => x.headers['conf-id']).sort()).toEqual(['a', 'b', 'c']);
      expect(first.every((x) => x.headers['dlq-reason'] === 'EXPIRED')).toBe(true);
      expect((await transport.read(dlq, 0, 1, 10)).length).toBe(2);
      expect((await transport.read(dlq, 0, 0, 10)).length).toBe(3);
      expect((await transport.lag(group, [topic])).reduce((n, l) => n + l.lag, 0)).toBe(0);
      // and it says plainly that there is no history of the other topics
      await expect(transport.read(topic, 0, 0, 10)).rejects.toThrow(/keeps no history/);
    });

    it('two instances of one group on two connections split the shards, and one leaving hands its shards over', async () => {
      const spec: TopicSpec = { name: `two_${random()}`, description: 'two instances', partitions: 4, retentionMs: 86_400_000 };
      await transport.ensureTopics([spec]);
      const other = open(ns);
      await other.ensureTopics([spec]);
      const group = `g_${random()}`;
      const got = { a: [] as ConsumedRecord[], b: [] as ConsumedRecord[] };
      const a = await transport.subscribe({ groupId: group, topics: [spec.name], handleBatch: async (x) => void got.a.push(...x) });
      const b = await other.subscribe({ groupId: group, topics: [spec.name], handleBatch: async (x) => void got.b.push(...x) });
      try {
        await waitFor(
          () => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 4,
          10_000,
          'the two instances to split four shards',
        );
        expect(new Set([...a.assignment(), ...b.assignment()]).size).toBe(4);
        const sent = Array.from({ length: 40 }, (_, i) => ({ topic: spec.name, key: `k${i}`, value: `v${i}`, headers: {} }));
        await transport.publish(sent);
        await waitFor(() => got.a.length + got.b.length === 40, 10_000, 'the group to handle 40');
        for (const r of got.a) expect(a.assignment()).toContain(`${r.topic}:${r.partition}`);
        for (const r of got.b) expect(b.assignment()).toContain(`${r.topic}:${r.partition}`);
        await b.close();
        await waitFor(() => a.assignment().length === 4, 10_000, 'the remaining instance to own every shard');
        await other.publish(sent.map((r) => ({ ...r, value: `again-${r.value}` })));
        await waitFor(
          () => got.a.filter((r) => r.value.startsWith('again-')).length === 40,
          10_000,
          'the remaining instance to handle 40 more',
        );
      } finally {
        await a.close();
        await b.close();
        await other.close();
      }
    });

    it.skipIf(!ctl)(
      `reconnects after the broker drops the connection, declares its topology again and resumes${ctl ? '' : ' (needs rabbitmqctl of a local broker)'}`,
      async () => {
        const topic = `rc_${random()}`;
        await transport.ensureTopics([{ name: topic, description: 'reconnect', partitions: 3, retentionMs: 86_400_000 }]);
        const got: ConsumedRecord[] = [];
        const sub = await transport.subscribe({ groupId: `g_${random()}`, topics: [topic], handleBatch: async (b) => void got.push(...b) });
        const live: ConsumedRecord[] = [];
        const ephemeral = await transport.subscribe({
          groupId: `live_${random()}`,
          topics: [topic],
          ephemeral: true,
          handleBatch: async (b) => void live.push(...b),
        });
        const batch = (phase: string) =>
          Array.from({ length: 30 }, (_, i) => ({
            topic,
            key: `k${i % 6}`,
            value: `${phase}-${i}`,
            headers: { type: 'thing.happened', seq: String(i) },
          }));
        await transport.publish(batch('before'));
        await waitFor(() => got.length >= 30, 10_000, 'the first 30');

        // A broker that lost its definitions: the event exchange (and with it every binding) is gone.
        const r = await raw();
        await r.ch.deleteExchange(`${ns}event_exchange`);
        await r.close();
        expect(closeConnections(ctl!, transport.connectionName)).toBeGreaterThan(0);

        // publish waits for the new connection; the topology is declared again before it is used
        await transport.publish(batch('after'));
        await waitFor(() => got.filter((x) => x.value.startsWith('after-')).length >= 30, 20_000, 'the 30 published after the reconnect');
        const after = got.filter((x) => x.value.startsWith('after-'));
        for (let k = 0; k < 6; k++) {
          const seqs = after.filter((x) => x.key === `k${k}`).map((x) => Number(x.headers.seq));
          const firsts = seqs.filter((s, i) => seqs.indexOf(s) === i);
          expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
        }
        // The ephemeral subscription lost its queues with the connection and declares new ones on
        // the next: what was published in between is not for it, and once a probe gets through, all is.
        expect(live.filter((x) => x.value.startsWith('before-'))).toHaveLength(30);
        let probe = 0;
        await waitFor(
          async () => {
            if (live.some((x) => x.value.startsWith('probe-'))) return true;
            await transport.publish([{ topic, key: 'p', value: `probe-${probe++}`, headers: { type: 'thing.happened' } }]);
            return false;
          },
          20_000,
          'the ephemeral subscription to consume again',
        );
        await transport.publish(batch('later'));
        await waitFor(
          () => live.filter((x) => x.value.startsWith('later-')).length === 30,
          10_000,
          'the ephemeral subscription to get 30 more',
        );
        await ephemeral.close();
        await sub.close();
      },
      60_000,
    );

    it.skipIf(!ctl || process.env.CAMPUSG_RABBITMQ_BROKER_RESTART !== '1')(
      `survives a restart of the broker: persistent messages in durable queues wait, the consumer comes back${
        ctl && process.env.CAMPUSG_RABBITMQ_BROKER_RESTART === '1'
          ? ''
          : ' (opt-in: CAMPUSG_RABBITMQ_BROKER_RESTART=1 and rabbitmqctl of a local broker)'
      }`,
      async () => {
        const topic = `br_${random()}`;
        await transport.ensureTopics([{ name: topic, description: 'broker restart', partitions: 3, retentionMs: 86_400_000 }]);
        const group = `g_${random()}`;
        const got: ConsumedRecord[] = [];
        let hold = true;
        const sub = await transport.subscribe({
          groupId: group,
          topics: [topic],
          handleBatch: async (b) => {
            if (hold) throw new Error('not yet');
            got.push(...b);
          },
        });
        const sent = Array.from({ length: 40 }, (_, i) => ({
          topic,
          key: `k${i % 8}`,
          value: `m-${i}`,
          headers: { type: 'thing.happened' },
        }));
        await transport.publish(sent);
        try {
          ctl!('stop_app');
        } finally {
          ctl!('start_app');
        }
        hold = false;
        await waitFor(() => new Set(got.map((x) => x.value)).size === 40, 60_000, 'every message after the broker restart');
        await sub.close();
      },
      120_000,
    );
  });
});
