import { setTimeout as sleep } from 'node:timers/promises';
import { decodeMessage, type MessageType, type PayloadOf, type TypedMessage } from '@campusg/contracts';
import { isInfrastructureError, isRetryable, type Logger, type Sql } from '@campusg/platform';
import type { Emit, Handler, HandlerContext, Handlers, Routing } from './handler.ts';
import { hookedTransaction, type TransactionHooks } from './hooked-transaction.ts';
import type { MessageBusDeps } from './message-bus.ts';
import { RoundPacing } from './round-pacing.ts';
import { backoffDelay, yieldToEventLoop } from './signal.ts';
import type { BatchContext, ConsumedRecord, OutgoingRecord } from './transport.ts';
import { deadLetterRecord, keyLanes, lazyLog, REPLAY_GROUP_HEADER } from './wire.ts';

/** What handling a group's batches needs: the bus's dependencies, how it builds a message, whether it is closing. */
export interface GroupBatchDeps
  extends Pick<
    MessageBusDeps,
    | 'db'
    | 'transport'
    | 'outbox'
    | 'schema'
    | 'clock'
    | 'log'
    | 'metrics'
    | 'maxAttempts'
    | 'retryBaseMs'
    | 'keyConcurrency'
    | 'monotonicMs'
  > {
  emit: <T extends MessageType>(into: OutgoingRecord[], type: T, payload: PayloadOf<T>, routing: Routing, at: Date) => TypedMessage<T>;
  closing: () => boolean;
}

/**
 * The consuming side of the bus: a group's batches handled with an inbox, in transactions of many
 * messages, with per-key ordering, retries with backoff and dead letters.
 */
export class GroupBatches {
  readonly #deps: GroupBatchDeps;
  /** Groups whose handlers recognise a message seen before themselves: no inbox rows for them. */
  readonly #withoutInbox = new Set<string>();
  /** Per group, the batches handed over in this turn of the event loop: its next round (see `#merged`). */
  readonly #rounds = new Map<string, Waiting[]>();
  /** The pace of the rounds of groups nothing waits on (see `linger`). */
  readonly #pacing = new RoundPacing();

  constructor(deps: GroupBatchDeps) {
    this.#deps = deps;
  }

  /**
   * `groupId`'s handlers recognise a message seen before by its id themselves, in the transaction
   * that handles it (their first write is keyed by the message id and does nothing the second time,
   * and is kept at least as long as the bus keeps the message): its messages need no inbox row.
   */
  withoutInbox(groupId: string): void {
    this.#withoutInbox.add(groupId);
  }

  /** `groupId` is a sink: its rounds are paced at `ms` (see `RoundPacing`). */
  linger(groupId: string, ms: number): void {
    this.#pacing.set(groupId, ms);
  }

  /**
   * Records are handled in chunks, a chunk in one transaction: one inbox insert for all their
   * message ids, the handlers one after another, one outbox insert for everything they emitted, one
   * commit. A chunk that fails is rolled back as a whole and handled again one message at a time,
   * with retries and dead-lettering: the result is the same, only cheaper when nothing goes wrong.
   *
   * Where the transport stores offsets in the handling transaction (`commitIn`), each transaction
   * also stores the offset through its last record, so a record handled can never come again: no
   * inbox row is needed for a record the transport says is in its log once (`unique`). One offset
   * per partition cannot say how far each of several lanes got, so such a batch is handled in one
   * lane, its chunks in offset order (`#inOrder`). That transport is the embedded one, whose
   * database runs one transaction at a time anyway: lanes would only queue for it, while the chunks
   * of every group's partitions share its commits (group commit). Without `commitIn`, batches
   * gather into rounds (`#merged`).
   */
  async handleBatch(groupId: string, batch: ConsumedRecord[], handlers: Handlers, chunk: number, commitIn?: CommitIn): Promise<void> {
    if (!commitIn) return this.#merged(groupId, batch, handlers, chunk);
    return this.#inOrder(groupId, batch, handlers, chunk, commitIn);
  }

