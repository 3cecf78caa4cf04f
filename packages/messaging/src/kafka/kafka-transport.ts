import type { TopicSpec } from '@campusg/contracts';
import kafkajs, { type Admin, type Kafka, type Producer, type SASLOptions } from 'kafkajs';
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
import { untilSettled } from './until-settled.ts';

const { Kafka: KafkaClient, logLevel, CompressionTypes, Partitioners } = kafkajs;

/**
 * kafkajs warns that bounded producer retries weaken its exactly-once sequence; here a publish that
 * gives up is retried by the outbox relay and any duplicate is absorbed by the consumers' inbox.
 */
const EXPECTED_WARNINGS = /Limiting retries for the idempotent producer/;

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  replicationFactor?: number;
  log: Logger;
  /**
   * Partitions of one member handed over at once (each partition stays sequential). The bus
   * handles the batches of one fetch as one round, in lanes of its own: the default covers every
   * partition a member reads at three a topic (the notification group reads ten topics).
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Prefixes every topic and group id on the broker, so several deployments (or test runs) can
   * share one cluster; callers keep using the catalogue's names.
   */
  namespace?: string;
}

/**
 * The Kafka transport (kafkajs): an idempotent producer with acks=all, consumer groups that commit
 * offsets only after the batch's handling transaction (without holding up the next fetch, coalesced
 * while a commit is in flight), topics created from the catalogue with
 * broker auto-creation off, reconnects handled by the client's retry and restart-on-failure.
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka' as const;
  readonly capabilities = { replay: true };
  readonly #kafka: Kafka;
  #producer: Producer;
  readonly #admin: Admin;
  readonly #members = new Set<GroupMember>();
  readonly #ephemeral = new Set<Subscription>();
  readonly #opts: KafkaTransportOptions;
  #connected: Promise<void> | undefined;
  readonly #ns: string;

  constructor(options: KafkaTransportOptions) {
    this.#opts = options;
    this.#ns = options.namespace ?? '';
    const log = options.log;
    this.#kafka = new KafkaClient({
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl as SASLOptions | undefined,
      retry: { initialRetryTime: 100, retries: 12, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }) => {
          const { message, ...rest } = entry;
          if (EXPECTED_WARNINGS.test(message)) return;
          // A rebalance is routine (an instance joined or left); kafkajs reports it as an error.
          if (/rebalanc/i.test(message)) return void log.info(rest, `kafka: ${message}`);
          if (level <= logLevel.ERROR) log.error(rest, `kafka: ${message}`);
          else log.warn(rest, `kafka: ${message}`);
        },
    });
    this.#producer = this.#newProducer();
    this.#admin = this.#kafka.admin();
  }

  #newProducer(): Producer {
    // The same murmur2 partitioner as the embedded bus: a key lands on the same partition on both.
    return this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  #topic = (name: string) => this.#ns + name;
  #local = (name: string) => (this.#ns && name.startsWith(this.#ns) ? name.slice(this.#ns.length) : name);

  #connect(): Promise<void> {
    // A failed connect is not remembered: the next call tries again (a broker that was down at start).
    this.#connected ??= Promise.all([this.#producer.connect(), this.#admin.connect()]).then(
      () => undefined,
      (err) => {
        this.#connected = undefined;
        throw err;
      },
    );
    return this.#connected;
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return untilSettled(() => this.#ensureTopics(topics), this.#opts.log, 'creating the topics');
  }

  async #ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.#connect();
    topics = topics.map((t) => ({ ...t, name: this.#topic(t.name) }));
    const existing = new Set(await this.#admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await this.#admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: this.#opts.replicationFactor ?? 1,
          configEntries: [{ name: 'retention.ms', value: String(t.retentionMs) }],
        })),
      });
    }
    // A catalogue that asks for more partitions than a topic has grows it (Kafka never shrinks one).
    const metadata = await this.#admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    const grow = metadata.topics
      .map((m) => ({ topic: m.name, have: m.partitions.length, want: topics.find((t) => t.name === m.name)!.partitions }))
      .filter((g) => g.want > g.have);
    if (grow.length > 0) await this.#admin.createPartitions({ topicPartitions: grow.map((g) => ({ topic: g.topic, count: g.want })) });
  }

  async publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#connect();
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const r of records) {
      const topic = this.#topic(r.topic);
      const list = byTopic.get(topic);
      if (list) list.push(r);
      else byTopic.set(topic, [r]);
    }
    const producer = this.#producer;
    try {
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    } catch (err) {
      // kafkajs never resets an idempotent producer's sequence numbers: after a send whose outcome it
      // lost (the broker restarting mid-request) every later send fails with OUT_OF_ORDER_SEQUENCE_NUMBER,
      // for ever, and the outbox would never drain. A fresh producer (a new producer id, sequences
      // from 0) sends again; a batch that did land before is absorbed by the consumers' inbox.
      if (this.#producer === producer && hasErrorType(err, PRODUCER_STATE_LOST)) {
        this.#opts.log.warn({ err }, 'kafka: idempotent producer out of step with the broker; renewing it');
        this.#producer = this.#newProducer();
        this.#connected = undefined;
        void producer.disconnect().catch(() => {});
      }
      throw err;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (options.ephemeral) return this.#subscribeEphemeral(options);
    const member = await joinGroup(
      {
        kafka: this.#kafka,
        namespace: this.#ns,
        local: this.#local,
        log: this.#opts.log,
        partitionsConsumedConcurrently: this.#opts.partitionsConsumedConcurrently ?? PARTITIONS_AT_ONCE,
      },
      options,
    );
    return keptOpen(this.#members, member);
  }

  async #subscribeEphemeral(options: SubscribeOptions): Promise<Subscription> {
    await this.#connect();
    const sub = await subscribeEphemeral(
      { kafka: this.#kafka, admin: this.#admin, namespace: this.#ns, local: this.#local, log: this.#opts.log },
      options,
    );
    return keptOpen(this.#ephemeral, sub);
  }

  async read(localTopic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    await this.#connect();
    return readPartition(this.#kafka, this.#admin, this.#ns, { localTopic, partition, fromOffset, limit });
  }

  async lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    await this.#connect();
    const committed = await this.#admin.fetchOffsets({ groupId: this.#ns + groupId, topics: topics.map(this.#topic) });
    const out: GroupLag[] = [];
    for (const t of committed) {
      const ends = await this.#admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition);
        const high = Number(end?.high ?? 0);
        const c = Number(p.offset) < 0 ? Number(end?.low ?? 0) : Number(p.offset);
        out.push({ groupId, topic: this.#local(t.topic), partition: p.partition, committed: c, end: high, lag: Math.max(0, high - c) });
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
    await this.#connect();
    const { groups } = await this.#admin.describeGroups([this.#ns + groupId]);
    const group = groups[0];
    const members = (group?.members ?? []).map((m) => {
      const decoded = m.memberAssignment.length > 0 ? kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      const partitions = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, ps]) => ps.map((p) => `${this.#local(topic)}:${p}`));
      return { memberId: m.memberId, clientHost: m.clientHost, partitions };
    });
    return { state: group?.state ?? 'Unknown', members };
  }

  /** Kafka refuses while the group has members (a live consumer anywhere): close its consumers first. */
  async resetGroup(groupId: string, topics: string[], to: ResetTarget): Promise<void> {
    await this.#connect();
    for (const topic of topics.map(this.#topic)) {
      const partitions = await resetOffsets(this.#admin, topic, to);
      await untilSettled(
        () => this.#admin.setOffsets({ groupId: this.#ns + groupId, topic, partitions }),
        this.#opts.log,
        `resetting ${groupId}`,
      );
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#connect();
      await this.#admin.describeCluster();
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
    await Promise.all([this.#producer.disconnect().catch(() => {}), this.#admin.disconnect().catch(() => {})]);
    this.#connected = undefined;
  }
}

/**
 * A member's partitions handed over at once, by default: more than any group reads with the
 * default three partitions a topic (the notification group reads thirty), so a fetch's batches all
 * join one round. Fewer split a fetch into rounds one after another (with 8, that group's thirty
 * took up to four); with more partitions a topic (`PARTITIONS`), its fetches may again take two.
 */
const PARTITIONS_AT_ONCE = 64;

/** Errors after which an idempotent producer's state no longer matches the broker's. */
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);
