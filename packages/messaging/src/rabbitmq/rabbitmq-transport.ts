import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicSpec } from '@campusg/contracts';
import type { Channel } from 'amqplib';
import type { Logger } from 'pino';
import { partitionFor } from '../partitioner.ts';
import type { ConsumedRecord, GroupLag, OutgoingRecord, SubscribeOptions, Subscription, Transport } from '../transport.ts';
import { RabbitMqConnection } from './connection.ts';
import { EphemeralMember } from './ephemeral-member.ts';
import { GroupMember } from './group-member.ts';
import { groupLag, type Inspected, peekDeadLetters } from './inspect.ts';
import type { ShardWorker } from './shard-worker.ts';
import { declaredNames, RabbitTopology } from './topology.ts';
import { toWire } from './wire.ts';

/** Settings of the RabbitMQ transport; only `url` and `log` are required. */
export interface RabbitMqTransportOptions {
  /** `amqp://user:pass@host:5672/vhost` (or `amqps://`). */
  url: string;
  log: Logger;
  /**
   * Prefixes every exchange and queue, so several deployments (or test runs) can share one broker;
   * callers keep using the catalogue's names.
   */
  namespace?: string;
  /**
   * Consumer groups whose queues `ensureTopics` declares up front (default: the catalogue's
   * `GROUP_TOPICS`), so nothing published before a service first starts is lost.
   */
  groups?: Readonly<Record<string, readonly string[]>>;
  /** Unacknowledged deliveries per shard consumer, and so the largest batch (default 50). */
  prefetch?: number;
  /** Queue type of the group and dead-letter queues (default `classic`). */
  queueType?: 'classic' | 'quorum';
  /** How often a group member announces itself (default 1000 ms). */
  heartbeatMs?: number;
  /** A member not heard from for this long has left its group (default 5000 ms). */
  sessionTimeoutMs?: number;
  /** How long a joining member listens for the others before it takes shards (default 200 ms). */
  discoveryMs?: number;
  /** How long the first connection may take before a call fails (default 30 s); reconnects never give up. */
  connectTimeoutMs?: number;
  /** How long a publish waits for a lost connection to come back (default 15 s). */
  publishTimeoutMs?: number;
  /** The connection's name on the broker (default `campusg <namespace>`). */
  connectionName?: string;
}

/**
 * The RabbitMQ transport (amqplib, AMQP 0-9-1) behind the same Bus port as the embedded and Kafka
 * transports. The layout (docs/rabbitmq.md has the whole story):
 *
 * - three durable topic exchanges: `command_exchange` (`*_commands` topics), `event_exchange` (every
 *   other topic) and `dead_letter_exchange` (`*_dlq` topics; also the queues' DLX);
 * - a record of topic T whose key hashes (murmur2, as Kafka) to shard s is published persistent, with
 *   publisher confirms, under the routing key `T.s.<type>` (e.g. `order_commands.2.accept_order`);
 * - a consumer group G reads T from one durable queue per shard, `G.T.s`, bound by `T.s.#`, with
 *   `x-single-active-consumer`; each queue dead-letters into `T_dlq` through the DLX;
 * - the members of a group announce themselves on a control exchange and split the shards between
 *   them as Kafka's range assignor would; single active consumer makes a hand-over safe;
 * - a message is acknowledged only after the handler (the handling transaction) resolved; a failure
 *   closes the shard's channel (every unacknowledged message goes back, in order) and retries after
 *   a backoff;
 * - the "offset" of a record is its position in the group's shard queue, committed to a one-message
 *   queue `G.T.s.committed` after each acknowledgement (RabbitMQ has no offsets of its own).
 *
 * RabbitMQ keeps no history: an acknowledged message is gone, and a group sees only what was
 * published after its queues were declared. So `capabilities.replay` is false and `read()` can only
 * peek at the `<topic>_dlq` queues.
 */
