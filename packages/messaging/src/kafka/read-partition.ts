import type { Admin, Kafka } from 'kafkajs';
import type { ConsumedRecord } from '../transport.ts';
import { toConsumed } from './to-consumed.ts';

/** How long `read` waits for the records it knows are there. */
const READ_TIMEOUT_MS = 30_000;

/**
 * Reads up to `limit` records of one partition from `fromOffset`, without joining any group a
 * service uses (operators, replay tools, the audit log).
 */
export async function readPartition(
  kafka: Kafka,
  admin: Admin,
  namespace: string,
  at: { localTopic: string; partition: number; fromOffset: number; limit: number },
): Promise<ConsumedRecord[]> {
  const { localTopic, partition, fromOffset, limit } = at;
  const topic = namespace + localTopic;
  const offsets = await admin.fetchTopicOffsets(topic);
  const high = Number(offsets.find((o) => o.partition === partition)?.high ?? 0);
  const low = Number(offsets.find((o) => o.partition === partition)?.low ?? 0);
  const start = Math.max(fromOffset, low);
  if (start >= high || limit <= 0) return [];
  /** The last offset wanted (inclusive); a gap (e.g. a transaction marker) ends a read as well. */
  const last = Math.min(high, start + limit) - 1;
  // kafkajs has no assign(): a throw-away group in the namespace, positioned with a seek.
  const groupId = `${namespace}campusg-reader-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 50 });
  const out: ConsumedRecord[] = [];
  let next = start;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`kafka: reading ${topic}[${partition}] from ${start} timed out`)), READ_TIMEOUT_MS);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        consumer.seek({ topic, partition, offset: String(start) });
        const others = (e.payload.memberAssignment[topic] ?? []).filter((p) => p !== partition);
        if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== partition) return;
            // Only offsets not yet read, in order: a fetch from before the seek never duplicates one.
            for (const m of batch.messages) {
              const offset = Number(m.offset);
              if (offset < next || offset > last) continue;
              out.push(toConsumed(localTopic, partition, m));
              next = offset + 1;
            }
            if (next > last || (batch.messages.length > 0 && Number(batch.lastOffset()) >= last)) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
  }
  return out;
}
