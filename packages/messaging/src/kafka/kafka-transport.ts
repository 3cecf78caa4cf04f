import type { TopicSpec } from '@campusg/contracts';
import {
  Admin,
  type BaseOptions,
  Consumer,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  type SASLMechanismValue,
  stringSerializers,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import {
  type ConsumedRecord,
  type GroupLag,
  keptOpen,
  type OutgoingRecord,
  type ResetTarget,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '../transport.ts';
import { subscribeEphemeral } from './ephemeral-consumer.ts';
import { hasErrorType } from './error-types.ts';
import { type GroupMember, joinGroup } from './group-consumer.ts';
import { resetOffsets } from './group-reset.ts';
import { readPartition } from './read-partition.ts';
import { SendQueue } from './send-queue.ts';
import type { StreamContext } from './stream-member.ts';
import { topicBounds } from './topic-offsets.ts';
import { untilSettled } from './until-settled.ts';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  replicationFactor?: number;
  log: Logger;
  /**
   * Prefixes every topic and group id on the broker, so several deployments (or test runs) can
   * share one cluster; callers keep using the catalogue's names.
   */
  namespace?: string;
}

/** How long `ensureTopics` waits for a new topic's partitions to have leaders. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * The Kafka transport (`@platformatic/kafka`): an idempotent producer with acks=all, publishing one
 * request at a time with whatever is ready (`SendQueue`); consumer groups that hand each read on as
 * one batch per partition and commit offsets only after the batch's handling transaction (without
 * holding up the next read, coalesced while a commit is in flight); topics created from the
 * catalogue with broker auto-creation off; a failed consumer stream opened again.
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka' as const;
  readonly capabilities = { replay: true };
  readonly #client: BaseOptions;
  #producer: Producer<string, string, string, string>;
  readonly #queue: SendQueue;
  readonly #admin: Admin;
  /** Reads partitions and offsets without joining a group. */
  readonly #reader: Consumer;
  readonly #members = new Set<GroupMember>();
  readonly #ephemeral = new Set<Subscription>();
  readonly #opts: KafkaTransportOptions;
  readonly #ns: string;

  constructor(options: KafkaTransportOptions) {
    this.#opts = options;
    this.#ns = options.namespace ?? '';
    this.#client = {
      clientId: options.clientId,
      bootstrapBrokers: options.brokers,
      ...(options.ssl ? { tls: {} } : {}),
      ...(options.sasl
        ? {
            sasl: {
              mechanism: options.sasl.mechanism.toUpperCase() as SASLMechanismValue,
              username: options.sasl.username,
              password: options.sasl.password,
            },
          }
        : {}),
      retries: 12,
      retryDelay: 250,
      autocreateTopics: false,
    };
    this.#producer = this.#newProducer();
    this.#queue = new SendQueue((records) => this.#send(records));
    this.#admin = new Admin(this.#client);
    this.#reader = new Consumer({ ...this.#client, clientId: `${options.clientId}-reader`, groupId: `${this.#ns}campusg-reader` });
  }

  #newProducer(): Producer<string, string, string, string> {
    // The same murmur2 placement as the embedded bus (Kafka's Java client): a key lands on the same
    // partition on every transport.
    return new Producer({
      ...this.#client,
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
  }

  #topic = (name: string) => this.#ns + name;
  #local = (name: string) => (this.#ns && name.startsWith(this.#ns) ? name.slice(this.#ns.length) : name);

  #streams(): StreamContext {
    return { client: this.#client, namespace: this.#ns, local: this.#local, log: this.#opts.log };
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return untilSettled(() => this.#ensureTopics(topics), this.#opts.log, 'creating the topics');
  }

  async #ensureTopics(topics: TopicSpec[]): Promise<void> {
    topics = topics.map((t) => ({ ...t, name: this.#topic(t.name) }));
    const existing = new Set(await this.#admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    for (const t of missing) {
      await this.#admin
        .createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: this.#opts.replicationFactor ?? 1,
          configs: [{ name: 'retention.ms', value: String(t.retentionMs) }],
        })
        .catch((err) => {
          // Another process created it meanwhile.
          if (!hasErrorType(err, TOPIC_EXISTS)) throw err;
        });
    }
    // A catalogue that asks for more partitions than a topic has grows it (Kafka never shrinks one).
    const metadata = await this.#admin.metadata({ topics: topics.map((t) => t.name), forceUpdate: true });
    const grow = topics
      .map((t) => ({ name: t.name, have: metadata.topics.get(t.name)?.partitionsCount ?? 0, want: t.partitions }))
      .filter((g) => g.want > g.have);
    if (grow.length > 0) await this.#admin.createPartitions({ topics: grow.map((g) => ({ name: g.name, count: g.want })) });
    if (missing.length > 0 || grow.length > 0) await this.#leadersOf(topics.map((t) => t.name));
  }

  /** Waits until every partition of `topics` has a leader (a topic created a moment ago has none yet). */
  async #leadersOf(topics: string[]): Promise<void> {
    const deadline = Date.now() + LEADERS_TIMEOUT_MS;
    for (;;) {
      const metadata = await this.#admin.metadata({ topics, forceUpdate: true });
      const led = topics.every((t) => {
        const m = metadata.topics.get(t);
        return m !== undefined && m.partitions.length === m.partitionsCount && m.partitions.every((p) => p.leader >= 0);
      });
      if (led) return;
      if (Date.now() > deadline) throw new Error(`kafka: the partitions of ${topics.join(', ')} have no leader yet`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#queue.publish(records);
  }

  async #send(records: OutgoingRecord[]): Promise<void> {
    const producer = this.#producer;
    try {
      await producer.send({
        messages: records.map((r) => ({ topic: this.#topic(r.topic), key: r.key, value: r.value, headers: r.headers })),
      });
    } catch (err) {
      // After a send whose outcome was lost (the broker restarting mid-request) an idempotent
      // producer's sequence numbers may no longer match the broker's, and every later send would
      // fail the same way: the outbox would never drain. A fresh producer (a new producer id,
      // sequences from 0) sends again; a batch that did land before is absorbed by the consumers' inbox.
      if (this.#producer === producer && hasErrorType(err, PRODUCER_STATE_LOST)) {
        this.#opts.log.warn({ err }, 'kafka: idempotent producer out of step with the broker; renewing it');
        this.#producer = this.#newProducer();
        void producer.close().catch(() => {});
      }
      throw err;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (options.ephemeral) return keptOpen(this.#ephemeral, await subscribeEphemeral({ ...this.#streams(), admin: this.#admin }, options));
    return keptOpen(this.#members, await joinGroup(this.#streams(), options));
  }

  read(localTopic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    return readPartition(this.#reader, this.#admin, this.#ns, { localTopic, partition, fromOffset, limit });
  }

  async lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    const [offsets] = await this.#admin.listConsumerGroupOffsets({ groups: [this.#ns + groupId] });
    const committed = new Map<string, number>();
    for (const t of offsets?.topics ?? [])
      for (const p of t.partitions) committed.set(`${t.name}:${p.partitionIndex}`, Number(p.committedOffset));
    const out: GroupLag[] = [];
    for (const topic of topics) {
      for (const b of await topicBounds(this.#admin, this.#topic(topic))) {
        const at = committed.get(`${this.#topic(topic)}:${b.partition}`) ?? -1;
        const c = at < 0 ? b.low : at;
        out.push({ groupId, topic, partition: b.partition, committed: c, end: b.high, lag: Math.max(0, b.high - c) });
      }
    }
    return out;
  }

  /**
   * The group as its coordinator sees it: its state (`Stable`, `PreparingRebalance`, …) and each
   * member with the partitions (`topic:partition`) assigned to it. For an operator, or a test, asking
   * why a group's lag stays.
   */
  async describeGroup(
    groupId: string,
  ): Promise<{ state: string; members: { memberId: string; clientHost: string; partitions: string[] }[] }> {
    const group = (await this.#admin.describeGroups({ groups: [this.#ns + groupId] })).get(this.#ns + groupId);
    const members = [...(group?.members.values() ?? [])].map((m) => ({
      memberId: m.id,
      clientHost: m.clientHost,
      partitions: [...(m.assignments?.values() ?? [])].flatMap((a) => a.partitions.map((p) => `${this.#local(a.topic)}:${p}`)),
    }));
    return { state: group ? kafkaStateName(group.state) : 'Unknown', members };
  }

  /** Kafka refuses while the group has members (a live consumer anywhere): close its consumers first. */
  async resetGroup(groupId: string, topics: string[], to: ResetTarget): Promise<void> {
    for (const topic of topics.map(this.#topic)) {
      const partitions = await resetOffsets(this.#admin, topic, to);
      await untilSettled(
        () =>
          this.#admin.alterConsumerGroupOffsets({
            groupId: this.#ns + groupId,
            topics: [{ name: topic, partitionOffsets: partitions.map((p) => ({ partition: p.partition, offset: BigInt(p.offset) })) }],
          }),
        this.#opts.log,
        `resetting ${groupId}`,
      );
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#admin.metadata({ topics: [], forceUpdate: true });
      return true;
    } catch {
      return false;
    }
  }

  /** OffsetCommit requests the consumers sent (a measure of broker work). */
  offsetCommitRequests(): number {
    let n = 0;
    for (const m of this.#members) n += m.commitRequests();
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#ephemeral].map((s) => s.close().catch(() => {})));
    this.#ephemeral.clear();
    await Promise.all([...this.#members].map((m) => m.close().catch(() => {})));
    this.#members.clear();
    await Promise.all([this.#producer.close(), this.#admin.close(), this.#reader.close()].map((p) => p.catch(() => {})));
  }
}

/** A topic another process created between the look-up and the request. */
const TOPIC_EXISTS = new Set(['TOPIC_ALREADY_EXISTS']);

/** Errors after which an idempotent producer's state no longer matches the broker's. */
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** A group state in Kafka's own spelling (`PREPARING_REBALANCE` → `PreparingRebalance`), as its tools print it. */
function kafkaStateName(state: string): string {
  return state
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
