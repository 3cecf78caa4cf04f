import { dlqTopic, GROUP_TOPICS, type TopicSpec, topicCatalog } from '@campusg/contracts';
import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect, type Message } from 'amqplib';
import type { Logger } from 'pino';
import { partitionFor } from '../partitioner.ts';
import { backoffDelay, Signal } from '../signal.ts';
import type { BatchHandler, ConsumedRecord, GroupLag, OutgoingRecord, SubscribeOptions, Subscription, Transport } from '../transport.ts';

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

/** An open connection with the channels shared by the transport. */
interface Link {
  conn: ChannelModel;
  generation: number;
  pub: ConfirmChannel | undefined;
  admin: Channel | undefined;
  control: Channel | undefined;
  /** The shared channels being opened or open. */
  pending: Partial<Record<'pub' | 'admin' | 'control', Promise<Channel>>>;
}

type Declaration =
  | { kind: 'exchange'; name: string; type: string }
  | { kind: 'queue'; name: string; args: Record<string, unknown> }
  | { kind: 'bind'; queue: string; exchange: string; pattern: string };

const COMMAND_EXCHANGE = 'command_exchange';
const EVENT_EXCHANGE = 'event_exchange';
const DEAD_LETTER_EXCHANGE = 'dead_letter_exchange';
const CONTROL_EXCHANGE = 'campusg_groups';

/** Headers the transport adds on the wire and removes again on delivery. */
const H_KEY = 'x-campusg-key';
const H_TOPIC = 'x-campusg-topic';
const H_PARTITION = 'x-campusg-partition';
const H_TS = 'x-campusg-ts';
const isWireHeader = (name: string) =>
  name.startsWith('x-campusg-') ||
  name === 'x-death' ||
  name.startsWith('x-first-death-') ||
  name.startsWith('x-last-death-') ||
  name === 'x-delivery-count';

const DAY_MS = 86_400_000;
const DEFAULT_DLQ_RETENTION_MS = topicCatalog().find((t) => t.name.endsWith('_dlq'))?.retentionMs ?? 30 * DAY_MS;

/** The exchange of a topic: by the catalogue's naming, `*_dlq`, `*_commands`, or an event topic. */
export function rabbitExchangeOf(topic: string): string {
  if (topic.endsWith('_dlq')) return DEAD_LETTER_EXCHANGE;
  if (topic.endsWith('_commands')) return COMMAND_EXCHANGE;
  return EVENT_EXCHANGE;
}

