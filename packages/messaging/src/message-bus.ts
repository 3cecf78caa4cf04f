import { createMessage, type MessageType, type PayloadOf, type TypedMessage, topicOf } from '@campusg/contracts';
import type { Clock, Db, IdGenerator, Logger, Metrics, Sql } from '@campusg/platform';
import { ConsumerGroups } from './consumer-groups.ts';
import { type FollowOptions, followBatches } from './follow.ts';
import { GroupBatches } from './group-batches.ts';
import type { Emit, Handlers, Routing } from './handler.ts';
import type { Outbox, OutboxReceipt } from './outbox.ts';
import type { BatchHandler, OutgoingRecord, Subscription, Transport } from './transport.ts';
import { keyFromPayload, toRecord } from './wire.ts';

export type { Emit, Handler, HandlerContext, Handlers, Routing } from './handler.ts';
export { deadLetterRecord, REPLAY_GROUP_HEADER, toRecord } from './wire.ts';

/**
 * The least time a round of a group that nothing waits on (notifications, analytics) takes
 * (`consume`'s `lingerMs`): a tenth of a second on a page is not seen, and at ten orders a second
 * the notification group's seventeen messages an order come in rounds of about seventeen.
 */
export const SINK_LINGER_MS = 100;

export interface MessageBusDeps {
  db: Db;
  transport: Transport;
  outbox: Outbox;
  /** The schema holding this service's inbox. */
  schema: string;
  /** `source` of every message this service emits, e.g. `order-service`. */
  source: string;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
  maxAttempts: number;
  retryBaseMs: number;
  /** Keys of one partition batch handled at once (each key stays sequential). */
  keyConcurrency?: number;
  /** Most messages handled in one transaction (default 50; 1 = a transaction per message). */
  chunkSize?: number;
  /** How long `transact` waits for its messages to reach the transport (default 5000 ms). */
  publishWaitMs?: number;
  /** Milliseconds on a monotonic clock, to time handlers (default `performance.now`). */
  monotonicMs?: () => number;
}

/**
 * A service's view of the bus: emit messages inside its own transactions (outbox), and consume
 * with an inbox, per-key ordering, retries with backoff and a dead-letter topic.
 */
export class MessageBus {
  readonly #deps: MessageBusDeps;
  /** The groups this bus has joined: e.g. to rewind one (`groups.rewind`). */
  readonly groups = new ConsumerGroups();
  #closing = false;

  readonly #batches: GroupBatches;

  constructor(deps: MessageBusDeps) {
    this.#deps = deps;
    this.#batches = new GroupBatches({ ...deps, emit: (...args) => this.#emit(...args), closing: () => this.#closing });
  }

  get transport(): Transport {
    return this.#deps.transport;
  }

  /** Builds a message of a known type as a record ready for the transport. */
  toRecord(message: TypedMessage, key: string): OutgoingRecord {
    return toRecord(message, key);
  }

  #emit<T extends MessageType>(into: OutgoingRecord[], type: T, payload: PayloadOf<T>, routing: Routing, at: Date): TypedMessage<T> {
    const { ids, source, metrics } = this.#deps;
    const message = createMessage(type, payload, {
      messageId: routing.messageId ?? ids.uuid(),
      correlationId: routing.correlationId,
      causationId: routing.causationId ?? null,
      source,
      timestamp: at,
    });
    into.push(toRecord(message, routing.key));
    metrics.produced.inc({ topic: topicOf(type), type });
    return message;
  }

  /**
   * Runs `fn` in one transaction; the messages it emits are stored with the state change and
   * published after the commit. Without explicit routing an emitted message gets a fresh
   * correlation id and is keyed by its payload's order id. `now` is the instant of the change: the
   * emitted messages carry it as their timestamp, so state and events agree to the millisecond.
   *
   * By default it returns once the messages are on the transport too (waiting at most
   * `publishWaitMs`), so a client that changed something through one service and then asks
   * another, whose read model follows those messages, reads its own write. Background loops
   * (timers, deadlines) pass `{ awaitPublish: false }`.
   */
  async transact<T>(fn: (tx: Sql, emit: Emit, now: Date) => Promise<T>, options: { awaitPublish?: boolean } = {}): Promise<T> {
    const out: OutgoingRecord[] = [];
    const now = this.#deps.clock.now();
    let receipt: OutboxReceipt | undefined;
    const result = await this.#deps.db
      .transaction(async (tx) => {
        const emit: Emit = (type, payload, routing = {}) =>
          this.#emit(
            out,
            type,
            payload,
            {
              key: routing.key ?? keyFromPayload(payload as Record<string, unknown>, this.#deps.ids),
              correlationId: routing.correlationId ?? this.#deps.ids.uuid(),
              causationId: routing.causationId ?? null,
              messageId: routing.messageId,
            },
            now,
          );
        const value = await fn(tx, emit, now);
        if (out.length > 0) receipt = await this.#deps.outbox.add(tx, out, { last: true });
        return value;
      })
      .catch((err: unknown) => {
        receipt?.abandon();
        throw err;
      });
    if (receipt) {
      receipt.wake();
      if (options.awaitPublish !== false) await receipt.published(this.#deps.publishWaitMs ?? 5000);
    }
    return result;
  }

  /**
   * Consumes `topics` as `groupId`; messages of types without a handler are skipped. `chunkSize`
   * overrides the bus's for this group (1: a transaction per message). `inbox: false` is for
   * handlers that recognise a message seen before themselves (see `GroupBatches.withoutInbox`).
   * `lingerMs` is for a group nothing waits on: its rounds last at least that long, so what comes
   * meanwhile gathers into the next (see `GroupBatches.linger`; transports that store offsets with
   * the effects group-commit already).
   */
  async consume(
    groupId: string,
    topics: string[],
    handlers: Handlers,
    options: { chunkSize?: number; inbox?: boolean; lingerMs?: number } = {},
  ): Promise<Subscription> {
    const chunk = Math.max(1, options.chunkSize ?? this.#deps.chunkSize ?? 50);
    if (options.inbox === false) this.#batches.withoutInbox(groupId);
    if (options.lingerMs !== undefined) this.#batches.linger(groupId, options.lingerMs);
    const handleBatch: BatchHandler = (batch, context) =>
      this.#batches.handleBatch(groupId, batch, handlers, chunk, context?.database === this.#deps.db ? context.commitIn : undefined);
    return this.groups.join(groupId, topics, () => this.#deps.transport.subscribe({ groupId, topics, handleBatch }));
  }

  /**
   * Follows `topics` in this instance alone, for what a process keeps in memory (the live updates of
   * its open streams): see `followBatches`. Every instance that follows gets every message
   * published from now on, whichever instance of a group handles it.
   */
  async follow(options: FollowOptions): Promise<Subscription> {
    const handleBatch = followBatches(options, this.#deps.metrics);
    return this.groups.track(
      await this.#deps.transport.subscribe({ groupId: options.name, topics: options.topics, ephemeral: true, handleBatch }),
    );
  }

  /** Leaves every group and ephemeral subscription (after the batches in hand) and stops the outbox. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.groups.close();
    await this.#deps.outbox.close();
  }
}
