import { setTimeout as sleep } from 'node:timers/promises';
import { createMessage, decodeMessage, type MessageType, type PayloadOf, type TypedMessage, topicOf } from '@campusg/contracts';
import {
  type Clock,
  type Db,
  type IdGenerator,
  isInfrastructureError,
  isRetryable,
  type Logger,
  type Metrics,
  type Sql,
} from '@campusg/platform';
import { ConsumerGroups } from './consumer-groups.ts';
import type { Emit, Handler, HandlerContext, Handlers, Routing } from './handler.ts';
import type { Outbox, OutboxReceipt } from './outbox.ts';
import { backoffDelay, yieldToEventLoop } from './signal.ts';
import type { BatchContext, BatchHandler, ConsumedRecord, OutgoingRecord, Subscription, Transport } from './transport.ts';
import { deadLetterRecord, keyFromPayload, keyLanes, lazyLog, REPLAY_GROUP_HEADER, toRecord } from './wire.ts';

export type { Emit, Handler, HandlerContext, Handlers, Routing } from './handler.ts';
export { deadLetterRecord, REPLAY_GROUP_HEADER, toRecord } from './wire.ts';

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

  constructor(deps: MessageBusDeps) {
    this.#deps = deps;
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
    const result = await this.#deps.db.transaction(async (tx) => {
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
      if (out.length > 0) receipt = await this.#deps.outbox.add(tx, out);
      return value;
    });
    if (receipt) {
      receipt.wake();
      if (options.awaitPublish !== false) await receipt.published(this.#deps.publishWaitMs ?? 5000);
    }
    return result;
  }

  /**
   * Consumes `topics` as `groupId`; messages of types without a handler are skipped. `chunkSize`
   * overrides the bus's for this group (1: a transaction per message).
   */
  async consume(groupId: string, topics: string[], handlers: Handlers, options: { chunkSize?: number } = {}): Promise<Subscription> {
    const chunk = Math.max(1, options.chunkSize ?? this.#deps.chunkSize ?? 50);
    const handleBatch: BatchHandler = (batch, context) =>
      this.#handleBatch(groupId, batch, handlers, chunk, context?.database === this.#deps.db ? context.commitIn : undefined);
    return this.groups.join(groupId, topics, () => this.#deps.transport.subscribe({ groupId, topics, handleBatch }));
  }

  /**
   * A batch is split into lanes by key (a key's records stay in one lane, in offset order; lanes run
   * concurrently). Each lane handles its records in chunks, a chunk in one transaction: one inbox
   * insert for all their message ids, the handlers one after another, one outbox insert for everything
   * they emitted, one commit. A chunk that fails is rolled back as a whole and handled again one
   * message at a time, with retries and dead-lettering: the result is the same, only cheaper when
   * nothing goes wrong.
   *
   * Where the transport stores offsets in the handling transaction (`commitIn`), each transaction
   * also stores the offset through its last record, so a record handled can never come again: no
   * inbox row is needed for a record the transport says is in its log once (`unique`). One offset
   * per partition cannot say how far each of several lanes got, so such a batch is handled in one
   * lane, its chunks in offset order. That transport is the embedded one, whose database runs one
   * transaction at a time anyway: lanes would only queue for it, while the chunks of every group's
   * partitions share its commits (group commit). If a chunk fails with records of other keys behind
   * it, the rest of the batch goes on in lanes as above, so a key stuck on a failing dependency
   * holds back none of the others.
   */
  async #handleBatch(groupId: string, batch: ConsumedRecord[], handlers: Handlers, chunk: number, commitIn?: CommitIn): Promise<void> {
    if (!commitIn) return this.#inLanes(groupId, batch, handlers, chunk);
    // From `oneKeyFrom` on, every record has the same key: nothing behind a failure there could be held back.
    let oneKeyFrom = batch.length - 1;
    while (oneKeyFrom > 0 && batch[oneKeyFrom - 1]!.key === batch[oneKeyFrom]!.key) oneKeyFrom--;
    for (let i = 0; i < batch.length; i += chunk) {
      if (await this.#handleChunk(groupId, batch.slice(i, i + chunk), handlers, commitIn, i < oneKeyFrom)) continue;
      return this.#inLanes(groupId, batch.slice(i), handlers, chunk);
    }
  }

  async #inLanes(groupId: string, batch: ConsumedRecord[], handlers: Handlers, chunk: number): Promise<void> {
    await Promise.all(
      keyLanes(batch, this.#deps.keyConcurrency ?? 8).map(async (lane) => {
        for (let i = 0; i < lane.length; i += chunk) await this.#handleChunk(groupId, lane.slice(i, i + chunk), handlers);
      }),
    );
  }

  /**
   * Handles a chunk in one transaction, falling back to one message at a time if that fails; with
   * `report`, a failed transaction is not retried here: the result is false, and nothing was done.
   */
  async #handleChunk(
    groupId: string,
    records: ConsumedRecord[],
    handlers: Handlers,
    commitIn?: CommitIn,
    report = false,
  ): Promise<boolean> {
    // Records of a type this group does not handle, or a replay meant for another group, are dropped
    // before they are decoded (the `type` header repeats the envelope's); each other record is
    // decoded once, here, and the one-by-one path gets the result.
    const decoded = records
      .filter((record) => {
        const { type, [REPLAY_GROUP_HEADER]: replayFor } = record.headers;
        if (replayFor !== undefined && replayFor !== groupId) return false;
        return type === undefined || (handlers as Record<string, Handler | undefined>)[type] !== undefined;
      })
      .map((record) => ({ record, decoded: decodeMessage(record.value) }));
    // With `commitIn` a transaction stores the offset through the chunk's last record, dropped ones included.
    const commit = commitIn && { commitIn, through: records[records.length - 1]! };
    const work: { record: ConsumedRecord; message: TypedMessage; handler: Handler }[] = [];
    for (const { record, decoded: d } of decoded) {
      // Not for the fast path: a poison message goes to the dead-letter topic in order.
      if (!d.ok) {
        await this.#oneByOne(groupId, decoded, handlers, commit);
        return true;
      }
      const handler = handlers[d.message.type] as Handler | undefined;
      if (handler) work.push({ record, message: d.message, handler });
    }
    if (work.length === 0) return true;
    if (work.length === 1 && !report) {
      await this.#oneByOne(groupId, decoded, handlers, commit);
      return true;
    }
    await yieldToEventLoop();
    const { schema, clock, metrics } = this.#deps;
    /** The record whose handler is running, so a failure is charged to it. */
    let failing: ConsumedRecord | undefined;
    const out: OutgoingRecord[] = [];
    const afterCommit: (() => void)[] = [];
    try {
      await this.#deps.db.transaction(async (tx) => {
        const ids = work.filter((w) => !(commit && w.record.unique)).map((w) => w.message.message_id.toLowerCase());
        const inserted =
          ids.length === 0
            ? []
            : await tx.query<{ message_id: string }>(
                `insert into ${schema}.inbox (group_id, message_id) select $1, unnest($2::uuid[]) on conflict do nothing returning message_id`,
                [groupId, ids],
              );
        const fresh = new Set(inserted.map((r) => r.message_id));
        for (const { record, message, handler } of work) {
          // Each id once, even when one batch carries a message twice.
          if (!(commit && record.unique) && !fresh.delete(message.message_id.toLowerCase())) continue;
          failing = record;
          await this.#invoke(handler, message, { tx, record, now: clock.now(), log: this.#lazyLog(groupId, message) }, out, afterCommit);
          failing = undefined;
        }
        await this.#store(tx, out, afterCommit);
        if (commit) afterCommit.push(await commit.commitIn(tx, commit.through));
      });
    } catch (err) {
      if (this.#closing) throw err;
      // The handler that threw gets another attempt (one by one): a retry like any other.
      if (failing) metrics.handlerRetries.inc({ group: groupId, topic: failing.topic });
      if (report) return false;
      this.#deps.log.debug({ err, group: groupId, records: records.length }, 'chunk failed; handling its messages one by one');
      await this.#oneByOne(groupId, decoded, handlers, commit);
      return true;
    }
    for (const fn of afterCommit) fn();
    for (const { record, message } of work) metrics.consumed.inc({ group: groupId, topic: record.topic, type: message.type });
    return true;
  }

  /** Each message in a transaction of its own; the last one's also stores the offset through `commit.through`. */
  async #oneByOne(
    groupId: string,
    items: { record: ConsumedRecord; decoded: Decoded }[],
    handlers: Handlers,
    commit?: Commit,
  ): Promise<void> {
    for (const [i, { record, decoded }] of items.entries()) {
      await yieldToEventLoop();
      const at = commit && { commitIn: commit.commitIn, through: i === items.length - 1 ? commit.through : record };
      await this.#handleRecord(groupId, record, decoded, handlers, at);
    }
  }

  async #handleRecord(groupId: string, record: ConsumedRecord, decoded: Decoded, handlers: Handlers, commit?: Commit): Promise<void> {
    const { log, metrics, maxAttempts, retryBaseMs } = this.#deps;
    if (!decoded.ok) return this.#deadLetter(groupId, record, decoded.reason, decoded.detail, commit);
    const message = decoded.message;
    const handler = handlers[message.type] as Handler | undefined;
    if (!handler) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const startedAt = performance.now();
        await this.#handleOnce(groupId, record, message, handler, commit);
        metrics.consumed.inc({ group: groupId, topic: record.topic, type: message.type });
        const ms = Math.round(performance.now() - startedAt);
        log.debug(
          { group: groupId, type: message.type, message_id: message.message_id, correlation_id: message.correlation_id, ms },
          'message handled',
        );
        return;
      } catch (err) {
        const infrastructure = isInfrastructureError(err);
        if (this.#closing) throw err;
        if (infrastructure || (isRetryable(err) && attempt < maxAttempts)) {
          metrics.handlerRetries.inc({ group: groupId, topic: record.topic });
          log.warn({ err, group: groupId, type: message.type, message_id: message.message_id, attempt }, 'handler failed; retrying');
          await sleep(backoffDelay(attempt, retryBaseMs, infrastructure ? 5000 : 2000));
          continue;
        }
        const reason = isRetryable(err) ? 'MAX_ATTEMPTS' : 'HANDLER_ERROR';
        return this.#deadLetter(groupId, record, reason, (err as Error)?.message ?? String(err), commit);
      }
    }
  }

  async #handleOnce(groupId: string, record: ConsumedRecord, message: TypedMessage, handler: Handler, commit?: Commit): Promise<void> {
    const { schema, clock } = this.#deps;
    const log = this.#lazyLog(groupId, message);
    const out: OutgoingRecord[] = [];
    const afterCommit: (() => void)[] = [];
    const now = clock.now();
    await this.#deps.db.transaction(async (tx) => {
      if (commit) afterCommit.push(await commit.commitIn(tx, commit.through));
      if (!(commit && record.unique)) {
        const fresh = await tx.query(
          `insert into ${schema}.inbox (group_id, message_id) values ($1, $2) on conflict do nothing returning 1 as fresh`,
          [groupId, message.message_id],
        );
        if (fresh.length === 0) {
          log.debug('duplicate delivery ignored');
          return;
        }
      }
      await this.#invoke(handler, message, { tx, record, now, log }, out, afterCommit);
      await this.#store(tx, out, afterCommit);
    });
    for (const fn of afterCommit) fn();
  }

  /** Stores what the handlers emitted in their transaction; the deliverer is woken first after the commit. */
  async #store(tx: Sql, out: OutgoingRecord[], afterCommit: (() => void)[]): Promise<void> {
    if (out.length === 0) return;
    const receipt = await this.#deps.outbox.add(tx, out);
    afterCommit.unshift(() => receipt.wake());
  }

  /** A logger for one message, built only if a handler logs (most never do). */
  #lazyLog(groupId: string, message: TypedMessage): Logger {
    return lazyLog(() =>
      this.#deps.log.child({ group: groupId, correlation_id: message.correlation_id, message_id: message.message_id, type: message.type }),
    );
  }

  /** Runs a handler in `tx`; what it emits (a reply by default: same key and correlation, caused by `message`) goes to `out`. */
  #invoke(
    handler: Handler,
    message: TypedMessage,
    ctx: Pick<HandlerContext, 'tx' | 'record' | 'now' | 'log'>,
    out: OutgoingRecord[],
    afterCommit: (() => void)[],
  ): Promise<void> {
    const emit: Emit = (type, payload, routing = {}) =>
      this.#emit(
        out,
        type,
        payload,
        {
          key: routing.key ?? ctx.record.key ?? message.correlation_id,
          correlationId: routing.correlationId ?? message.correlation_id,
          causationId: routing.causationId ?? message.message_id,
          messageId: routing.messageId,
        },
        ctx.now,
      );
    return handler(message, { ...ctx, emit, afterCommit: (fn) => afterCommit.push(fn) });
  }

  /**
   * Sends `record` to its dead-letter topic. With `commitIn` the dead letter is stored through the
   * outbox in one transaction with the group's offset past it: it is sent once.
   */
  async #deadLetter(groupId: string, record: ConsumedRecord, reason: string, detail: string, commit?: Commit): Promise<void> {
    this.#deps.metrics.deadLettered.inc({ group: groupId, topic: record.topic, reason });
    this.#deps.log.error(
      { group: groupId, topic: record.topic, partition: record.partition, offset: record.offset, reason, detail },
      'message dead-lettered',
    );
    const dead = deadLetterRecord(record, groupId, reason, detail, this.#deps.clock.now());
    if (!commit) return this.#deps.transport.publish([dead]);
    const afterCommit: (() => void)[] = [];
    await this.#deps.db.transaction(async (tx) => {
      await this.#store(tx, [dead], afterCommit);
      afterCommit.push(await commit.commitIn(tx, commit.through));
    });
    for (const fn of afterCommit) fn();
  }

  /** Leaves every group (after the batches in hand) and stops the outbox. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.groups.close();
    await this.#deps.outbox.close();
  }
}

/** What `decodeMessage` says of a record. */
type Decoded = ReturnType<typeof decodeMessage>;

type CommitIn = NonNullable<BatchContext['commitIn']>;
/** Where a handling transaction stores the group's offset: through `through`, with `commitIn`. */
interface Commit {
  commitIn: CommitIn;
  through: ConsumedRecord;
}
