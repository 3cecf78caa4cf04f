import type { TopicSpec } from '@campusg/contracts';
import kafkajs, { type Admin, type Consumer, type ConsumerRunConfig, type Kafka, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConsumedRecord, GroupLag, OutgoingRecord, ResetTarget, SubscribeOptions, Subscription, Transport } from '../transport.ts';
import { subscribeEphemeral } from './ephemeral-consumer.ts';
import { resetOffsets } from './group-reset.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { readPartition } from './read-partition.ts';
import { toConsumed } from './to-consumed.ts';
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
  /** Partitions of one member handled at once (each partition stays sequential). */
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
  readonly #consumers = new Set<Consumer>();
  readonly #committers = new Set<OffsetCommitter>();
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
    const consumer = this.#kafka.consumer({
      groupId: this.#ns + options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1000,
      // How long the broker holds a fetch that finds nothing new. A record arriving ends the wait at
      // once, so this bounds no delivery; it is how often an idle consumer asks, and an idle process
      // holds a consumer per group (50 ms cost about a third more CPU at rest).
      maxWaitTimeInMs: 1000,
      retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
    });
    let assignment: string[] = [];
    /** Partitions of this assignment whose start position is known to be committed (see below). */
    const anchored = new Set<string>();
    const fromBeginning = options.fromBeginning ?? true;
    const committer = new OffsetCommitter({
      // The first failure and every tenth after it: a broker down for a minute makes a dozen lines.
      onFailure: (err, failures) => {
        if (failures === 1 || failures % 10 === 0)
          this.#opts.log.warn({ err, groupId: options.groupId, failures }, 'kafka: offset commit failed; sending it again');
      },
      endsGeneration: (err) => hasErrorType(err, GENERATION_OVER),
    });
    this.#committers.add(committer);
    // Offsets not yet sent belong to the generation that is ending.
    consumer.on(consumer.events.REBALANCING, () => committer.drop());
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      committer.drop();
      assignment = Object.entries(e.payload.memberAssignment).flatMap(([topic, parts]) => parts.map((p) => `${this.#local(topic)}:${p}`));
      anchored.clear();
    });
    let closed = false;
    let rerun: NodeJS.Timeout | undefined;
    // kafkajs restarts a crashed consumer only after an error it deems retriable. After one it deems
    // final it leaves the consumer stopped for good, and the service would silently stop consuming:
    // e.g. KafkaJSGroupCoordinatorNotFound while a restarted broker is still loading its groups. The
    // crashed consumer is already disconnected then: run it again (it rejoins from the committed offsets).
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || closed) return;
      this.#opts.log.warn({ err: e.payload.error, groupId: options.groupId }, 'kafka: consumer stopped by a crash; running it again');
      rerun = setTimeout(() => {
        if (!closed)
          consumer.run(run).catch((err) => this.#opts.log.error({ err, groupId: options.groupId }, 'kafka: consumer could not run again'));
      }, 1000);
    });
    await consumer.connect();
    await untilSettled(
      () => consumer.subscribe({ topics: options.topics.map(this.#topic), fromBeginning }),
      this.#opts.log,
      `subscribing ${options.groupId}`,
    );
    const run: ConsumerRunConfig = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#opts.partitionsConsumedConcurrently ?? 8,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        // Commits through the batch's own handle: `consumer.commitOffsets` is silently a no-op once
        // the consumer is stopping, so the batch a closing member finishes would never be committed
        // and would come again to the next owner. The group is only left after this batch.
        const commit = (offset: string) =>
          commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const records: ConsumedRecord[] = batch.messages.map((m) => toConsumed(this.#local(batch.topic), batch.partition, m));
        const tp = `${batch.topic}:${batch.partition}`;
        if (!fromBeginning && !anchored.has(tp)) {
          // A group that starts at the end has no committed offset until its first batch succeeds,
          // and Kafka resolves a missing commit to the *current* end again: a failure, a restart or
          // a rebalance before that first commit would skip the records in hand. So the position the
          // group started from is committed before the first batch of a partition is handled (it is
          // never behind the group's commit: a batch starts at or after it).
          await commit(batch.messages[0]!.offset);
          anchored.add(tp);
        }
        const beat = setInterval(() => void heartbeat().catch(() => {}), 1000);
        try {
          await options.handleBatch(records);
        } finally {
          clearInterval(beat);
        }
        const last = batch.messages[batch.messages.length - 1]!.offset;
        // The offset is committed only after the batch's handling transactions committed. The next
        // batch does not wait for the broker's answer, except on a member that is stopping: it
        // leaves the group only once its last batch is committed.
        const committed = committer.commit({ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }, (topics) =>
          commitOffsetsIfNecessary({ topics }),
        );
        resolveOffset(last);
        // A member that is stopping (closed, or kafkajs stopping it after a crash, which waits for
        // this batch) leaves once its offset is committed, or after a grace: a broker that stays
        // away must not hold up the restart, and the next owner gets the batch again.
        if (closed || !isRunning()) await settledWithin(committed, COMMIT_GRACE_MS);
      },
    };
    await consumer.run(run);
    this.#consumers.add(consumer);
    return {
      close: async () => {
        closed = true;
        clearTimeout(rerun);
        this.#consumers.delete(consumer);
        await committer.close(COMMIT_GRACE_MS);
        await consumer.disconnect();
        this.#committers.delete(committer);
      },
      assignment: () => [...assignment].sort(),
    };
  }

  async #subscribeEphemeral(options: SubscribeOptions): Promise<Subscription> {
    await this.#connect();
    const sub = await subscribeEphemeral(
      { kafka: this.#kafka, admin: this.#admin, namespace: this.#ns, local: this.#local, log: this.#opts.log },
      options,
    );
    this.#ephemeral.add(sub);
    return {
      close: async () => {
        this.#ephemeral.delete(sub);
        await sub.close();
      },
      assignment: () => sub.assignment(),
    };
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
    for (const c of this.#committers) n += c.requests;
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#ephemeral].map((s) => s.close().catch(() => {})));
    this.#ephemeral.clear();
    await Promise.all([...this.#committers].map((c) => c.close(COMMIT_GRACE_MS)));
    await Promise.all([...this.#consumers].map((c) => c.disconnect().catch(() => {})));
    this.#consumers.clear();
    await Promise.all([this.#producer.disconnect().catch(() => {}), this.#admin.disconnect().catch(() => {})]);
    this.#connected = undefined;
  }
}

/**
 * How long a closing member keeps sending its last offsets to a coordinator that does not answer.
 * Past it the member leaves anyway and the next owner of its partitions gets those records again.
 */
const COMMIT_GRACE_MS = 10_000;

/** Answers to an OffsetCommit that no retry in the member's generation can turn: a rejoin follows. */
const GENERATION_OVER = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

/** Waits for `promise` (its rejection included) for up to `ms`; then goes on without it. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors after which an idempotent producer's state no longer matches the broker's. */
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** Does `err` or one of its causes carry a Kafka error type of `types`? */
function hasErrorType(err: unknown, types: Set<string>): boolean {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && types.has(e.type)) return true;
  }
  return false;
}
