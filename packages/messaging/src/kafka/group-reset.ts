import type { Admin } from '@platformatic/kafka';
import type { ResetTarget } from '../transport.ts';
import { offsetsAtTime, topicBounds } from './topic-offsets.ts';

/**
 * The offsets `resetGroup` moves a Kafka group to, per partition of one (namespaced) topic: the
 * low watermark (`earliest`), or the first offset at or after a time (past the last record, the end).
 */
export async function resetOffsets(admin: Admin, topic: string, to: ResetTarget): Promise<{ partition: number; offset: number }[]> {
  if (to === 'earliest') return (await topicBounds(admin, topic)).map((p) => ({ partition: p.partition, offset: p.low }));
  return [...(await offsetsAtTime(admin, topic, to))].map(([partition, offset]) => ({ partition, offset }));
}
