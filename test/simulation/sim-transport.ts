import type { TopicSpec } from '@campusg/contracts';
import {
  type BatchHandler,
  type ConsumedRecord,
  type GroupLag,
  type Outbox,
  type OutboxReceipt,
  type OutgoingRecord,
  partitionFor,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '@campusg/messaging';
import type { Clock, Sql } from '@campusg/platform';

/** One partition of one group that has records it has not committed. */
export interface Pending {
  groupId: string;
  topic: string;
  partition: number;
}

interface Group {
  topics: string[];
  handleBatch: BatchHandler;
}

/**
 * A Transport whose log is in memory and that delivers nothing by itself: the simulation decides
 * which group gets which partition's next batch, when, and whether its offset is committed
 * afterwards. Within a partition records go out in offset order, as on every transport; which
 * partition moves next is the simulation's choice, so partitions are reordered freely.
 */
export class SimTransport implements Transport {
  readonly name = 'kafka' as const;
  readonly capabilities = { replay: true };
  readonly #log = new Map<string, ConsumedRecord[][]>();
  readonly #groups = new Map<string, Group>();
  /** Per group, its committed offset per `topic:partition` (kept when its member leaves). */
  readonly #committed = new Map<string, Map<string, number>>();

  constructor(private readonly clock: Clock) {}

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    for (const t of topics)
      if (!this.#log.has(t.name))
        this.#log.set(
          t.name,
          Array.from({ length: t.partitions }, () => []),
        );
  }

  /** Forgets every record and committed offset; the groups stay subscribed. */
  reset(): void {
    for (const partitions of this.#log.values()) for (const p of partitions) p.length = 0;
    this.#committed.clear();
  }

  async publish(records: OutgoingRecord[]): Promise<void> {
    this.append(records);
  }

  /** Appends records at the end of their partitions (what a broker does on an acknowledged send). */
  append(records: OutgoingRecord[]): void {
    for (const r of records) {
      const partitions = this.#partitions(r.topic);
      const partition = partitionFor(r.topic, r.key, partitions.length);
      const log = partitions[partition]!;
      log.push({ ...r, partition, offset: log.length, timestamp: this.clock.now() });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.#groups.has(options.groupId)) throw new Error(`group ${options.groupId} has a member already`);
    this.#groups.set(options.groupId, { topics: options.topics, handleBatch: options.handleBatch });
    return {
      close: async () => void this.#groups.delete(options.groupId),
      assignment: () => options.topics.flatMap((t) => this.#partitions(t).map((_, p) => `${t}:${p}`)),
    };
  }

  async read(topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    return (this.#partitions(topic)[partition] ?? []).slice(fromOffset, fromOffset + limit);
  }

  async lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    const offsets = this.#offsets(groupId);
    return topics.flatMap((topic) =>
      this.#partitions(topic).map((log, partition) => {
        const committed = offsets.get(`${topic}:${partition}`) ?? 0;
        return { groupId, topic, partition, committed, end: log.length, lag: log.length - committed };
      }),
    );
  }

  /** Rewinding is not part of a schedule: no group is ever reset here. */
  async resetGroup(): Promise<void> {
    throw new Error('the simulated log does not rewind groups');
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  /** Every group partition with records not yet committed, in a stable order. */
  pending(): Pending[] {
    const out: Pending[] = [];
    for (const [groupId, g] of this.#groups) {
      const offsets = this.#offsets(groupId);
      for (const topic of g.topics) {
        this.#partitions(topic).forEach((log, partition) => {
          if ((offsets.get(`${topic}:${partition}`) ?? 0) < log.length) out.push({ groupId, topic, partition });
        });
      }
    }
    return out;
  }

  /** Records of every `*_dlq` topic. */
  deadLetters(): ConsumedRecord[] {
    return [...this.#log].filter(([topic]) => topic.endsWith('_dlq')).flatMap(([, partitions]) => partitions.flat());
  }

  /**
   * Hands the group the next records of one partition from its committed offset: up to `max`, all
   * of one key (so the bus handles them in one lane, one after another). With `commit` false the
   * offset stays where it was, as after a crash between the handling and the offset commit: the
   * same records come again.
   */
  async deliver(target: Pending, options: { max: number; commit: boolean }): Promise<void> {
    const group = this.#groups.get(target.groupId);
    if (!group) throw new Error(`no group ${target.groupId}`);
    const at = `${target.topic}:${target.partition}`;
    const offsets = this.#offsets(target.groupId);
    const from = offsets.get(at) ?? 0;
    const log = this.#partitions(target.topic)[target.partition]!;
    const batch: ConsumedRecord[] = [];
    for (let i = from; i < log.length && batch.length < options.max; i++) {
      if (batch.length > 0 && log[i]!.key !== batch[0]!.key) break;
      batch.push(log[i]!);
    }
    if (batch.length === 0) return;
    await group.handleBatch(batch);
    if (options.commit) offsets.set(at, from + batch.length);
  }

  #offsets(groupId: string): Map<string, number> {
    let offsets = this.#committed.get(groupId);
    if (!offsets) {
      offsets = new Map();
      this.#committed.set(groupId, offsets);
    }
    return offsets;
  }

  #partitions(topic: string): ConsumedRecord[][] {
    const partitions = this.#log.get(topic);
    if (!partitions) throw new Error(`unknown topic ${topic}`);
    return partitions;
  }
}

/**
 * The outbox of one service schema, as a broker's table outbox behaves: what a transaction emits is
 * kept only if it commits, and reaches the log when the simulation runs this schema's relay, in
 * commit order. A relay may publish an earlier batch again (a relay that read the table after a
 * failure): the first copy of each record is still in order, and the consumers' inbox absorbs the
 * second. A transaction that waits for its records to be published (a request's, so that its caller
 * reads its own write) has them relayed at once, with every batch committed before them.
 */
export class SimOutbox implements Outbox {
  /** Committed batches not yet relayed, in commit order. */
  readonly queue: OutgoingRecord[][] = [];
  /** The last batches relayed, that a relay may send again. */
  readonly #recent: OutgoingRecord[][] = [];

  constructor(private readonly transport: SimTransport) {}

  async add(_tx: Sql, records: OutgoingRecord[]): Promise<OutboxReceipt> {
    const batch = [...records];
    return {
      wake: () => void this.queue.push(batch),
      abandon: () => {},
      // Whoever waits for its records (a request, to read its own write) has the relay run at once, up to them.
      published: async () => {
        while (this.queue.includes(batch)) this.relay();
        return true;
      },
    };
  }

  /** Publishes the oldest committed batch; `again` (an index) first sends one of the last relayed batches again. */
  relay(again?: number): void {
    if (again !== undefined && this.#recent.length > 0) this.transport.append(this.#recent[again % this.#recent.length]!);
    const batch = this.queue.shift();
    if (!batch) return;
    this.transport.append(batch);
    this.#recent.push(batch);
    if (this.#recent.length > 4) this.#recent.shift();
  }

  reset(): void {
    this.queue.length = 0;
    this.#recent.length = 0;
  }

  async backlog(): Promise<number> {
    return this.queue.reduce((n, b) => n + b.length, 0);
  }

  async close(): Promise<void> {}
}