export class RabbitMqTransport implements Transport {
  readonly name = 'rabbitmq' as const;
  readonly capabilities = { replay: false };
  /** @internal the broker's names of this deployment, and what it declares */
  readonly names: RabbitTopology;
  /** @internal */
  readonly connection: RabbitMqConnection;
  readonly #opts: RabbitMqTransportOptions;
  readonly #log: Logger;
  readonly #topics = new Map<string, TopicSpec>();
  readonly #members = new Set<GroupMember>();
  readonly #ephemeral = new Set<EphemeralMember>();
  #closing: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: RabbitMqTransportOptions) {
    this.#opts = options;
    this.#log = options.log;
    this.names = new RabbitTopology(options.namespace ?? '', options.queueType ?? 'classic', options.groups);
    const url = new URL(options.url);
    // Notice a dead broker within seconds rather than the server's default minute.
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '5');
    this.connection = new RabbitMqConnection({
      url: url.toString(),
      connectionName: this.connectionName,
      log: options.log,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      onLink: (link) => {
        for (const m of this.#members) void m.attach(link);
        for (const e of this.#ephemeral) void e.attach(link);
      },
    });
  }

  /** The queue that keeps every dead letter of a `<topic>_dlq` topic (what operators look at). */
  deadLetterQueue(dlq: string): string {
    return this.names.deadLetterQueue(dlq);
  }

  /** How the connection names itself to the broker (`rabbitmqctl list_connections`, management UI). */
  get connectionName(): string {
    return this.#opts.connectionName ?? `campusg ${this.#opts.namespace || '(no namespace)'}`.trim();
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.connection.connected;
  }

  /** @internal */
  get log(): Logger {
    return this.#log;
  }
  /** @internal */
  get settings() {
    return {
      prefetch: this.#opts.prefetch ?? 50,
      heartbeatMs: this.#opts.heartbeatMs ?? 1000,
      sessionTimeoutMs: this.#opts.sessionTimeoutMs ?? 5000,
      discoveryMs: this.#opts.discoveryMs ?? 200,
    };
  }
  /** @internal */
  partitionsOf(topic: string): number {
    const spec = this.#topics.get(topic);
    if (!spec) throw new Error(`unknown topic ${topic}`);
    return spec.partitions;
  }

  // ------------------------------------------------------------------------------------------
  // topology

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.connection.declare(this.names.plan(topics, this.#topics));
  }

  /** @internal declares (again) a group's queues for its topics */
  async declareGroup(groupId: string, topics: string[]): Promise<void> {
    const declarations = this.names.exchanges();
    for (const t of topics) {
      const spec = this.#topics.get(t);
      if (!spec) throw new Error(`unknown topic ${t}`);
      declarations.push(...this.names.groupDeclarations(groupId, spec));
    }
    await this.connection.declare(declarations);
  }

  /**
   * Deletes queues a group no longer reads (deleting one that does not exist is no error). A
   * failure is only logged: the queue stays, as it was, until the group's next start.
   */
  async #retireQueues(queues: string[]): Promise<void> {
    if (queues.length === 0) return;
    const { dropped, failed } = await this.#delete({ queues, exchanges: [] });
    if (failed > 0) this.#log.warn({ queues: queues.length, failed }, 'rabbitmq: deleting queues of topics a group no longer reads failed');
    else if (dropped > 0) this.#log.info({ queues: queues.length, dropped }, 'rabbitmq: queues of topics a group no longer reads deleted');
  }

  /** The namespaced names `ensureTopics(topics)` declares, without declaring anything. */
  topologyFor(topics: TopicSpec[]): { exchanges: string[]; queues: string[] } {
    return declaredNames(this.names.plan(topics, new Map(this.#topics)));
  }

  /** The namespaced names this instance has declared (for tearing a test deployment down). */
  topology(): { exchanges: string[]; queues: string[] } {
    return declaredNames(this.connection.declared());
  }

  /** Deletes queues and exchanges (default: everything this instance declared). For tests and teardown. */
  async deleteTopology(names = this.topology()): Promise<void> {
    await this.#delete(names);
    this.connection.forget();
  }

  /**
   * Deletes queues, then exchanges, one at a time; one that fails (which closes the channel) is
   * passed over on a new channel. Says how many messages the deleted queues held and how many failed.
   */
  async #delete(names: { queues: string[]; exchanges: string[] }): Promise<{ dropped: number; failed: number }> {
    const link = await this.connection.connect();
    let ch = await this.connection.channel(link);
    let dropped = 0;
    let failed = 0;
    const each = async (run: () => Promise<void>) => {
      try {
        await run();
      } catch {
        failed++;
        ch = await this.connection.channel(link);
      }
    };
    try {
      for (const q of names.queues)
        await each(async () => {
          dropped += (await ch.deleteQueue(q)).messageCount;
        });
      for (const x of names.exchanges) await each(async () => void (await ch.deleteExchange(x)));
    } finally {
      await ch.close().catch(() => {});
    }
    return { dropped, failed };
  }

  // ------------------------------------------------------------------------------------------
  // publishing

  /** Resolves once the broker confirmed every record (persistent, routed to durable queues). */
  async publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = Date.now();
    const prepared = records.map((r) => toWire(this.names, r, partitionFor(r.topic, r.key, this.partitionsOf(r.topic)), now));
    // What the broker has not confirmed when a connection drops is sent again on the next one
    // (at least once: a consumer's inbox absorbs a duplicate); a nack (the broker refused) fails.
    const deadline = Date.now() + (this.#opts.publishTimeoutMs ?? 15_000);
    let pending = prepared;
    for (;;) {
      const link = await this.connection.waitLink(() => false, Math.max(1, deadline - Date.now()));
      if (!link) throw new Error('rabbitmq: transport closed');
      const failed: typeof prepared = [];
      let lastError: unknown;
      try {
        const ch = await this.connection.pubChannel(link);
        const confirms: Promise<void>[] = [];
        for (const p of pending) {
          let full = false;
          confirms.push(
            new Promise<void>((resolve) => {
              const done = (err: unknown) => {
                if (err) {
                  failed.push(p);
                  lastError = err;
                }
                resolve();
              };
              try {
                full = !ch.publish(p.exchange, p.routingKey, p.content, p.options, done);
              } catch (err) {
                done(err);
              }
            }),
          );
          if (full) await drained(ch);
        }
        await Promise.all(confirms);
      } catch (err) {
        lastError = err;
        failed.push(...pending.filter((p) => !failed.includes(p)));
      }
      if (failed.length === 0) return;
      const nacked = lastError instanceof Error && lastError.message === 'message nacked';
      if (nacked || this.connection.closed || Date.now() > deadline) throw lastError;
      pending = prepared.filter((p) => failed.includes(p));
      await sleep(50);
    }
  }

  // ------------------------------------------------------------------------------------------
  // consuming

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const t of options.topics) if (!this.#topics.has(t)) throw new Error(`unknown topic ${t}`);
    if (options.ephemeral) return this.#subscribeEphemeral(options);
    // The group's queues exist before subscribe resolves: from now on nothing published is missed.
    await this.declareGroup(options.groupId, options.topics);
    await this.#retireQueues(this.names.retiredQueues(options.groupId, this.#topics));
    const member = new GroupMember(this, options);
    this.#members.add(member);
    this.#heartbeat ??= setInterval(() => {
      for (const m of this.#members) m.tick();
    }, this.settings.heartbeatMs).unref();
    try {
      await member.join(await this.connection.connect());
    } catch (err) {
      await member.close();
      throw err;
    }
    return {
      close: () => member.close(),
      assignment: () => member.assignment(),
    };
  }

  /** Queues of its own, bound before this resolves: from now on nothing published is missed. */
  async #subscribeEphemeral(options: SubscribeOptions): Promise<Subscription> {
    const member = new EphemeralMember(this, options);
    this.#ephemeral.add(member);
    try {
      await member.start(await this.connection.connect());
    } catch (err) {
      this.#ephemeral.delete(member);
      await member.close();
      throw err;
    }
    return {
      close: async () => {
        this.#ephemeral.delete(member);
        await member.close();
      },
      assignment: () => member.assignment(),
    };
  }

  /** @internal */
  removeMember(member: GroupMember): void {
    this.#members.delete(member);
    if (this.#members.size === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }

  /** @internal the worker of this process consuming a group's shard, if any */
  #localWorker(groupId: string, topic: string, shard: number): ShardWorker | undefined {
    for (const m of this.#members) {
      if (m.groupId !== groupId) continue;
      const w = m.worker(`${topic}:${shard}`);
      if (w) return w;
    }
    return undefined;
  }

  /** RabbitMQ removes what a queue delivered: there is nothing to rewind a group to. */
  async resetGroup(groupId: string): Promise<void> {
    throw new Error(`rabbitmq keeps no history: the group ${groupId} cannot be rewound (capabilities.replay is false)`);
  }

  /**
   * Only the `<topic>_dlq` queues can be read (peeked: nothing is removed); `fromOffset` is a
   * position in the queue as it is now. RabbitMQ keeps no history of the other topics.
   */
  read(topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    return peekDeadLetters(this.#inspected(), topic, partition, fromOffset, limit);
  }

  /** See `groupLag`. */
  lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    return groupLag(this.#inspected(), groupId, topics);
  }

  #inspected(): Inspected {
    return {
      connection: this.connection,
      names: this.names,
      spec: (topic) => this.#topics.get(topic),
      localWorker: (groupId, topic, shard) => this.#localWorker(groupId, topic, shard),
    };
  }

  async ping(): Promise<boolean> {
    if (this.connection.closed) return false;
    try {
      await this.connection.connect();
      return this.connection.connected;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Members leave first (each after its batches in hand), then the connection goes.
      await Promise.all([...this.#members, ...this.#ephemeral].map((m) => m.close()));
      this.#ephemeral.clear();
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
      await this.connection.close();
    })();
    return this.#closing;
  }
}

/** Resolves once a full channel buffer drained (or the channel closed): backpressure on a burst of publishes. */
function drained(ch: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      ch.off('drain', done);
      ch.off('close', done);
      resolve();
    };
    ch.on('drain', done);
    ch.on('close', done);
  });
}
