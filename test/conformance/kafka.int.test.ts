import { subscribe as subscribeChannel, unsubscribe as unsubscribeChannel } from 'node:diagnostics_channel';
import type { TopicSpec } from '@campusg/contracts';
import type { ConsumedRecord, OutgoingRecord } from '@campusg/messaging';
import { KafkaTransport } from '@campusg/messaging/kafka';
import { createLogger, type Db, openPostgres } from '@campusg/platform';
import { Admin, type Consumer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKafkaNamespace, freshDatabase } from '../support/environment.ts';
import { describeWithKafka, kafkaBrokers } from '../support/kafka.ts';
import { Deferred, describeTransportConformance, waitFor } from './transport-conformance.ts';

// The Kafka transport against the real broker of KAFKA_BROKERS. Every run gets a namespace of its
// own (a prefix of every topic and group id), so runs never see each other's records or offsets.
// A restart closes the transport and opens a new one on the same broker and namespace.
const namespace = `conf${process.pid}${Date.now().toString(36)}.`;
/** The client's channel for every client it creates. */
const INSTANCES = 'plt:kafka:instances';
const log = createLogger({ level: process.env.KAFKA_TEST_LOG_LEVEL ?? 'fatal', name: 'kafka-conformance' });

const open = () =>
  new KafkaTransport({
    brokers: kafkaBrokers,
    clientId: 'campusg-conformance',
    namespace,
    log,
  });

