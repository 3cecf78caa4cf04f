import type { TopicSpec } from '@campusg/contracts';
import type { Db, PruneTask, Sql } from '@campusg/platform';
import { partitionFor } from './partitioner.ts';

/** A record as a transport carries it: raw value bytes, a key, string headers. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  timestamp: Date;
  /**
   * Set when the transport vouches that this record's message is in its log once: an outbox
   * appended it in the transaction that decided it (the embedded bus). With `commitIn`, a group
   * then needs no inbox row to see it once.
   */
  unique?: true;
}

/** What a transport offers the handler of a batch beyond the records. */
export interface BatchContext {
  /**
   * Offered where the group's offsets live in the consumer's own database (the embedded bus):
   * stores, inside the consumer's transaction `tx`, that the group has handled the partition
   * through `record`, so the offset commits with the handling's effects or not at all. Call the
   * function it returns once `tx` has committed. Only for a transaction of `database`.
   */
  commitIn?: (tx: Sql, record: ConsumedRecord) => Promise<() => void>;
  /** The database that holds the offsets `commitIn` stores. */
  database?: Db;
}

/**
 * Handles one batch of records of one partition, in offset order. The transport commits the batch's
 * offsets only after the returned promise resolves (except what `commitIn` committed already); a
 * rejection makes it deliver the uncommitted records again.
 */
export type BatchHandler = (batch: ConsumedRecord[], context?: BatchContext) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handleBatch: BatchHandler;
  /** Where a group with no committed offset starts. Default: the beginning of retained history. */
  fromBeginning?: boolean;
  /**
   * A subscription of this instance alone, for what a process keeps in memory (e.g. the live
   * updates of its open streams): every ephemeral subscriber gets every record published after
   * `subscribe` resolved, never one from before, whatever other subscribers (ephemeral or members
   * of `groupId`) exist. It commits no position anywhere, offers no `commitIn`, and leaves nothing
   * on the broker once closed (Kafka: a group of its own, `<groupId>.<uuid>`, deleted on close;
   * RabbitMQ: exclusive queues, deleted on close; embedded: memory only). A batch whose handler rejects
   * comes again; a process that stops loses its position with it. `groupId` only names it.
   */
  ephemeral?: boolean;
}

export interface Subscription {
  /** Leaves the group after the batch in hand is committed; its partitions move to the other members. */
  close(): Promise<void>;
  /** The partitions this member owns right now (`topic:partition`). */
  assignment(): string[];
}

/** `sub`, kept in `open` until it is closed: whoever holds `open` closes what is left when it stops. */
export function keptOpen<S extends Subscription>(open: Set<S>, sub: S): Subscription {
  open.add(sub);
  return {
    close: async () => {
      open.delete(sub);
      await sub.close();
    },
    assignment: () => sub.assignment(),
  };
}

/** What a transport can and cannot do, declared rather than silently skipped. */
export interface TransportCapabilities {
  /** History is kept and a new group (or an offset reset) can read it again. */
  replay: boolean;
}

/** Where `resetGroup` moves a group: the start of retained history, or the first record at or after a time. */
export type ResetTarget = 'earliest' | Date;

export interface GroupLag {
  groupId: string;
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

/** The Bus port: every transport (embedded, Kafka, RabbitMQ) implements it and passes one conformance suite. */
export interface Transport {
  readonly name: 'embedded' | 'kafka' | 'rabbitmq';
  readonly capabilities: TransportCapabilities;
  /** Creates the topics of the catalogue that are missing (and their structures). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Resolves once every record is durably stored by the transport. */
  publish(records: OutgoingRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Reads a topic from an offset without joining a group (operators, replay tools, the audit log). */
  read(topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]>;
  /** Committed offset and end offset per partition of a group's topics. */
  lag(groupId: string, topics: string[]): Promise<GroupLag[]>;
  /**
   * Rewinds (or moves on) a group's committed offsets of `topics`: to the start of retained history
   * (`earliest`), or to each partition's first record at or after a time. The group must have no live
   * member, so its consumers are closed first. Throws where the transport keeps no history
   * (`capabilities.replay` false).
   */
  resetGroup(groupId: string, topics: string[], to: ResetTarget): Promise<void>;
  /** True while the transport can reach its storage or broker. */
  ping(): Promise<boolean>;
  /** The retention this process applies to the transport's own log, where it keeps one in the database (embedded). */
  readonly retention?: PruneTask;
  close(): Promise<void>;
}

/**
 * Read your own writes: a check, asked again until it says false, of whether `groupId` has still to
 * handle what the partition of `key` in `topic` held when the check was first asked. It waits only
 * for what was there when the request came, never for the moving end of a busy partition.
 */
export function behindCheck(transport: Transport, groupId: string, topic: string, key: string, partitions: number): () => Promise<boolean> {
  const partition = partitionFor(topic, key, partitions);
  let target: number | undefined;
  return async () => {
    const lag = (await transport.lag(groupId, [topic])).find((l) => l.partition === partition);
    if (!lag) return false;
    target ??= lag.end;
    return lag.committed < target;
  };
}
