import { setTimeout as sleep } from 'node:timers/promises';
import { type BaseOptions, Consumer, type Message, type MessagesStream, stringDeserializers } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { backoffDelay } from '../signal.ts';
import type { ConsumedRecord, SubscribeOptions } from '../transport.ts';
import { toConsumed } from './to-consumed.ts';
import { untilSettled } from './until-settled.ts';

type Msg = Message<string, string, string, string>;
type Stream = MessagesStream<string, string, string, string>;

/** What a consumer of a group needs of its transport. */
export interface StreamContext {
  /** Connection options of every client of the transport (brokers, TLS, SASL, retries). */
  client: BaseOptions;
  /** The namespace prefix of topics and groups, and the inverse mapping. */
  namespace: string;
  local: (topic: string) => string;
  log: Logger;
}

/** How a member positions itself, and what it does once a partition's batch is handled. */
export interface Positioning {
  /** The group on the broker (namespaced). */
  groupId: string;
  /**
   * Where a (re)opened stream starts: at the group's committed offsets, or at the positions given
   * (a partition without one at its end).
   */
  start: () => { mode: 'committed'; fallback: 'earliest' | 'latest' } | { mode: 'manual'; offsets: Map<string, number> };
  /** Called before the first batch of a partition is handled in an assignment. */
  beforeFirst?: (consumer: Consumer<string, string, string, string>, topic: string, partition: number, offset: number) => Promise<void>;
  /** Called once a batch is handled, with the offset that follows it. */
  handled: (consumer: Consumer<string, string, string, string>, topic: string, partition: number, next: number) => Promise<void>;
  /** Called when the group's assignment changes (a join). */
  joined?: () => void;
}

/** How long a failed stream waits before it is opened again (the broker restarting). */
const REOPEN_DELAY_MS = 1000;

/**
 * One member of a consumer group reading through a message stream: each read takes whatever the
 * stream holds (the records of one or more fetches), and hands it on as one batch per partition,
 * all partitions at once, each in offset order. The next read waits until every batch of this one
 * is handled. A batch whose handler rejects is handed on again, after a backoff, for as long as the
 * member owns its partition. A stream that fails (the broker gone longer than the client retries),
 * or a member whose group session ended (its heartbeat failed), is closed with its consumer, and a
 * new one opened after a pause, from the position `start` says.
 */