/** The routing key of a record: `<topic>.<shard>.<type>`, e.g. `order_events.1.order.created`. */
export function rabbitRoutingKey(topic: string, shard: number, type: string | undefined): string {
  const t = type && type.length > 0 ? type.slice(0, 120) : '_';
  return `${topic}.${shard}.${t}`;
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
  readonly #opts: RabbitMqTransportOptions;
  readonly #log: Logger;
  readonly #ns: string;
  readonly #url: string;
  readonly #topics = new Map<string, TopicSpec>();
  /** Everything declared so far, in order: declared again on every new connection. */
  readonly #declared = new Map<string, Declaration>();
  readonly #members = new Set<GroupMember>();
  readonly #linkChanged = new Signal();
  #link: Link | undefined;
  #connecting: Promise<Link> | undefined;
  #everConnected = false;
  #generation = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: RabbitMqTransportOptions) {
    this.#opts = options;
    this.#log = options.log;
    this.#ns = options.namespace ?? '';
    const url = new URL(options.url);
    // Notice a dead broker within seconds rather than the server's default minute.
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '5');
    this.#url = url.toString();
  }

  // ------------------------------------------------------------------------------------------
  // names

  /** @internal */
  exchange(name: string): string {
    return this.#ns + name;
  }
  /** @internal the queue of one shard of a group's topic */
  groupQueue(groupId: string, topic: string, shard: number): string {
    return `${this.#ns}${groupId}.${topic}.${shard}`;
  }
  /** @internal where the group's position in that queue is committed */
  committedQueue(groupId: string, topic: string, shard: number): string {
    return `${this.groupQueue(groupId, topic, shard)}.committed`;
  }
  /** The queue that keeps every dead letter of a `<topic>_dlq` topic (what operators look at). */
  deadLetterQueue(dlq: string): string {
    return this.#ns + dlq;
  }

  /** How the connection names itself to the broker (`rabbitmqctl list_connections`, management UI). */
  get connectionName(): string {
    return this.#opts.connectionName ?? `campusg ${this.#ns || '(no namespace)'}`.trim();
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
  // connection

  /** The open connection: the current one, or the next one (reconnecting with backoff). */
  #connect(): Promise<Link> {
    if (this.#closed) return Promise.reject(new Error('rabbitmq: transport closed'));
    if (this.#link) return Promise.resolve(this.#link);
    this.#connecting ??= this.#establish().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #establish(): Promise<Link> {
    const first = !this.#everConnected;
    const deadline = Date.now() + (this.#opts.connectTimeoutMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new Error('rabbitmq: transport closed');
      let conn: ChannelModel | undefined;
      try {
        // TCP_NODELAY: one connection carries publishes, acks and position writes; with Nagle's
        // algorithm a small frame after another waits for the peer's delayed ACK (~40 ms a hop).
        conn = await connect(this.#url, { noDelay: true, clientProperties: { connection_name: this.connectionName } });
        const link: Link = { conn, generation: ++this.#generation, pub: undefined, admin: undefined, control: undefined, pending: {} };
        conn.on('error', (err: Error) => this.#log.warn({ err }, 'rabbitmq: connection error'));
        conn.on('close', (err?: Error) => this.#lost(link, err));
        conn.on('blocked', (reason: string) => this.#log.warn({ reason }, 'rabbitmq: broker blocked publishing'));
        conn.on('unblocked', () => this.#log.info('rabbitmq: broker unblocked publishing'));
        // The topology first (a broker that lost it gets it back), then the subscriptions.
        await this.#apply(link, [...this.#declared.values()]);
        if (this.#closed) {
          await conn.close().catch(() => {});
          throw new Error('rabbitmq: transport closed');
        }
        this.#link = link;
        if (!first) this.#log.info({ attempt }, 'rabbitmq: reconnected; topology declared again, subscriptions resume');
        this.#everConnected = true;
        this.#linkChanged.notify();
        for (const m of this.#members) void m.attach(link);
        return link;
      } catch (err) {
        await conn?.close().catch(() => {});
        if (this.#closed) throw err;
        if (first && Date.now() > deadline) throw err;
        if (attempt % 10 === 0) this.#log.warn({ err, attempt }, 'rabbitmq: cannot connect; retrying');
        await sleep(backoffDelay(attempt, 100, 5000));
      }
    }
  }

  #lost(link: Link, err: Error | undefined): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#linkChanged.notify();
    if (this.#closed) return;
    this.#log.warn({ err }, 'rabbitmq: connection lost; reconnecting');
    void this.#connect().catch((e) => this.#log.error({ err: e }, 'rabbitmq: reconnecting failed'));
  }

  /** @internal waits for a connection; undefined once `abort()` holds or the transport closed */
  async waitLink(abort: () => boolean, timeoutMs = Number.POSITIVE_INFINITY): Promise<Link | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#link) return this.#link;
      if (this.#closed || abort()) return undefined;
      if (Date.now() > deadline) throw new Error(`rabbitmq: no connection to the broker within ${timeoutMs} ms`);
      const seen = this.#linkChanged.version;
      void this.#connect().catch(() => {});
      await this.#linkChanged.wait(seen, Math.min(1000, Math.max(1, deadline - Date.now())));
    }
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#link !== undefined;
  }

  /** @internal wakes whoever waits for a connection (a stopping consumer) */
  nudge(): void {
    this.#linkChanged.notify();
  }

  /** @internal a channel of the current connection, with its errors logged rather than thrown */
  async channel(link: Link): Promise<Channel> {
    const ch = await link.conn.createChannel();
    ch.on('error', (err: Error) => this.#log.debug({ err }, 'rabbitmq: channel closed by the broker'));
    return ch;
  }

  /** One shared channel per connection, created once even when asked for concurrently. */
  #shared<C extends Channel>(link: Link, slot: 'pub' | 'admin' | 'control', create: () => Promise<C>, onClose?: () => void): Promise<C> {
    const existing = link.pending[slot];
    if (existing) return existing as Promise<C>;
    const p = create().then((ch) => {
      ch.on('close', () => {
        if (link.pending[slot] !== p) return;
        link.pending[slot] = undefined;
        link[slot] = undefined;
        onClose?.();
      });
      link[slot] = ch as never;
      return ch;
    });
    p.catch(() => {
      if (link.pending[slot] === p) link.pending[slot] = undefined;
    });
    link.pending[slot] = p;
    return p;
  }

  #pubChannel(link: Link): Promise<ConfirmChannel> {
    return this.#shared(link, 'pub', async () => {
      const ch = await link.conn.createConfirmChannel();
      ch.on('error', (err: Error) => this.#log.warn({ err }, 'rabbitmq: publishing channel closed by the broker'));
      return ch;
    });
  }

  #adminChannel(link: Link): Promise<Channel> {
    return this.#shared(link, 'admin', () => this.channel(link));
  }

  /** @internal the channel of the group members' announcements */
  controlChannel(link: Link): Promise<Channel> {
    return this.#shared(
      link,
      'control',
      () => this.channel(link),
      // Members lost their announcement queues with it: join again if the connection is still up
      // (when the connection went, the reconnect re-attaches them).
      () =>
        setImmediate(() => {
          if (this.#link === link && !this.#closed) for (const m of this.#members) void m.attach(link);
        }),
    );
  }

  // ------------------------------------------------------------------------------------------
  // topology

  #record(d: Declaration): Declaration {
    const id = d.kind === 'bind' ? `b:${d.queue}|${d.exchange}|${d.pattern}` : `${d.kind[0]}:${d.name}`;
    this.#declared.set(id, d);
    return d;
  }

  /**
   * Declares on the broker. All at once on one channel; if the broker refuses one (a queue that
   * exists with other arguments closes the channel) one by one, keeping what exists.
   */
  async #apply(link: Link, declarations: Declaration[]): Promise<void> {
    const order = { exchange: 0, queue: 1, bind: 2 };
    const list = [...declarations].sort((a, b) => order[a.kind] - order[b.kind]);
    try {
      const ch = await this.#adminChannel(link);
      await Promise.all(list.map((d) => this.#declare(ch, d)));
      return;
    } catch (err) {
      if (!isChannelError(err)) throw err;
    }
    for (const d of list) {
      const ch = await this.#adminChannel(link);
      try {
        await this.#declare(ch, d);
      } catch (err) {
        if (errorCode(err) !== 406 || d.kind === 'bind') throw err;
        // PRECONDITION_FAILED: it exists with other arguments (e.g. another retention). Arguments
        // of a queue never change; use a policy to change them. The existing one serves.
        this.#log.warn({ err, declaration: d }, 'rabbitmq: exists with other arguments; keeping the existing one');
      }
    }
  }

  async #declare(ch: Channel, d: Declaration): Promise<void> {
    if (d.kind === 'exchange') await ch.assertExchange(d.name, d.type, { durable: true });
    else if (d.kind === 'queue') await ch.assertQueue(d.name, { durable: true, arguments: d.args });
    else await ch.bindQueue(d.queue, d.exchange, d.pattern);
  }

  #exchanges(): Declaration[] {
    return [
      { kind: 'exchange', name: this.exchange(COMMAND_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(EVENT_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(DEAD_LETTER_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(CONTROL_EXCHANGE), type: 'direct' },
    ];
  }

  /** The queues of one group's topic: one per shard, bound by `<topic>.<shard>.#`, and their commit queues. */
  #groupDeclarations(groupId: string, spec: TopicSpec): Declaration[] {
    const dlq = spec.name.endsWith('_dlq');
    const args: Record<string, unknown> = {
      'x-queue-type': this.#opts.queueType ?? 'classic',
      // Never two consumers of one shard at once, whatever the members think (hand-over safety).
      'x-single-active-consumer': true,
      // Retention: what no member took in time is dead-lettered (main topics) or dropped (dead letters).
      'x-message-ttl': spec.retentionMs,
    };
    if (!dlq) {
      args['x-dead-letter-exchange'] = this.exchange(DEAD_LETTER_EXCHANGE);
      args['x-dead-letter-routing-key'] = rabbitRoutingKey(dlqTopic(spec.name), 0, 'dead-lettered');
    }
    const out: Declaration[] = [];
    for (let shard = 0; shard < spec.partitions; shard++) {
      const queue = this.groupQueue(groupId, spec.name, shard);
      out.push({ kind: 'queue', name: queue, args });
      out.push({ kind: 'bind', queue, exchange: this.exchange(rabbitExchangeOf(spec.name)), pattern: `${spec.name}.${shard}.#` });
      // The commit: a one-message queue (a newer commit pushes the older one out).
      out.push({
        kind: 'queue',
        name: this.committedQueue(groupId, spec.name, shard),
        args: { 'x-queue-type': 'classic', 'x-max-length': 1 },
      });
    }
    return out;
  }

  /** The queue keeping every dead letter of a `<topic>_dlq` topic, bound by `<topic>_dlq.#`. */
  #deadLetterDeclarations(spec: TopicSpec): Declaration[] {
    const queue = this.deadLetterQueue(spec.name);
    return [
      { kind: 'queue', name: queue, args: { 'x-queue-type': this.#opts.queueType ?? 'classic', 'x-message-ttl': spec.retentionMs } },
      { kind: 'bind', queue, exchange: this.exchange(DEAD_LETTER_EXCHANGE), pattern: `${spec.name}.#` },
    ];
  }

  /**
   * What `ensureTopics(topics)` declares: the exchanges, a `<topic>_dlq` queue for every topic (each
   * topic has its dead-letter topic, in the list or not), and the queues of the configured consumer
   * groups for these topics. `known` gets the specs (with the implicit dead-letter topics).
   */
  #plan(topics: TopicSpec[], known: Map<string, TopicSpec>): Declaration[] {
    const declarations = this.#exchanges();
    for (const t of topics) known.set(t.name, { ...t, partitions: Math.max(t.partitions, known.get(t.name)?.partitions ?? 0) });
    const dlqs = new Set(topics.filter((t) => t.name.endsWith('_dlq')).map((t) => t.name));
    for (const t of topics) {
      if (t.name.endsWith('_dlq')) continue;
      const dlq = dlqTopic(t.name);
      dlqs.add(dlq);
      if (!known.has(dlq)) {
        known.set(dlq, { name: dlq, description: `dead letters of ${t.name}`, partitions: 1, retentionMs: DEFAULT_DLQ_RETENTION_MS });
      }
    }
    for (const dlq of dlqs) declarations.push(...this.#deadLetterDeclarations(known.get(dlq)!));
    const names = new Set(topics.map((t) => t.name));
    for (const [groupId, groupTopics] of Object.entries(this.#opts.groups ?? GROUP_TOPICS)) {
      for (const topic of groupTopics) if (names.has(topic)) declarations.push(...this.#groupDeclarations(groupId, known.get(topic)!));
    }
    return declarations;
  }

  /** Records declarations (declared again on every new connection) and declares them now. */
  async #declareAll(declarations: Declaration[]): Promise<void> {
    for (const d of declarations) this.#record(d);
    await this.#apply(await this.#connect(), declarations);
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.#declareAll(this.#plan(topics, this.#topics));
  }

  /** @internal declares (again) a group's queues for its topics */
  async declareGroup(groupId: string, topics: string[]): Promise<void> {
    const declarations = this.#exchanges();
    for (const t of topics) {
      const spec = this.#topics.get(t);
      if (!spec) throw new Error(`unknown topic ${t}`);
      declarations.push(...this.#groupDeclarations(groupId, spec));
    }
    await this.#declareAll(declarations);
  }

  /** The namespaced names `ensureTopics(topics)` declares, without declaring anything. */
  topologyFor(topics: TopicSpec[]): { exchanges: string[]; queues: string[] } {
    return names(this.#plan(topics, new Map(this.#topics)));
  }

  /** The namespaced names this instance has declared (for tearing a test deployment down). */
  topology(): { exchanges: string[]; queues: string[] } {
    return names(this.#declared.values());
  }

  /** Deletes queues and exchanges (default: everything this instance declared). For tests and teardown. */
  async deleteTopology(names = this.topology()): Promise<void> {
    const link = await this.#connect();
    let ch = await this.channel(link);
    try {
      for (const q of names.queues) {
        try {
          await ch.deleteQueue(q);
        } catch {
          ch = await this.channel(link);
        }
      }
      for (const x of names.exchanges) {
        try {
          await ch.deleteExchange(x);
        } catch {
          ch = await this.channel(link);
        }
      }
    } finally {
      await ch.close().catch(() => {});
    }
    this.#declared.clear();
  }

  // ------------------------------------------------------------------------------------------
  // publishing

  /** Resolves once the broker confirmed every record (persistent, routed to durable queues). */
  async publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = Date.now();
    const prepared = records.map((r) => {
      const shard = partitionFor(r.topic, r.key, this.partitionsOf(r.topic));
      return {
        exchange: this.exchange(rabbitExchangeOf(r.topic)),
        routingKey: rabbitRoutingKey(r.topic, shard, r.headers.type),
        content: Buffer.from(r.value, 'utf8'),
        options: {
          persistent: true,
          timestamp: Math.floor(now / 1000),
          messageId: r.headers.message_id,
          type: r.headers.type,
          headers: { ...r.headers, [H_KEY]: r.key, [H_TOPIC]: r.topic, [H_PARTITION]: String(shard), [H_TS]: String(now) },
        },
      };
    });
    // What the broker has not confirmed when a connection drops is sent again on the next one
    // (at least once: a consumer's inbox absorbs a duplicate); a nack (the broker refused) fails.
    const deadline = Date.now() + (this.#opts.publishTimeoutMs ?? 15_000);
    let pending = prepared;
    for (;;) {
      const link = await this.waitLink(() => false, Math.max(1, deadline - Date.now()));
      if (!link) throw new Error('rabbitmq: transport closed');
      const failed: typeof prepared = [];
      let lastError: unknown;
      try {
        const ch = await this.#pubChannel(link);
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
      if (nacked || this.#closed || Date.now() > deadline) throw lastError;
      pending = prepared.filter((p) => failed.includes(p));
      await sleep(50);
    }
  }

  /** @internal commits a group's position in a shard queue (the newest message is the commit) */
  writeCommitted(queue: string, next: number): Promise<void> {
    const link = this.#link;
    if (!link) return Promise.reject(new Error('rabbitmq: not connected'));
    return this.#pubChannel(link).then(
      (ch) =>
        new Promise<void>((resolve, reject) => {
          ch.publish('', queue, Buffer.from(JSON.stringify({ next })), { persistent: true }, (err) => (err ? reject(err) : resolve()));
        }),
    );
  }

  /** @internal a group's committed position in a shard queue (0 if it never committed) */
  async readCommitted(queue: string): Promise<number> {
    const link = await this.#connect();
    const ch = await this.channel(link);
    let next = 0;
    try {
      // Peek: take what is there unacknowledged and close the channel, which puts it back.
      for (let i = 0; i < 16; i++) {
        const m = await ch.get(queue, { noAck: false });
        if (!m) break;
        const value = Number((JSON.parse(m.content.toString('utf8')) as { next?: unknown }).next);
        if (Number.isSafeInteger(value)) next = Math.max(next, value);
      }
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    } finally {
      await ch.close().catch(() => {});
    }
    return next;
  }

  // ------------------------------------------------------------------------------------------
  // consuming

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const t of options.topics) if (!this.#topics.has(t)) throw new Error(`unknown topic ${t}`);
    // The group's queues exist before subscribe resolves: from now on nothing published is missed.
    await this.declareGroup(options.groupId, options.topics);
    const member = new GroupMember(this, options);
    this.#members.add(member);
    this.#heartbeat ??= setInterval(() => {
      for (const m of this.#members) m.tick();
    }, this.settings.heartbeatMs).unref();
    try {
      await member.join(await this.#connect());
    } catch (err) {
      await member.close();
      throw err;
    }
    return {
      close: () => member.close(),
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

  /** @internal a record as the port describes it, from a delivery of `topic`'s shard queue */
  toRecord(message: Message, topic: string, shard: number, offset: number): ConsumedRecord {
    const wire = (message.properties.headers ?? {}) as Record<string, unknown>;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(wire)) if (!isWireHeader(name)) headers[name] = headerString(value);
    if (wire['x-death'] !== undefined && headers['dlq-reason'] === undefined) Object.assign(headers, this.#brokerDeadLetter(wire));
    const key = wire[H_KEY];
    const ts = Number(wire[H_TS]);
    const seconds = Number(message.properties.timestamp);
    return {
      topic,
      partition: shard,
      offset,
      key: key === undefined || key === null ? null : headerString(key),
      value: message.content.toString('utf8'),
      headers,
      timestamp: new Date(Number.isFinite(ts) && ts > 0 ? ts : Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Date.now()),
    };
  }

  /** The headers the MessageBus gives a dead letter, for one the broker dead-lettered (x-death). */
  #brokerDeadLetter(wire: Record<string, unknown>): Record<string, string> {
    const deaths = Array.isArray(wire['x-death']) ? (wire['x-death'] as Record<string, unknown>[]) : [];
    const first = deaths[deaths.length - 1] ?? {};
    const reason = headerString(wire['x-first-death-reason'] ?? first.reason ?? 'unknown');
    const queue = headerString(wire['x-first-death-queue'] ?? first.queue ?? '');
    const originalTopic = wire[H_TOPIC] === undefined ? '' : headerString(wire[H_TOPIC]);
    const partition = wire[H_PARTITION] === undefined ? '' : headerString(wire[H_PARTITION]);
    const time = first.time as { value?: unknown } | number | undefined;
    const seconds = Number(typeof time === 'object' && time !== null ? time.value : time);
    const suffix = `.${originalTopic}.${partition}`;
    const group = queue.startsWith(this.#ns) && queue.endsWith(suffix) ? queue.slice(this.#ns.length, queue.length - suffix.length) : '';
    return {
      'dlq-reason': reason.toUpperCase().replaceAll('-', '_'),
      'dlq-error': `dead-lettered by RabbitMQ (${reason}) from queue ${queue}`,
      'dlq-original-topic': originalTopic,
      'dlq-original-partition': partition,
      'dlq-group': group,
      'dlq-at': new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Date.now()).toISOString(),
    };
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

  /**
   * Only the `<topic>_dlq` queues can be read (peeked: nothing is removed); `fromOffset` is a
   * position in the queue as it is now. RabbitMQ keeps no history of the other topics.
   */
  async read(topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    if (!topic.endsWith('_dlq')) {
      throw new Error(`rabbitmq keeps no history: only <topic>_dlq queues can be read, not ${topic} (capabilities.replay is false)`);
    }
    const link = await this.#connect();
    const ch = await this.channel(link);
    const out: ConsumedRecord[] = [];
    try {
      for (let position = 0; out.length < limit; position++) {
        const m = await ch.get(this.deadLetterQueue(topic), { noAck: false });
        if (!m) break;
        const shard = Number(m.fields.routingKey.slice(topic.length + 1).split('.')[0]) || 0;
        if (position >= fromOffset && shard === partition) out.push(this.toRecord(m, topic, shard, position));
      }
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    } finally {
      await ch.close().catch(() => {}); // puts every peeked message back
    }
    return out;
  }

  /**
   * Per shard queue: `committed` is the group's committed position, `lag` the messages still in the
   * queue plus those this process holds unacknowledged (RabbitMQ does not tell another process's
   * unacknowledged count over AMQP).
   */
  async lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    const link = await this.#connect();
    let ch: Channel | undefined;
    const out: GroupLag[] = [];
    try {
      for (const topic of topics) {
        const spec = this.#topics.get(topic);
        if (!spec) continue;
        for (let shard = 0; shard < spec.partitions; shard++) {
          ch ??= await this.channel(link);
          let ready: number;
          try {
            ready = (await ch.checkQueue(this.groupQueue(groupId, topic, shard))).messageCount;
          } catch (err) {
            if (errorCode(err) !== 404) throw err;
            ch = undefined; // the group never declared this queue
            continue;
          }
          const local = this.#localWorker(groupId, topic, shard);
          const committed = local?.committed ?? (await this.readCommitted(this.committedQueue(groupId, topic, shard)));
          const lag = ready + (local?.unacked ?? 0);
          out.push({ groupId, topic, partition: shard, committed, end: committed + lag, lag });
        }
      }
    } finally {
      await ch?.close().catch(() => {});
    }
    return out;
  }

  async ping(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#connect();
      return this.#link !== undefined;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Members leave first (each after its batches in hand), then the connection goes.
      await Promise.all([...this.#members].map((m) => m.close()));
      this.#closed = true;
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
      await this.#connecting?.catch(() => {});
      const link = this.#link;
      this.#link = undefined;
      this.#linkChanged.notify();
      await link?.conn.close().catch(() => {});
    })();
    return this.#closing;
  }
}

// ---------------------------------------------------------------------------------------------
// group membership

interface Announcement {
  v: 1;
  kind: 'hello' | 'beat' | 'bye';
  member: string;
  topics: string[];
}

/**
 * One subscription: a member of its consumer group. Members announce themselves on the control
 * exchange (hello on joining, a beat every second, bye on leaving), so every member knows the live
 * members and computes the same assignment: shard p of a topic goes to the (p mod n)-th member
 * subscribed to it. Each member consumes only its shards; `x-single-active-consumer` on the queues
 * makes a hand-over exact even while two members' views still differ.
 */
class GroupMember {
  readonly id: string;
  readonly groupId: string;
  readonly topics: string[];
  readonly handleBatch: BatchHandler;
  readonly #bus: RabbitMqTransport;
  readonly #peers = new Map<string, { topics: string[]; seen: number }>();
  readonly #workers = new Map<string, ShardWorker>();
  readonly #stopping = new Map<string, Promise<void>>();
  #control: { link: Link; ch: Channel; queue: string; consumerTag: string } | undefined;
  #attaching: Promise<void> | undefined;
  #joined = false;
  #closing: Promise<void> | undefined;
  #reconciling: Promise<void> = Promise.resolve();

  constructor(bus: RabbitMqTransport, options: SubscribeOptions) {
    this.#bus = bus;
    this.groupId = options.groupId;
    this.topics = [...new Set(options.topics)];
    this.handleBatch = options.handleBatch;
    // Older members sort first, so a joining member takes shards from the end of each range.
    this.id = `${Date.now().toString(36).padStart(9, '0')}-${crypto.randomUUID()}`;
  }

  assignment(): string[] {
    return [...this.#workers.keys()].sort();
  }

  worker(tp: string): ShardWorker | undefined {
    return this.#workers.get(tp);
  }

  async join(link: Link): Promise<void> {
    await this.attach(link);
    // Listen for the others (they answer a hello at once) before taking any shard.
    await sleep(this.#bus.settings.discoveryMs);
    this.#joined = true;
    await this.#reconcile();
  }

  /** Opens this member's announcement queue on `link` and says hello (again, after a reconnect). */
  attach(link: Link): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const run = async () => {
      if (this.#closing || (this.#control?.link === link && this.#control.ch === link.control)) return;
      const ch = await this.#bus.controlChannel(link);
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, this.#bus.exchange(CONTROL_EXCHANGE), this.groupId);
      const { consumerTag } = await ch.consume(queue, (m) => m && this.#onAnnouncement(m), { noAck: true });
      this.#control = { link, ch, queue, consumerTag };
      // Whoever we heard before the connection dropped gets a fresh session timeout.
      const now = Date.now();
      for (const p of this.#peers.values()) p.seen = now;
      this.#announce('hello');
    };
    const next = (this.#attaching ?? Promise.resolve()).then(run).catch((err) => {
      this.#bus.log.warn({ err, group: this.groupId }, 'rabbitmq: joining the group failed; retrying with the next heartbeat');
    });
    this.#attaching = next;
    return next;
  }

  #announce(kind: Announcement['kind']): void {
    const c = this.#control;
    if (!c) return;
    const body: Announcement = { v: 1, kind, member: this.id, topics: this.topics };
    try {
      c.ch.publish(this.#bus.exchange(CONTROL_EXCHANGE), this.groupId, Buffer.from(JSON.stringify(body)), { persistent: false });
    } catch (err) {
      this.#bus.log.debug({ err }, 'rabbitmq: announcement not sent');
    }
  }

  #onAnnouncement(m: ConsumeMessage): void {
    let a: Announcement;
    try {
      a = JSON.parse(m.content.toString('utf8')) as Announcement;
    } catch {
      return;
    }
    if (a?.v !== 1 || typeof a.member !== 'string' || a.member === this.id || this.#closing) return;
    if (a.kind === 'bye') {
      if (this.#peers.delete(a.member)) void this.#reconcile();
      return;
    }
    const known = this.#peers.has(a.member);
    this.#peers.set(a.member, { topics: Array.isArray(a.topics) ? a.topics : [], seen: Date.now() });
    if (a.kind === 'hello') this.#announce('beat'); // so the newcomer learns about us at once
    if (!known) void this.#reconcile();
  }

  /** Every heartbeat: announce, forget members not heard from, rejoin if the control queue is gone. */
  tick(): void {
    if (this.#closing) return;
    const c = this.#control;
    if (!c || c.link.control !== c.ch) {
      void this.#bus
        .waitLink(() => true)
        .then((link) => link && this.attach(link))
        .catch(() => {});
      return;
    }
    this.#announce('beat');
    const limit = Date.now() - this.#bus.settings.sessionTimeoutMs;
    let changed = false;
    for (const [id, p] of this.#peers) {
      if (p.seen < limit) {
        this.#peers.delete(id);
        changed = true;
      }
    }
    if (changed) void this.#reconcile();
  }

  /** Starts the workers of the shards this member should own and stops the others. */
  #reconcile(): Promise<void> {
    const run = async () => {
      if (!this.#joined || this.#closing) return;
      const members = [[this.id, this.topics] as const, ...[...this.#peers].map(([id, p]) => [id, p.topics] as const)].sort((a, b) =>
        a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
      );
      const desired = new Set<string>();
      for (const topic of this.topics) {
        const eligible = members.filter(([, topics]) => topics.includes(topic)).map(([id]) => id);
        const n = this.#bus.partitionsOf(topic);
        for (let p = 0; p < n; p++) if (eligible[p % eligible.length] === this.id) desired.add(`${topic}:${p}`);
      }
      for (const tp of [...this.#workers.keys()]) if (!desired.has(tp)) this.#revoke(tp);
      for (const tp of desired) {
        if (this.#workers.has(tp)) continue;
        const [topic, shard] = splitTp(tp);
        const worker = new ShardWorker(this.#bus, this, topic, shard);
        this.#workers.set(tp, worker);
        worker.start(this.#stopping.get(tp));
      }
    };
    this.#reconciling = this.#reconciling.then(run, run).catch((err) => {
      this.#bus.log.error({ err, group: this.groupId }, 'rabbitmq: assigning shards failed');
    });
    return this.#reconciling;
  }

  #revoke(tp: string): void {
    const worker = this.#workers.get(tp);
    if (!worker) return;
    this.#workers.delete(tp);
    const stopped = worker.stop().finally(() => {
      if (this.#stopping.get(tp) === stopped) this.#stopping.delete(tp);
    });
    this.#stopping.set(tp, stopped);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Bye first: the others take the shards over at once (single active consumer holds them
      // back until this member's channels close, after the batches in hand).
      this.#announce('bye');
      await this.#reconciling.catch(() => {});
      for (const tp of [...this.#workers.keys()]) this.#revoke(tp);
      await Promise.all([...this.#stopping.values()]);
      await this.#attaching?.catch(() => {});
      const c = this.#control;
      this.#control = undefined;
      if (c) await c.ch.cancel(c.consumerTag).catch(() => {}); // auto-delete removes the queue
      this.#bus.removeMember(this);
    })();
    return this.#closing;
  }
}

// ---------------------------------------------------------------------------------------------
// one shard of a group's topic

interface Epoch {
  ch: Channel;
  buffer: ConsumeMessage[];
  closed: boolean;
  /** The offset of the next record; read from the commit queue at the first delivery. */
  next: number | undefined;
  unacked: number;
  wake: (() => void) | undefined;
}

/**
 * Consumes one shard queue for one member: batches of what is delivered, handed over in queue
 * order, acknowledged (and the position committed) once the handler resolved. A failure closes the
 * channel, which returns every unacknowledged message to the queue in order, and consumes again
 * after a backoff.
 */
class ShardWorker {
  /** The group's committed position in this queue, as far as this member knows. */
  committed: number | undefined;
  readonly #bus: RabbitMqTransport;
  readonly #member: GroupMember;
  readonly #topic: string;
  readonly #shard: number;
  #epoch: Epoch | undefined;
  #stopping = false;
  #failures = 0;
  #done: Promise<void> = Promise.resolve();
  #lastWrite: Promise<void> = Promise.resolve();
  #wakeSleep: (() => void) | undefined;

  constructor(bus: RabbitMqTransport, member: GroupMember, topic: string, shard: number) {
    this.#bus = bus;
    this.#member = member;
    this.#topic = topic;
    this.#shard = shard;
  }

  get unacked(): number {
    const ep = this.#epoch;
    return ep && !ep.closed ? ep.unacked : 0;
  }

  get #queue(): string {
    return this.#bus.groupQueue(this.#member.groupId, this.#topic, this.#shard);
  }

  start(after?: Promise<void>): void {
    this.#done = (async () => {
      await after;
      await this.#run();
    })();
  }

  /** Stops after the batch in hand (acknowledged or not); the rest goes back to the queue. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#epoch?.wake?.();
    this.#wakeSleep?.();
    this.#bus.nudge();
    await this.#done;
  }

  async #run(): Promise<void> {
    const log = this.#bus.log;
    while (!this.#stopping) {
      let ep: Epoch | undefined;
      let failed = false;
      try {
        ep = await this.#open();
        if (!ep) break;
        await this.#consume(ep);
      } catch (err) {
        if (!this.#stopping) {
          failed = true;
          this.#failures++;
          if (this.#bus.connected) {
            log.warn(
              { err, queue: this.#queue, attempt: this.#failures },
              'rabbitmq: batch not acknowledged; delivered again after a backoff',
            );
          } else log.debug({ queue: this.#queue }, 'rabbitmq: consumer waits for the connection to come back');
          // The queue may be gone (deleted by hand, a broker that lost it): declare it again.
          if (errorCode(err) === 404) await this.#bus.declareGroup(this.#member.groupId, [this.#topic]).catch(() => {});
        }
      } finally {
        if (ep) {
          this.#epoch = undefined;
          // The commit lands before the channel closes, so whoever takes the shard over reads it.
          await this.#lastWrite;
          await ep.ch.close().catch(() => {});
        }
      }
      if (failed && !this.#stopping) await this.#sleep(backoffDelay(this.#failures, 50, 5000));
    }
  }

  async #open(): Promise<Epoch | undefined> {
    const link = await this.#bus.waitLink(() => this.#stopping);
    if (!link) return undefined;
    const ch = await this.#bus.channel(link);
    const ep: Epoch = { ch, buffer: [], closed: false, next: undefined, unacked: 0, wake: undefined };
    this.#epoch = ep;
    ch.on('close', () => {
      ep.closed = true;
      ep.wake?.();
    });
    await ch.prefetch(this.#bus.settings.prefetch);
    await ch.consume(
      this.#queue,
      (m) => {
        if (m) {
          ep.buffer.push(m);
          ep.unacked++;
        } else ep.closed = true; // cancelled by the broker (queue deleted)
        ep.wake?.();
      },
      { noAck: false },
    );
    return ep;
  }

  async #take(ep: Epoch): Promise<ConsumeMessage[]> {
    while (ep.buffer.length === 0 && !ep.closed && !this.#stopping) {
      await new Promise<void>((resolve) => {
        ep.wake = resolve;
      });
      ep.wake = undefined;
    }
    return ep.buffer.splice(0, this.#bus.settings.prefetch);
  }

  async #consume(ep: Epoch): Promise<void> {
    for (;;) {
      const batch = await this.#take(ep);
      if (this.#stopping) return;
      if (ep.closed) throw Object.assign(new Error(`rabbitmq: channel of ${this.#queue} closed`), { code: 'CHANNEL_CLOSED' });
      if (ep.next === undefined) {
        await this.#lastWrite;
        ep.next = await this.#bus.readCommitted(this.#bus.committedQueue(this.#member.groupId, this.#topic, this.#shard));
      }
      const first = ep.next;
      const records = batch.map((m, i) => this.#bus.toRecord(m, this.#topic, this.#shard, first + i));
      await this.#member.handleBatch(records);
      // Acknowledged only now, after the handling transaction; throws if the channel is gone.
      ep.ch.ack(batch[batch.length - 1]!, true);
      ep.unacked -= batch.length;
      ep.next = first + batch.length;
      this.committed = ep.next;
      this.#failures = 0;
      this.#lastWrite = this.#bus
        .writeCommitted(this.#bus.committedQueue(this.#member.groupId, this.#topic, this.#shard), ep.next)
        .catch((err) => this.#bus.log.debug({ err, queue: this.#queue }, 'rabbitmq: commit position not written'));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }
}

// ---------------------------------------------------------------------------------------------

function names(declarations: Iterable<Declaration>): { exchanges: string[]; queues: string[] } {
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  for (const d of declarations) {
    if (d.kind === 'exchange') exchanges.add(d.name);
    else if (d.kind === 'queue') queues.add(d.name);
  }
  return { exchanges: [...exchanges], queues: [...queues] };
}

function splitTp(tp: string): [string, number] {
  const i = tp.lastIndexOf(':');
  return [tp.slice(0, i), Number(tp.slice(i + 1))];
}

function headerString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** An error that closed a channel but left the connection up (404, 406, 403, …). */
function isChannelError(err: unknown): boolean {
  const code = errorCode(err);
  return typeof code === 'number' && code >= 400 && code < 500;
}

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
