/**
 * Kafka's default partitioner, written out so that the core needs no Kafka client: murmur2 of the
 * key's UTF-8 bytes (Kafka's seed and constants), made positive, modulo the partition count. Every
 * transport places a key with it, so a key lands on the same partition whatever the bus; the Kafka
 * producer (the client's Java-compatible partitioner) computes the same, and a unit test holds the two equal.
 */
export function partitionFor(_topic: string, key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** The 32-bit murmur2 of Kafka's Java client (`Utils.murmur2`), as a signed integer. */
function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length % 4) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the tail bytes fall through, as in the reference
    case 3:
      h ^= data[whole + 2]! << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2:
      h ^= data[whole + 1]! << 8;
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