describeWithKafka('kafka', {}, () => {
  describeTransportConformance('kafka', {
    capabilities: { replay: true },
    async create() {
      const transport = open();
      if (!(await transport.ping())) throw new Error(`no Kafka broker answers at KAFKA_BROKERS=${kafkaBrokers.join(',')}`);
      return transport;
    },
    async restart(transport) {
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
    // Joining a group and rebalancing it takes seconds on a real broker.
    waitTimeoutMs: 45_000,
    // The run's topics go away with it (groups expire on their own).
    cleanup: deleteTopics,
  });

  // Kafka-specific regressions (found while running the suite on the broker; both hold on the
  // embedded bus by construction).
  describe('kafka transport: offsets around a member going away', () => {
    let transport: KafkaTransport;
    beforeAll(() => {
      transport = open();
    });
    afterAll(async () => {
      await transport?.close();
      await deleteTopics();
    });
    const WAIT = 45_000;
    let n = 0;
    async function topic(): Promise<string> {
      const spec: TopicSpec = {
        name: `reg_${Date.now().toString(36)}_${n++}`,
        description: 'regression',
        partitions: 3,
        retentionMs: 86_400_000,
      };
      await transport.ensureTopics([spec]);
      return spec.name;
    }
    const recs = (t: string, prefix: string, count: number): OutgoingRecord[] =>
      Array.from({ length: count }, (_, i) => ({ topic: t, key: `k${i % 9}`, value: `${prefix}${i}`, headers: {} }));

    it('a group starting at the end keeps that start when its first member goes before any commit', async () => {
      // Kafka resolves a missing commit to the end *again* on every join: without the start
      // committed, the records the first member failed on would be skipped by the next one.
      const t = await topic();
      const group = `reg_${n}`;
      await transport.publish(recs(t, 'history-', 9));
      const failed: ConsumedRecord[] = [];
      const first = await transport.subscribe({
        groupId: group,
        topics: [t],
        fromBeginning: false,
        handleBatch: async (batch) => {
          failed.push(...batch);
          throw new Error('the first member never succeeds');
        },
      });
      let probe = 0;
      await waitFor(
        async () => {
          if (failed.length > 0) return true;
          await transport.publish([{ topic: t, key: `probe${probe}`, value: `probe-${probe++}`, headers: {} }]);
          return false;
        },
        WAIT,
        'the first member to fail on a record',
      );
      await first.close();

      const got: ConsumedRecord[] = [];
      const second = await transport.subscribe({
        groupId: group,
        topics: [t],
        fromBeginning: false,
        handleBatch: async (b) => void got.push(...b),
      });
      try {
        const failedValues = new Set(failed.map((r) => r.value));
        await waitFor(() => [...failedValues].every((v) => got.some((r) => r.value === v)), WAIT, 'the records the first member failed on');
        expect(got.filter((r) => r.value.startsWith('history-'))).toEqual([]);
      } finally {
        await second.close();
      }
    });

    it('a member that closes commits the batch it finishes: the next member does not get it again', async () => {
      // A member that is closing still commits what it handled before it leaves.
      const t = await topic();
      const group = `reg_${n}`;
      const gate = new Deferred();
      const entered = new Deferred();
      const handled: ConsumedRecord[] = [];
      const first = await transport.subscribe({
        groupId: group,
        topics: [t],
        handleBatch: async (batch) => {
          entered.resolve();
          await gate.promise;
          handled.push(...batch);
        },
      });
      const sent = recs(t, 'r-', 60);
      await transport.publish(sent);
      await entered.promise;
      const closing = first.close();
      gate.resolve();
      await closing;
      expect(handled.length).toBeGreaterThan(0);

      const got: ConsumedRecord[] = [];
      const second = await transport.subscribe({ groupId: group, topics: [t], handleBatch: async (b) => void got.push(...b) });
      try {
        // markers behind every key: once the second member has them, it has read past all the rest
        const markers = recs(t, 'marker-', 9);
        await transport.publish(markers);
        await waitFor(() => markers.every((m) => got.some((r) => r.value === m.value)), WAIT, 'the second member to read the markers');
        await waitFor(async () => (await transport.lag(group, [t])).every((l) => l.lag === 0), WAIT, 'the group to commit everything');
        expect(new Set([...handled, ...got].map((r) => r.value)).size).toBe(sent.length + markers.length);
        const handledByFirst = new Set(handled.map((r) => r.value));
        expect(got.filter((r) => handledByFirst.has(r.value)).map((r) => r.value)).toEqual([]);
      } finally {
        await second.close();
      }
    });

    it('describes a group as its coordinator sees it: state, members and the partitions each owns', async () => {
      const t = await topic();
      const group = `described_${n}`;
      const sub = await transport.subscribe({ groupId: group, topics: [t], handleBatch: async () => {} });
      try {
        await waitFor(() => sub.assignment().length === 3, WAIT, 'the member to be assigned every partition');
        const described = await transport.describeGroup(group);
        expect(described.state).toBe('Stable');
        expect(described.members).toHaveLength(1);
        expect(described.members[0]!.partitions.sort()).toEqual([`${t}:0`, `${t}:1`, `${t}:2`]);
      } finally {
        await sub.close();
      }
      expect((await transport.describeGroup(group)).members).toEqual([]);
    });

    it('a member whose group session ended (its heartbeat failed) gives way to a new consumer, which goes on handling', async () => {
      // The client sends no heartbeat again once one has failed past its retries (the coordinator
      // away), while the member's stream goes on fetching: left alone, such a member handles its old
      // partitions beside their next owner. The failure is signalled here as the client signals it,
      // on the consumer the transport created (test/faults/kafka-infra has the broker really stop).
      const t = await topic();
      const group = `session_${n}`;
      const consumers: Consumer[] = [];
      const created = (message: unknown) => {
        const { type, instance } = message as { type: string; instance: Consumer };
        if (type === 'consumer' && instance.groupId === `${namespace}${group}`) consumers.push(instance);
      };
      subscribeChannel(INSTANCES, created);
      const got: ConsumedRecord[] = [];
      const sub = await transport.subscribe({ groupId: group, topics: [t], handleBatch: async (b) => void got.push(...b) });
      const handled = (sent: OutgoingRecord[]) => sent.every((m) => got.some((r) => r.value === m.value));
      try {
        const before = recs(t, 'before-', 9);
        await transport.publish(before);
        await waitFor(() => handled(before), WAIT, 'the member to handle the first records');
        expect(consumers).toHaveLength(1);
        const lost = consumers[0]!;
        const lostMember = lost.memberId;
        lost.emit('consumer:heartbeat:error', {
          groupId: lost.groupId,
          memberId: lostMember,
          error: new Error('heartbeat failed 13 times.'),
        });
        await waitFor(() => lost.closed && consumers.length === 2, WAIT, 'a new consumer in place of the one whose session ended');
        const after = recs(t, 'after-', 9);
        await transport.publish(after);
        await waitFor(() => handled(after), WAIT, 'the new consumer to handle the records published after');
        const described = await transport.describeGroup(group);
        expect(described.members.map((m) => m.memberId)).toEqual([consumers[1]!.memberId]);
        expect(described.members[0]!.memberId).not.toBe(lostMember);
      } finally {
        unsubscribeChannel(INSTANCES, created);
        await sub.close();
      }
    });

    it('an ephemeral subscription has a group of its own on the broker, deleted when it closes', async () => {
      const t = await topic();
      const name = `live_${n}`;
      const got: ConsumedRecord[] = [];
      const sub = await transport.subscribe({ groupId: name, topics: [t], ephemeral: true, handleBatch: async (b) => void got.push(...b) });
      const admin = new Admin({ clientId: 'campusg-conformance-groups', bootstrapBrokers: kafkaBrokers });
      const mine = async () => [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(`${namespace}${name}.`));
      try {
        expect(await mine()).toHaveLength(1);
        await transport.publish(recs(t, 'e-', 9));
        await waitFor(() => got.length >= 9, WAIT, 'the ephemeral subscriber to get the records');
        await sub.close();
        expect(await mine()).toEqual([]);
      } finally {
        await admin.close();
      }
    });
  });
});

async function deleteTopics(): Promise<void> {
  await dropKafkaNamespace(kafkaBrokers, namespace, { clientId: 'campusg-conformance-cleanup', timeoutMs: 5000 });
}
