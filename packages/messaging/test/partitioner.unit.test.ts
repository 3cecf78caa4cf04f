/**
 * The core's partitioner against kafkajs's own: a key must land on the same partition on every
 * transport, and the Kafka producer places it with kafkajs.
 */
import fc from 'fast-check';
import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionFor } from '../src/partitioner.ts';

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

function kafkaPartition(topic: string, key: string, partitions: number): number {
  return kafkajs.Partitioners.DefaultPartitioner()({ topic, partitionMetadata: metadata(partitions), message: { key, value: null } });
}

describe('partitionFor', () => {
  it('places every key where kafkajs DefaultPartitioner does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        expect(partitionFor('t', key, n)).toBe(kafkaPartition('t', key, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('places uuids (the order keys) where kafkajs does', () => {
    for (let i = 0; i < 500; i++) {
      const key = crypto.randomUUID();
      for (const n of [1, 2, 3, 6, 12]) expect(partitionFor('order_events', key, n)).toBe(kafkaPartition('order_events', key, n));
    }
  });

  it('keeps the partitions of known keys', () => {
    // Fixed points (kafkajs 2.2.4's answers): a change here moves existing keys to other partitions.
    expect(['', 'a', 'ab', 'abc', 'abcd', 'order-1'].map((k) => partitionFor('t', k, 1000))).toEqual([681, 524, 434, 107, 100, 326]);
  });
});
