/** One partition's offset to commit. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** Sends one OffsetCommit request (through a batch's own handle, see the transport). */
export type SendOffsets = (topics: { topic: string; partitions: { partition: number; offset: string }[] }[]) => Promise<void>;

/**
 * A consumer member's offset commits, sent as soon as a batch is handled but without holding up the
 * next fetch, and coalesced: while one OffsetCommit request is in flight, the offsets of the batches
 * that finish meanwhile (any partition of the member) wait and go together in the next request, the
 * latest per partition. An idle member thus commits each batch at once (what read-your-own-writes
 * waits for comes no later than before), and a busy one sends one request per round trip instead of
 * one per batch. A commit that is lost (a crash, a failed request) only means redelivery, which the
 * consumers' inbox absorbs.
 */
export class OffsetCommitter {
  #pending = new Map<string, PartitionOffset>();
  #next: Deferred | undefined;
  #send: SendOffsets | undefined;
  #pumping: Promise<void> | undefined;
  /** How many OffsetCommit requests were sent (for the benchmark and tests). */
  requests = 0;

  /**
   * Queues an offset (offsets of one partition only grow between two rebalances); resolves once a
   * request carrying it (or a later offset of its partition) was acknowledged.
   */
  commit(offset: PartitionOffset, send: SendOffsets): Promise<void> {
    this.#pending.set(`${offset.topic}:${offset.partition}`, offset);
    this.#send = send;
    this.#next ??= deferred();
    const done = this.#next.promise;
    this.#pumping ??= this.#pump();
    return done;
  }

  async #pump(): Promise<void> {
    while (this.#pending.size > 0) {
      const offsets = [...this.#pending.values()];
      const round = this.#next!;
      this.#pending = new Map();
      this.#next = undefined;
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({ partition: o.partition, offset: o.offset });
        byTopic.set(o.topic, list);
      }
      try {
        this.requests++;
        await this.#send!([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
        round.resolve();
      } catch (err) {
        round.reject(err);
      }
    }
    this.#pumping = undefined;
  }

  /**
   * Forgets the offsets not sent yet: the member is rejoining its group, and a commit sent under the
   * new generation could move back a partition that another member now owns and has committed further.
   */
  drop(): void {
    this.#pending.clear();
    this.#next?.reject(new Error('kafka: offset commit dropped by a rebalance; the batch comes again'));
    this.#next = undefined;
  }

  /** Resolves once nothing is in flight or waiting. */
  async idle(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Fire-and-forget callers do not await it; a rejection is then only the redelivery it announces.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
