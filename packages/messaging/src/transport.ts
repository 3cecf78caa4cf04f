import type { TopicSpec } from '@campusg/contracts';
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
}

/**
 * Handles one batch of records of one partition, in offset order. The transport commits the batch's
 * offsets only after the returned promise resolves; a rejection makes it deliver the batch again.
 */
export type BatchHandler = (batch: ConsumedRecord[]) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handleBatch: BatchHandler;
  /** Where a group with no committed offset starts. Default: the beginning of retained history. */
  fromBeginning?: boolean;
}

export interface Subscription {
  /** Leaves the group after the batch in hand is committed; its partitions move to the other members. */
  close(): Promise<void>;
  /** The partitions this member owns right now (`topic:partition`). */
  assignment(): string[];
}

/** What a transport can and cannot do, declared rather than silently skipped. */
export interface TransportCapabilities {
  /** History is kept and a new group (or an offset reset) can read it again. */
  replay: boolean;
}

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
  /** True while the transport can reach its storage or broker. */
  ping(): Promise<boolean>;
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