  /**
   * `records` in chunks in offset order, each in one transaction. If a chunk fails with records of
   * other keys behind it, the rest goes on key by key (`#inLanes`), so a key stuck on a failing
   * dependency holds back none of the others; once only one key is left, nothing could be held
   * back, and a failing chunk is handled one message at a time in place.
   */
  async #inOrder(groupId: string, records: ConsumedRecord[], handlers: Handlers, chunk: number, commitIn?: CommitIn): Promise<void> {
    // From `oneKeyFrom` on, every record has the same key.
    let oneKeyFrom = records.length - 1;
    while (oneKeyFrom > 0 && records[oneKeyFrom - 1]!.key === records[oneKeyFrom]!.key) oneKeyFrom--;
    for (let i = 0; i < records.length; i += chunk) {
      if (await this.#handleChunk(groupId, records.slice(i, i + chunk), handlers, commitIn, i < oneKeyFrom)) continue;
      return this.#inLanes(groupId, records.slice(i), handlers, chunk);
    }
  }

  /**
   * Without `commitIn` (Kafka, RabbitMQ) a transport hands over each partition's batch on its own:
   * a Kafka consumer every partition of a fetch at once, a RabbitMQ connection every shard whose
   * deliveries one read brought. Under load most of these batches hold a record or two. So the
   * batches of a group handed over in one turn of the event loop are handled together, as one round
   * (group commit; it lingers for no timer, only until the turn's other batches are in). Rounds do
   * not wait for each other, so a slow one holds back no other partition, as before. Each batch is
   * answered when its round has ended, so the transport commits no offset before the records'
   * transactions did; a partition sends its next batch only after that answer, so a key's records
   * are still handled in order.
   *
   * A round's records go to as many lanes as it has full chunks (at most `keyConcurrency`), so a
   * small round is one transaction and a backlog still runs in parallel; each lane as `#inOrder`.
   */
  #merged(groupId: string, batch: ConsumedRecord[], handlers: Handlers, chunk: number): Promise<void> {
    let waiting = this.#rounds.get(groupId);
    if (!waiting) {
      const round: Waiting[] = [];
      waiting = round;
      this.#rounds.set(groupId, round);
      const start = () => {
        this.#rounds.delete(groupId);
        void this.#round(groupId, round, handlers, chunk);
      };
      const wait = this.#pacing.untilNextStart(groupId);
      if (wait > 0) setTimeout(start, wait);
      else setImmediate(start);
    }
    return new Promise<void>((resolve, reject) => waiting.push({ batch, resolve, reject }));
  }

  /** Handles the batches of one round, and answers each of them. */
  async #round(groupId: string, round: Waiting[], handlers: Handlers, chunk: number): Promise<void> {
    const records = round.flatMap((w) => w.batch);
    const pace = this.#pacing.started(groupId);
    try {
      const lanes = Math.min(this.#deps.keyConcurrency ?? 8, Math.ceil(records.length / chunk));
      await Promise.all(keyLanes(records, lanes).map((lane) => this.#inOrder(groupId, lane, handlers, chunk)));
      const hold = pace.answerAfter(performance.now());
      if (hold > 0 && !this.#deps.closing()) await sleep(hold);
      for (const w of round) w.resolve();
    } catch (err) {
      for (const w of round) w.reject(err);
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
    /** How long each handler ran, recorded once the chunk has committed. */
    const ran: { type: string; seconds: number }[] = [];
    /** Does a record need an inbox row to be seen once (not if its offset is stored with it, or the handlers see to it). */
    const inbox = !this.#withoutInbox.has(groupId);
    const needsInbox = (record: ConsumedRecord) => inbox && !(commit && record.unique);
    try {
      await hookedTransaction(this.#deps.db, async (tx, hooks) => {
        ran.length = 0;
        const ids = work.filter((w) => needsInbox(w.record)).map((w) => w.message.message_id.toLowerCase());
        const inserted =
          ids.length === 0
            ? []
            : await tx.query<{ message_id: string }>(
                `insert into ${schema}.inbox (group_id, message_id) select $1, unnest($2::uuid[]) on conflict do nothing returning message_id`,
                [groupId, ids],
              );
        const fresh = new Set(inserted.map((r) => r.message_id));
        // Each id once, even when one batch carries a message twice.
        const todo = work.filter(({ record, message }) => !needsInbox(record) || fresh.delete(message.message_id.toLowerCase()));
        const batch = todo.map((w) => w.message);
        for (const { record, message, handler } of todo) {
          failing = record;
          const ctx = { tx, record, now: clock.now(), log: this.#lazyLog(groupId, message), batch };
          ran.push({ type: message.type, seconds: await this.#invoke(handler, message, ctx, out, hooks.afterCommit) });
          failing = undefined;
        }
        await this.#store(tx, out, hooks, !commit);
        if (commit) hooks.afterCommit.push(await commit.commitIn(tx, commit.through));
      });
    } catch (err) {
      if (this.#deps.closing()) throw err;
      // The handler that threw gets another attempt (one by one): a retry like any other.
      if (failing) metrics.handlerRetries.inc({ group: groupId, topic: failing.topic });
      if (report) return false;
      this.#deps.log.debug({ err, group: groupId, records: records.length }, 'chunk failed; handling its messages one by one');
      await this.#oneByOne(groupId, decoded, handlers, commit);
      return true;
    }
    for (const { record, message } of work) metrics.consumed.inc({ group: groupId, topic: record.topic, type: message.type });
    for (const { type, seconds } of ran) metrics.handlerDuration.observe({ group: groupId, type }, seconds);
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
        if (this.#deps.closing()) throw err;
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
    const now = clock.now();
    let seconds: number | undefined;
    await hookedTransaction(this.#deps.db, async (tx, hooks) => {
      seconds = undefined;
      if (commit) hooks.afterCommit.push(await commit.commitIn(tx, commit.through));
      if (!this.#withoutInbox.has(groupId) && !(commit && record.unique)) {
        const fresh = await tx.query(
          `insert into ${schema}.inbox (group_id, message_id) values ($1, $2) on conflict do nothing returning 1 as fresh`,
          [groupId, message.message_id],
        );
        if (fresh.length === 0) {
          log.debug('duplicate delivery ignored');
          return;
        }
      }
      seconds = await this.#invoke(handler, message, { tx, record, now, log, batch: [message] }, out, hooks.afterCommit);
      await this.#store(tx, out, hooks, true);
    });
    if (seconds !== undefined) this.#deps.metrics.handlerDuration.observe({ group: groupId, type: message.type }, seconds);
  }

  /**
   * Stores what the handlers emitted in their transaction; the deliverer is woken first after the
   * commit, or told of a rollback. `last`: nothing runs in the transaction after it (COMMIT may go
   * with it).
   */
  async #store(tx: Sql, out: OutgoingRecord[], hooks: TransactionHooks, last = false): Promise<void> {
    if (out.length === 0) return;
    const receipt = await this.#deps.outbox.add(tx, out, { last });
    hooks.afterCommit.unshift(() => receipt.wake());
    hooks.rolledBack.push(() => receipt.abandon());
  }

  /** A logger for one message, built only if a handler logs (most never do). */
  #lazyLog(groupId: string, message: TypedMessage): Logger {
    return lazyLog(() =>
      this.#deps.log.child({ group: groupId, correlation_id: message.correlation_id, message_id: message.message_id, type: message.type }),
    );
  }

  /**
   * Runs a handler in `tx`; what it emits (a reply by default: same key and correlation, caused by
   * `message`) goes to `out`. Resolves to the seconds the handler ran.
   */
  async #invoke(
    handler: Handler,
    message: TypedMessage,
    ctx: Pick<HandlerContext, 'tx' | 'record' | 'now' | 'log' | 'batch'>,
    out: OutgoingRecord[],
    afterCommit: (() => void)[],
  ): Promise<number> {
    const emit: Emit = (type, payload, routing = {}) =>
      this.#deps.emit(
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
    const monotonicMs = this.#deps.monotonicMs ?? performance.now.bind(performance);
    const startedAt = monotonicMs();
    await handler(message, { ...ctx, emit, afterCommit: (fn) => afterCommit.push(fn) });
    return (monotonicMs() - startedAt) / 1000;
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
    await hookedTransaction(this.#deps.db, async (tx, hooks) => {
      await this.#store(tx, [dead], hooks);
      hooks.afterCommit.push(await commit.commitIn(tx, commit.through));
    });
  }
}

/** A batch waiting for its group's next round, and how to answer its transport. */
interface Waiting {
  batch: ConsumedRecord[];
  resolve(): void;
  reject(err: unknown): void;
}

/** What `decodeMessage` says of a record. */
type Decoded = ReturnType<typeof decodeMessage>;

type CommitIn = NonNullable<BatchContext['commitIn']>;
/** Where a handling transaction stores the group's offset: through `through`, with `commitIn`. */
interface Commit {
  commitIn: CommitIn;
  through: ConsumedRecord;
}
