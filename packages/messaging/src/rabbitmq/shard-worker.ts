import type { Channel, ConsumeMessage } from 'amqplib';
import { backoffDelay } from '../signal.ts';
import { errorCode } from './connection.ts';
import type { GroupMember } from './group-member.ts';
import { readCommitted, writeCommitted } from './positions.ts';
import type { RabbitMqTransport } from './rabbitmq-transport.ts';
import { fromWire } from './wire.ts';

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
export class ShardWorker {
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
  #wakePause: (() => void) | undefined;

  constructor(bus: RabbitMqTransport, member: GroupMember, topic: string, shard: number) {
    this.#bus = bus;
    this.#member = member;
    this.#topic = topic;
    this.#shard = shard;
  }

  /** Deliveries this worker holds unacknowledged (part of the lag no other process can see). */
  get unacked(): number {
    const ep = this.#epoch;
    return ep && !ep.closed ? ep.unacked : 0;
  }

  get #queue(): string {
    return this.#bus.names.groupQueue(this.#member.groupId, this.#topic, this.#shard);
  }

  /** Starts consuming once `after` (the previous owner in this process stopping) has settled. */
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
    this.#wakePause?.();
    this.#bus.connection.nudge();
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
          if (this.#bus.connection.connected) {
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
      if (failed && !this.#stopping) await this.#pause(backoffDelay(this.#failures, 50, 5000));
    }
  }

  async #open(): Promise<Epoch | undefined> {
    const link = await this.#bus.connection.waitLink(() => this.#stopping);
    if (!link) return undefined;
    const ch = await this.#bus.connection.channel(link);
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
        ep.next = await readCommitted(this.#bus.connection, this.#bus.names.committedQueue(this.#member.groupId, this.#topic, this.#shard));
      }
      const first = ep.next;
      const records = batch.map((m, i) => fromWire(this.#bus.names, m, this.#topic, this.#shard, first + i));
      await this.#member.handleBatch(records);
      // Acknowledged only now, after the handling transaction; throws if the channel is gone.
      ep.ch.ack(batch[batch.length - 1]!, true);
      ep.unacked -= batch.length;
      ep.next = first + batch.length;
      this.committed = ep.next;
      this.#failures = 0;
      this.#lastWrite = writeCommitted(
        this.#bus.connection,
        this.#bus.names.committedQueue(this.#member.groupId, this.#topic, this.#shard),
        ep.next,
      ).catch((err) => this.#bus.log.debug({ err, queue: this.#queue }, 'rabbitmq: commit position not written'));
    }
  }

  /** A backoff that `stop()` cuts short. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakePause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakePause = done;
    });
  }
}
