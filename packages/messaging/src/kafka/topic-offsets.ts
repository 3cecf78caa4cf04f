import type { Admin } from '@platformatic/kafka';

/** Kafka's ListOffsets timestamps for the start of a partition's retained log and its end. */
const EARLIEST = -2n;
const LATEST = -1n;

/** One partition's retained range: its first offset and the offset the next record will get. */
export interface PartitionBounds {
  partition: number;
  low: number;
  high: number;
}

/** How many partitions a (namespaced) topic has. */
async function partitionsOf(admin: Admin, topic: string): Promise<number> {
  return (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
}

/** The offset each of a topic's `count` partitions has for `timestamp`. */
async function offsetsAt(admin: Admin, topic: string, count: number, timestamp: bigint): Promise<Map<number, number>> {
  const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
  const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
  return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, Number(p.offset)]));
}

/** The retained range of each of a topic's `count` partitions. */
async function boundsOf(admin: Admin, topic: string, count: number): Promise<PartitionBounds[]> {
  const [low, high] = await Promise.all([offsetsAt(admin, topic, count, EARLIEST), offsetsAt(admin, topic, count, LATEST)]);
  return [...high].map(([partition, end]) => ({ partition, low: low.get(partition) ?? 0, high: end }));
}

/** The retained range of every partition of a (namespaced) topic. */
export async function topicBounds(admin: Admin, topic: string): Promise<PartitionBounds[]> {
  return boundsOf(admin, topic, await partitionsOf(admin, topic));
}

/**
 * Per partition of a (namespaced) topic, the offset of its first record at or after `at` (past the
 * last record, the end; a broker answers -1 for that).
 */
export async function offsetsAtTime(admin: Admin, topic: string, at: Date): Promise<Map<number, number>> {
  const count = await partitionsOf(admin, topic);
  const [byTime, bounds] = await Promise.all([offsetsAt(admin, topic, count, BigInt(at.getTime())), boundsOf(admin, topic, count)]);
  return new Map(bounds.map((b) => [b.partition, (byTime.get(b.partition) ?? -1) >= 0 ? byTime.get(b.partition)! : b.high]));
}
