import type { Admin, Consumer } from '@platformatic/kafka';
import type { ConsumedRecord } from '../transport.ts';
import { topicBounds } from './topic-offsets.ts';

/** How long `read` waits for the records it knows are there. */
const READ_TIMEOUT_MS = 30_000;

/** A record batch of transaction markers (attributes bit 5) carries no records to hand on. */
const CONTROL_BATCH = 0x20;

/**
 * Reads up to `limit` records of one partition from `fromOffset` with plain fetches from the
 * partition's leader, joining no group (operators, replay tools, the audit log).
 */
export async function readPartition(
  reader: Consumer,
  admin: Admin,
  namespace: string,
  at: { localTopic: string; partition: number; fromOffset: number; limit: number },
): Promise<ConsumedRecord[]> {
  const { localTopic, partition, fromOffset, limit } = at;
  const topic = namespace + localTopic;
  const bounds = (await topicBounds(admin, topic)).find((b) => b.partition === partition);
  const start = Math.max(fromOffset, bounds?.low ?? 0);
  const high = bounds?.high ?? 0;
  if (start >= high || limit <= 0) return [];
  /** The last offset wanted (inclusive); a gap (e.g. a transaction marker) ends a read as well. */
  const last = Math.min(high, start + limit) - 1;
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + READ_TIMEOUT_MS;
  for (let next = start; next <= last; ) {
    if (Date.now() > deadline) throw new Error(`kafka: reading ${topic}[${partition}] from ${start} timed out`);
    const metadata = await reader.metadata({ topics: [topic] });
    const meta = metadata.topics.get(topic)!;
    const response = await reader.fetch({
      node: meta.partitions[partition]!.leader,
      maxWaitTime: 100,
      topics: [
        {
          topicId: meta.id,
          partitions: [
            { partition, fetchOffset: BigInt(next), partitionMaxBytes: 1_048_576, currentLeaderEpoch: -1, lastFetchedEpoch: -1 },
          ],
        },
      ],
    });
    for (const batch of response.responses.flatMap((r) => r.partitions).flatMap((p) => p.records ?? [])) {
      const batchEnd = Number(batch.firstOffset) + batch.lastOffsetDelta;
      if (!(batch.attributes & CONTROL_BATCH)) {
        for (const r of batch.records) {
          const offset = Number(batch.firstOffset) + r.offsetDelta;
          if (offset < next || offset > last) continue;
          out.push({
            topic: localTopic,
            partition,
            offset,
            key: r.key?.toString('utf8') ?? null,
            value: r.value?.toString('utf8') ?? '',
            headers: Object.fromEntries(r.headers.map(([k, v]) => [k?.toString('utf8') ?? '', v?.toString('utf8') ?? ''])),
            timestamp: new Date(Number(batch.firstTimestamp + r.timestampDelta)),
          });
        }
      }
      next = Math.max(next, batchEnd + 1);
    }
  }
  return out;
}
