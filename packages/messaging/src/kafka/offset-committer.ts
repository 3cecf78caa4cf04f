import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, settledWithin } from '../signal.ts';

/** One partition's offset to commit. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** Sends one OffsetCommit request (through a batch's own handle, see the transport). */
export type SendOffsets = (topics: { topic: string; partitions: { partition: number; offset: string }[] }[]) => Promise<void>;

/**
 * A consumer member's offset commits, sent without holding up the next fetch, and coalesced: the
 * offsets of the batches that finish while one OffsetCommit request is in flight, or within
 * `intervalMs` of the last request, wait and go together in the next request, the latest per
 * partition. A member that has sent nothing for `intervalMs` commits a batch at once, so an idle
 * group's lag reaches zero as soon as its last batch is handled; a busy one sends one request per
 * interval instead of one per batch. What the interval holds back is only a redelivery's size: a
 * member that dies before the request goes hands those records to the next owner, whose inbox
 * recognises them.
 *
 * A request that fails (the broker restarting, the coordinator still loading its groups) is sent
 * again, after a backoff, for as long as it takes: the consumer has moved past those records and
 * will not fetch them again while it stays in its generation (a restarted broker reloads the group,
 * and its members carry on without a rejoin), so a commit given up would leave the group's committed
 * offset behind until the partition's next batch — for ever on a quiet partition, and its lag with
 * it. Only these end the retries, each of which makes the records come again: a rebalance (`drop`),
 * or an answer saying the member's generation is over (`endsGeneration`: a rejoin must follow),
 * after which whoever owns the partitions then starts from the committed offset and the inbox
 * absorbs what was handled already; and the member closing (`stop`), which leaves the group.
 */
export class OffsetCommitter {
  #pending = new Map<string, PartitionOffset>();
  #next: Deferred | undefined;
  #send: SendOffsets | undefined;
  #pumping: Promise<void> | undefined;
  /** Counts rebalances (`drop`): a failed request is sent again only within its generation. */
  #generation = 0;
  /** Ends the backoff before a retry at once when a rebalance drops what it would send. */
  #backoff = new AbortController();
  /** Ends the wait for the interval at once (`hurry`, `drop`). */
  #linger = new AbortController();
  /** When the last request was sent (ms, monotonic). */
  #sentAt = Number.NEGATIVE_INFINITY;
  readonly #intervalMs: number;
  /** Set by `stop`: a failed request is not sent again. */
  #stopped = false;
  readonly #retry: { delayMs: number; maxDelayMs: number };
  readonly #onFailure: (err: unknown, failures: number) => void;
  readonly #endsGeneration: (err: unknown) => boolean;
  /** How many OffsetCommit requests were sent (for the benchmark and tests). */
  requests = 0;

  /**
   * `onFailure` hears of every failed request, with how many failed in a row (for the log);
   * `endsGeneration` tells an answer that no retry in this generation can turn (the member unknown,
   * its generation stale, the group rebalancing).
   */
  constructor(
    options: {
      delayMs?: number;
      maxDelayMs?: number;
      /** The least time between two requests (0: the next goes as soon as the last is answered). */
      intervalMs?: number;
      onFailure?: (err: unknown, failures: number) => void;
      endsGeneration?: (err: unknown) => boolean;
    } = {},
  ) {
    this.#retry = { delayMs: options.delayMs ?? 200, maxDelayMs: options.maxDelayMs ?? 5000 };
    this.#intervalMs = options.intervalMs ?? 0;
    this.#onFailure = options.onFailure ?? (() => {});
    this.#endsGeneration = options.endsGeneration ?? (() => false);
  }

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
    let failures = 0;
    while (this.#pending.size > 0) {
      const wait = this.#sentAt + this.#intervalMs - performance.now();
      if (wait > 0 && !this.#stopped) {
        await sleep(wait, undefined, { signal: this.#linger.signal }).catch(() => {});
        // A rebalance during the wait dropped what was pending.
        if (this.#pending.size === 0) break;
      }
      const offsets = [...this.#pending.values()];
      const round = this.#next!;
      const generation = this.#generation;
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
        this.#sentAt = performance.now();
        await this.#send!([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
        failures = 0;
        round.resolve();
      } catch (err) {
        this.#onFailure(err, ++failures);
        if (generation !== this.#generation || this.#stopped || this.#endsGeneration(err)) {
          round.reject(err);
          continue;
        }
        // Again with the next request: an offset queued since for the same partition is later and wins.
        for (const o of offsets) {
          const key = `${o.topic}:${o.partition}`;
          if (!this.#pending.has(key)) this.#pending.set(key, o);
        }
        // Those who waited for the failed request wait for the one that carries its offsets now.
        const queued = this.#next as Deferred | undefined;
        if (queued) queued.promise.then(round.resolve, round.reject);
        else this.#next = round;
        await sleep(backoffDelay(failures - 1, this.#retry.delayMs, this.#retry.maxDelayMs), undefined, {
          signal: this.#backoff.signal,
        }).catch(() => {});
      }
    }
    this.#pumping = undefined;
  }

  /**
   * Forgets the offsets not sent yet: the member is rejoining its group, and a commit sent under the
   * new generation could move back a partition that another member now owns and has committed further.
   */
  drop(): void {
    this.#generation++;
    this.#backoff.abort();
    this.#backoff = new AbortController();
    this.#endLinger();
    this.#pending.clear();
    this.#next?.reject(new Error('kafka: offset commit dropped by a rebalance; the batch comes again'));
    this.#next = undefined;
  }

  /**
   * The member is closing: a request that fails from now on is not sent again (nor is anything
   * waiting behind it), and a backoff in progress ends at once. The member leaves its group, so the
   * records whose offsets are lost come again to the next owner.
   */
  stop(): void {
    this.#stopped = true;
    this.#backoff.abort();
    this.#endLinger();
  }

  /** Sends what waits for the interval now: the member is stopping, and leaves once it is committed. */
  hurry(): void {
    this.#sentAt = Number.NEGATIVE_INFINITY;
    this.#endLinger();
  }

  #endLinger(): void {
    this.#linger.abort();
    this.#linger = new AbortController();
  }

  /** Resolves once nothing is in flight or waiting. */
  async idle(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }

  /**
   * For a closing member: lets what is in flight or waiting go through for up to `graceMs` (the
   * last batch's offset, normally at once), then stops retrying and waits for the request in flight.
   */
  async close(graceMs: number): Promise<void> {
    this.hurry();
    await settledWithin(this.idle(), graceMs);
    this.stop();
    await this.idle();
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