export class StreamMember {
  readonly #c: StreamContext;
  readonly #options: SubscribeOptions;
  readonly #positioning: Positioning;
  #consumer: Consumer<string, string, string, string> | undefined;
  #stream: Stream | undefined;
  #rounds: Rounds | undefined;
  #failure: unknown;
  /** This member's partitions (`topic:partition`, namespaced), as the last join assigned them. */
  #assignment = new Set<string>();
  /** Partitions of this assignment that had their first batch. */
  readonly #started = new Set<string>();
  #closed = false;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(c: StreamContext, options: SubscribeOptions, positioning: Positioning) {
    this.#c = c;
    this.#options = options;
    this.#positioning = positioning;
  }

  /** Joins the group and starts handling; resolves once the member has its first assignment. */
  async start(): Promise<void> {
    await this.#open();
    this.#loop = this.#run();
  }

  /** The partitions this member owns (`topic:partition`, in the catalogue's names). */
  assignment(): string[] {
    return [...this.#assignment]
      .map((tp) => {
        const at = tp.lastIndexOf(':');
        return `${this.#c.local(tp.slice(0, at))}${tp.slice(at)}`;
      })
      .sort();
  }

  /** Stops reading, waits for the batches in hand, then `beforeLeave`, then leaves the group. */
  async close(beforeLeave?: () => Promise<void>): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    const closing = this.#stream?.close().catch(() => {});
    await this.#loop;
    await beforeLeave?.();
    await closing;
    if (this.#consumer) await closeConsumer(this.#consumer);
  }

  async #open(): Promise<void> {
    const { groupId } = this.#positioning;
    const consumer = new Consumer<string, string, string, string>({
      ...this.#c.client,
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1000,
      // How long the broker holds a fetch that finds nothing new. A record arriving ends the wait
      // at once, so this bounds no delivery; it is how often an idle consumer asks.
      maxWaitTime: 1000,
      deserializers: stringDeserializers,
      autocommit: false,
    });
    consumer.on('consumer:group:join', (joined) => {
      this.#assignment = new Set((joined.assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`)));
      this.#started.clear();
      this.#positioning.joined?.();
    });
    consumer.on('consumer:group:rebalance', () => this.#positioning.joined?.());
    // A heartbeat that failed past the client's retries (the coordinator away), or a rejoin that did,
    // ends the member's session for good: the client sends no heartbeat again, while its stream goes
    // on fetching the partitions it had, which the group hands to others once the broker is back.
    // Such a member is failed like a stream that failed, and a new consumer joins in its place.
    let lost: unknown;
    const sessionLost = (err: unknown) => {
      lost ??= err;
      if (this.#consumer === consumer && this.#stream && !this.#stream.destroyed) this.#stream.destroy(asError(err));
    };
    consumer.on('consumer:heartbeat:error', (event: { error?: unknown }) => sessionLost(event.error));
    consumer.on('error', (err: unknown) => {
      this.#c.log.warn({ err, groupId: this.#options.groupId }, 'kafka: consumer error');
      sessionLost(err);
    });
    const topics = this.#options.topics.map((t) => this.#c.namespace + t);
    const start = this.#positioning.start();
    try {
      const stream = await untilSettled(
        () =>
          start.mode === 'committed'
            ? consumer.consume({ topics, mode: 'committed', fallbackMode: start.fallback, autocommit: false })
            : consumer.consume({
                topics,
                mode: 'manual',
                fallbackMode: 'latest',
                autocommit: false,
                offsets: [...start.offsets].map(([tp, offset]) => {
                  const at = tp.lastIndexOf(':');
                  return { topic: tp.slice(0, at), partition: Number(tp.slice(at + 1)), offset: BigInt(offset) };
                }),
              }),
        this.#c.log,
        `subscribing ${this.#options.groupId}`,
      );
      this.#failure = undefined;
      stream.on('error', (err) => {
        this.#failure = err;
      });
      this.#consumer = consumer;
      this.#stream = stream;
      this.#rounds = new Rounds(stream);
      if (lost !== undefined) sessionLost(lost);
    } catch (err) {
      await closeConsumer(consumer);
      throw err;
    }
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const round = await this.#rounds!.next();
      if (round) await this.#handle(round);
      else if (!this.#closed) await this.#reopen();
    }
  }

  /** A stream that ended on its own failed: a new consumer and stream, after a pause, until one opens. */
  async #reopen(): Promise<void> {
    this.#c.log.warn({ err: this.#failure, groupId: this.#options.groupId }, 'kafka: consumer stream failed; opening it again');
    if (this.#consumer) await closeConsumer(this.#consumer);
    for (let attempt = 0; !this.#closed; attempt++) {
      await sleep(backoffDelay(attempt, REOPEN_DELAY_MS, 10_000), undefined, { signal: this.#stop.signal }).catch(() => {});
      if (this.#closed) return;
      try {
        await this.#open();
        return;
      } catch (err) {
        this.#c.log.warn({ err, groupId: this.#options.groupId, attempt }, 'kafka: consumer could not open again');
      }
    }
  }

  async #handle(round: Msg[]): Promise<void> {
    const byPartition = new Map<string, Msg[]>();
    for (const m of round) {
      const tp = `${m.topic}:${m.partition}`;
      // Records of a partition this member no longer owns (fetched before a rebalance) are the
      // new owner's: it starts from the group's committed offset and gets them.
      if (!this.#assignment.has(tp)) continue;
      const list = byPartition.get(tp);
      if (list) list.push(m);
      else byPartition.set(tp, [m]);
    }
    await Promise.all([...byPartition].map(([tp, messages]) => this.#handleBatch(tp, messages)));
  }

  async #handleBatch(tp: string, messages: Msg[]): Promise<void> {
    const consumer = this.#consumer!;
    const { topic, partition } = messages[0]!;
    if (!this.#started.has(tp)) {
      await this.#positioning.beforeFirst?.(consumer, topic, partition, Number(messages[0]!.offset));
      this.#started.add(tp);
    }
    const records: ConsumedRecord[] = messages.map((m) => toConsumed(this.#c.local(topic), m));
    for (let failures = 0; ; failures++) {
      try {
        await this.#options.handleBatch(records);
        break;
      } catch (err) {
        if (failures === 0 || failures % 10 === 0)
          this.#c.log.warn({ err, groupId: this.#options.groupId, tp, failures }, 'kafka: batch failed; handing it on again');
        await sleep(backoffDelay(failures, 200, 5000), undefined, { signal: this.#stop.signal }).catch(() => {});
        // Closing, or the partition moved on: its next owner gets the batch from the committed offset.
        if (this.#closed || !this.#assignment.has(tp)) return;
      }
    }
    await this.#positioning.handled(consumer, topic, partition, Number(messages[messages.length - 1]!.offset) + 1);
  }
}

/**
 * Reads a stream a round at a time. Its `readable` listener stays for the stream's life: a stream
 * with none is not flowing and not paused, and the client then stops fetching until it is read
 * again — a read between two rounds would find the stream stalled.
 */
class Rounds {
  readonly #stream: Stream;
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(stream: Stream) {
    this.#stream = stream;
    const wake = () => {
      this.#wake?.();
      this.#wake = undefined;
    };
    const end = () => {
      this.#ended = true;
      wake();
    };
    stream.on('readable', wake);
    stream.once('end', end);
    stream.once('close', end);
  }

  /** Everything the stream holds now, waiting until it holds something; null once it has ended (closed, or failed). */
  async next(): Promise<Msg[] | null> {
    for (;;) {
      const out: Msg[] = [];
      for (let m = this.#stream.read() as Msg | null; m !== null; m = this.#stream.read() as Msg | null) out.push(m);
      if (out.length > 0) return out;
      if (this.#ended || this.#stream.destroyed || this.#stream.readableEnded) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

/**
 * Leaves the group and closes the consumer's connections. When leaving fails (the broker away), the
 * connections are closed without it: the coordinator drops the member once its session times out.
 */
function closeConsumer(consumer: Consumer<string, string, string, string>): Promise<void> {
  return new Promise((resolve) =>
    consumer.close(true, (err) => {
      if (!err) return resolve();
      consumer.memberId = null;
      consumer.close(true, () => resolve());
    }),
  );
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`kafka: the consumer's group session ended: ${String(err)}`);
}
