import type { Channel, ConsumeMessage } from 'amqplib';
import { backoffDelay, Signal } from '../signal.ts';
import type { ConsumedRecord, SubscribeOptions } from '../transport.ts';
import type { Link } from './connection.ts';
import type { RabbitMqTransport } from './rabbitmq-transport.ts';
import { fromWire } from './wire.ts';

/** One channel's consumption of the queues, and what it delivered not yet handled. */
interface Epoch {
  link: Link;
  ch: Channel;
  buffer: { topic: string; message: ConsumeMessage }[];
  closed: boolean;
}

/**
 * An ephemeral subscription on RabbitMQ: for each topic an exclusive, non-durable, server-named
 * queue bound to the topic's exchange by `<topic>.#` (every shard). It joins no group and writes no
 * position: its records' offsets count from 0 per shard, in memory. Deliveries are handed over in
 * batches of one shard each, in queue order, and acknowledged once handled. A batch whose handler
 * fails closes the channel, which returns every unacknowledged delivery to its queue in order, and a
 * new channel consumes again after a backoff. The queues are deleted on close and go with the
 * connection (exclusive): after a reconnect new ones are declared, and what was published in between
 * is not seen.
 */
export class EphemeralMember {
  readonly #bus: RabbitMqTransport;
  readonly #options: SubscribeOptions;
  /** The next offset of each shard (`topic:shard`). */
  readonly #next = new Map<string, number>();
  /** The queues, by topic, and the connection they belong to. */
  #queues: { link: Link; byTopic: Map<string, string> } | undefined;
  #epoch: Epoch | undefined;
  readonly #wake = new Signal();
  #attaching: Promise<void> = Promise.resolve();
  #closing = false;
  #done: Promise<void> = Promise.resolve();

  constructor(bus: RabbitMqTransport, options: SubscribeOptions) {
    this.#bus = bus;
    this.#options = { ...options, topics: [...new Set(options.topics)] };
  }

  /** Every shard of its topics. */
  assignment(): string[] {
    return this.#options.topics.flatMap((t) => Array.from({ length: this.#bus.partitionsOf(t) }, (_, p) => `${t}:${p}`)).sort();
  }

  /** Declares the queues on `link` and consumes them; resolves once they are bound. */
  async start(link: Link): Promise<void> {
    await this.attach(link, true);
    this.#done = this.#run();
  }

  /** Consumes on `link` (again: after a reconnect, or a failed batch); a failure is logged and tried again. */
  attach(link: Link, rethrow = false): Promise<void> {
    const run = async () => {
      if (this.#closing || (this.#epoch && !this.#epoch.closed && this.#epoch.link === link)) return;
      const ch = await this.#bus.connection.channel(link);
      const ep: Epoch = { link, ch, buffer: [], closed: false };
      ch.on('close', () => {
        ep.closed = true;
        this.#wake.notify();
      });
      try {
        if (this.#queues?.link !== link) this.#queues = { link, byTopic: await this.#declare(ch) };
        await ch.prefetch(this.#bus.settings.prefetch);
        for (const [topic, queue] of this.#queues.byTopic) {
          await ch.consume(queue, (m) => {
            if (m) ep.buffer.push({ topic, message: m });
            else ep.closed = true; // cancelled by the broker (queue deleted)
            this.#wake.notify();
          });
        }
      } catch (err) {
        await ch.close().catch(() => {});
        throw err;
      }
      this.#epoch = ep;
      this.#wake.notify();
    };
    const next = this.#attaching.then(run);
    this.#attaching = next.catch((err) => {
      this.#bus.log.warn({ err, group: this.#options.groupId }, 'rabbitmq: ephemeral subscription not consuming; trying again');
    });
    return rethrow ? next : this.#attaching;
  }

  async #declare(ch: Channel): Promise<Map<string, string>> {
    const byTopic = new Map<string, string>();
    for (const topic of this.#options.topics) {
      const { queue } = await ch.assertQueue('', { exclusive: true, durable: false, autoDelete: false });
      await ch.bindQueue(queue, this.#bus.names.exchangeOf(topic), `${topic}.#`);
      byTopic.set(topic, queue);
    }
    return byTopic;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closing) {
      const seen = this.#wake.version;
      const ep = this.#epoch;
      if (!ep || ep.closed) {
        // A channel gone: consume again on the connection (a new one is attached when it comes).
        const link = this.#bus.connection.current;
        if (link) await this.attach(link);
        if (!this.#epoch || this.#epoch.closed) await this.#wake.wait(seen, 1000);
        continue;
      }
      if (ep.buffer.length === 0) {
        await this.#wake.wait(seen, 60_000);
        continue;
      }
      const batch = ep.buffer.splice(0, this.#bus.settings.prefetch);
      const next = new Map(this.#next);
      try {
        for (const records of byShard(batch, (topic, m) => this.#record(next, topic, m))) await this.#options.handleBatch(records);
        ep.ch.ack(batch[batch.length - 1]!.message, true);
        for (const [tp, offset] of next) this.#next.set(tp, offset);
        failures = 0;
      } catch (err) {
        if (ep.closed || this.#closing) continue;
        this.#bus.log.warn({ err, group: this.#options.groupId }, 'rabbitmq: ephemeral batch failed; delivered again after a backoff');
        // Closing the channel puts every unacknowledged delivery back, in order (a nack would let
        // deliveries already on their way overtake them).
        ep.closed = true;
        await ep.ch.close().catch(() => {});
        await new Promise((r) => setTimeout(r, backoffDelay(++failures, 50, 5000)));
      }
    }
  }

  #record(next: Map<string, number>, topic: string, m: ConsumeMessage): ConsumedRecord {
    const shard = Number(m.fields.routingKey.slice(topic.length + 1).split('.')[0]) || 0;
    const tp = `${topic}:${shard}`;
    const offset = next.get(tp) ?? 0;
    next.set(tp, offset + 1);
    return fromWire(this.#bus.names, m, topic, shard, offset);
  }

  /** Stops after the batch in hand and deletes the queues (a lost connection took them already). */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wake.notify();
    await this.#done;
    await this.#attaching;
    const ep = this.#epoch;
    this.#epoch = undefined;
    const queues = this.#queues;
    if (queues && this.#bus.connection.current === queues.link) {
      const ch = ep && !ep.closed ? ep.ch : await this.#bus.connection.channel(queues.link).catch(() => undefined);
      for (const q of queues.byTopic.values()) await ch?.deleteQueue(q).catch(() => {});
      await ch?.close().catch(() => {});
    } else await ep?.ch.close().catch(() => {});
  }
}

/** A batch's deliveries as records, split by shard (each shard's in queue order). */
function byShard(
  batch: { topic: string; message: ConsumeMessage }[],
  toRecord: (topic: string, m: ConsumeMessage) => ConsumedRecord,
): ConsumedRecord[][] {
  const shards = new Map<string, ConsumedRecord[]>();
  for (const { topic, message } of batch) {
    const r = toRecord(topic, message);
    const tp = `${r.topic}:${r.partition}`;
    const list = shards.get(tp);
    if (list) list.push(r);
    else shards.set(tp, [r]);
  }
  return [...shards.values()];
}
