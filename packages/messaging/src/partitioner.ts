import kafkajs, { type PartitionMetadata } from 'kafkajs';

const defaultPartitioner = kafkajs.Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

/** Kafka's own default partitioner (murmur2 of the key), so a key lands on the same partition on every transport. */
export function partitionFor(topic: string, key: string, partitions: number): number {
  let metadata = metadataCache.get(partitions);
  if (!metadata) {
    metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    metadataCache.set(partitions, metadata);
  }
  return defaultPartitioner({ topic, partitionMetadata: metadata, message: { key, value: null } });
}
