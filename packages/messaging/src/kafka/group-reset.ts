import type { Admin } from 'kafkajs';
import type { ResetTarget } from '../transport.ts';

/**
 * The offsets `resetGroup` moves a Kafka group to, per partition of one (namespaced) topic: the
 * low watermark (`earliest`), or the first offset at or after a time (past the last record, the end;
 * some brokers answer -1 for that).
 */
export async function resetOffsets(admin: Admin, topic: string, to: ResetTarget): Promise<{ partition: number; offset: string }[]> {
  const bounds = await admin.fetchTopicOffsets(topic);
  if (to === 'earliest') return bounds.map((p) => ({ partition: p.partition, offset: p.low }));
  const atTime = await admin.fetchTopicOffsetsByTimestamp(topic, to.getTime());
  return atTime.map((p) => ({
    partition: p.partition,
    offset: Number(p.offset) >= 0 ? p.offset : (bounds.find((b) => b.partition === p.partition)?.high ?? '0'),
  }));
}
