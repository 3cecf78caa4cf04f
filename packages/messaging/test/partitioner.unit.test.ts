/**
 * The core's partitioner against the Kafka client's own: a key must land on the same partition on
 * every transport, and the Kafka producer places it with the client's Java-compatible partitioner
 * (murmur2, made positive, modulo the partition count).
 */
import { compatibilityPartitioner } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionFor } from '../src/partitioner.ts';

/** Where the producer puts `key` on a topic of `partitions` partitions (it takes the modulo itself). */
function kafkaPartition(topic: string, key: string, partitions: number): number {
  return compatibilityPartitioner({ topic }, Buffer.from(key, 'utf8')) % partitions;
}

describe('partitionFor', () => {
  it("places every key where the Kafka producer's partitioner does", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        expect(partitionFor('t', key, n)).toBe(kafkaPartition('t', key, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('places uuids (the order keys) where the Kafka producer does', () => {
    for (let i = 0; i < 500; i++) {
      const key = crypto.randomUUID();
      for (const n of [1, 2, 3, 6, 12]) expect(partitionFor('order_events', key, n)).toBe(kafkaPartition('order_events', key, n));
    }
  });

  it('keeps the partitions of known keys', () => {
    // Fixed points (Kafka's Java client places these keys the same): a change here moves existing keys to other partitions.
    expect(['', 'a', 'ab', 'abc', 'abcd', 'order-1'].map((k) => partitionFor('t', k, 1000))).toEqual([681, 524, 434, 107, 100, 326]);
  });
});
