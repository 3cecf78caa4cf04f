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
    const { groupId, fromBeginning } = this.member;
    const { batchSize, pollIntervalMs, commitIntervalMs, onError } = this.bus.options;
    const tp = `${this.topic}:${this.partition}`;
    let attempt = 0;
    let next: number | undefined;
    /** Handled but not yet committed: a worker commits at most once per `commitIntervalMs`, and within it. */
    let uncommitted: number | undefined;
    let commitBy: number | undefined;
    /** When the database was last read: records appended by other processes show up there only. */
    let readAt = 0;
    const signal = this.bus.signal(tp);
    /** The offset stored with the effects of the handling that reached it (`commitIn`), once committed. */
    let stored: number | undefined;
    const context: BatchContext = {
      database: this.bus.database,
      commitIn: async (tx, record) => {
        const through = record.offset + 1;
        await this.bus.commit(groupId, this.topic, this.partition, through, tx);
        return () => {
          stored = Math.max(stored ?? 0, through);
        };
      },
    };
    const flush = async () => {
      if (uncommitted === undefined) return;
      await this.bus.commit(groupId, this.topic, this.partition, uncommitted);
      uncommitted = undefined;
      commitBy = undefined;
    };
    while (!this.#stopping) {
      try {
        // Read the version before yielding: a notify (or a stop) during the yield must not be missed.
        const version = signal.version;
        await yieldToEventLoop();
        if (this.#stopping) break;
        next ??= await this.bus.committedOffset(groupId, this.topic, this.partition, fromBeginning);
        let batch = this.bus.fromTail(tp, next, batchSize);
        if (batch === null || (batch.length === 0 && performance.now() - readAt >= pollIntervalMs)) {
          readAt = performance.now();
          batch = await this.bus.read(this.topic, this.partition, next, batchSize);
        }
        if (batch.length === 0) {
          const left = commitBy === undefined ? pollIntervalMs : commitBy - performance.now();
          if (left <= 0) await flush();
          else await signal.wait(version, Math.min(left, pollIntervalMs));
          continue;
        }
        await this.member.handleBatch(batch, context);
        next = batch[batch.length - 1]!.offset + 1;
        if (stored !== undefined && stored >= (uncommitted ?? 0)) {
          uncommitted = undefined;
          commitBy = undefined;
        }
        // What the handling committed with its effects needs no commit of its own.
        if (stored === undefined || stored < next) {
          uncommitted = next;
          commitBy ??= performance.now() + commitIntervalMs;
          if (performance.now() >= commitBy) await flush();
        }
        attempt = 0;
      } catch (err) {
        onError?.(err, `consume ${groupId} ${this.topic}:${this.partition}`);
        // What was handled stays handled; the rest comes again from the last commit.
        await flush().catch(() => {});
        next = undefined;
        await sleep(backoffDelay(attempt++, 50, 5000));
      }
    }
    await flush().catch((err) => onError?.(err, `commit ${groupId} ${tp}`));
  }
}
