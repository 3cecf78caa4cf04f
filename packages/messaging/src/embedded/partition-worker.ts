import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, yieldToEventLoop } from '../signal.ts';
import type { BatchContext } from '../transport.ts';
import type { EmbeddedTransport, Member } from './embedded-transport.ts';

/** Consumes one partition for one group member: fetch a batch, hand it over, commit, repeat. */
export class PartitionWorker {
  #stopping = false;
  #done: Promise<void> = Promise.resolve();
  constructor(
    private readonly bus: EmbeddedTransport,
    readonly member: Member,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  start(): void {
    this.#done = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.bus.signal(`${this.topic}:${this.partition}`).notify();
    await this.#done;
  }

  async #run(): Promise<void> {
    const { groupId, fromBeginning, startAt } = this.member;
    const { batchSize, pollIntervalMs, onError } = this.bus.options;
    const tp = `${this.topic}:${this.partition}`;
    let attempt = 0;
    let next: number | undefined;
    /** When the database was last read: records appended by other processes show up there only. */
    let readAt = 0;
    const signal = this.bus.signal(tp);
    /** The offset stored with the effects of the handling that reached it (`commitIn`), once committed. */
    let stored: number | undefined;
    /** An ephemeral member keeps its position in memory only: it stores nothing and commits nothing. */
    const context: BatchContext | undefined = startAt
      ? undefined
      : {
          database: this.bus.database,
          commitIn: async (tx, record) => {
            const through = record.offset + 1;
            await this.bus.commit(groupId, this.topic, this.partition, through, tx);
            return () => {
              stored = Math.max(stored ?? 0, through);
            };
          },
        };
    while (!this.#stopping) {
      try {
        // Read the version before yielding: a notify (or a stop) during the yield must not be missed.
        const version = signal.version;
        await yieldToEventLoop();
        if (this.#stopping) break;
        next ??= startAt ? (startAt.get(tp) ?? 0) : await this.bus.committedOffset(groupId, this.topic, this.partition, fromBeginning);
        let batch = this.bus.fromTail(tp, next, batchSize);
        if (batch === null || (batch.length === 0 && performance.now() - readAt >= pollIntervalMs)) {
          readAt = performance.now();
          batch = await this.bus.read(this.topic, this.partition, next, batchSize);
        }
        if (batch.length === 0) {
          await signal.wait(version, pollIntervalMs);
          continue;
        }
        await this.member.handleBatch(batch, context);
        next = batch[batch.length - 1]!.offset + 1;
        // What the handling committed with its effects needs no commit of its own; the rest is
        // stored within `commitIntervalMs`, with every other partition's and group's in one statement.
        if (!startAt && (stored === undefined || stored < next)) this.bus.commitLater(groupId, this.topic, this.partition, next);
        attempt = 0;
      } catch (err) {
        onError?.(err, `consume ${groupId} ${this.topic}:${this.partition}`);
        // What was handled stays handled; the rest comes again from the last commit. (An ephemeral
        // member's position is `next` itself: the failed batch comes again from there.)
        if (!startAt) {
          await this.bus.flushOffsets().catch(() => {});
          next = undefined;
        }
        await sleep(backoffDelay(attempt++, 50, 5000));
      }
    }
    if (!startAt) await this.bus.flushOffsets().catch((err) => onError?.(err, `commit ${groupId} ${tp}`));
  }
}
