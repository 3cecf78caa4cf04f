import { describe, expect, it } from 'vitest';
import { partitionFor } from '../src/partitioner.ts';
import { behindCheck, type GroupLag, type Transport } from '../src/transport.ts';

/** A transport whose group lag is whatever the test says, on the partition of one key. */
function transportWith(key: string, positions: { committed: number; end: number }[]) {
  const partition = partitionFor('order_events', key, 3);
  let i = 0;
  const transport = {
    async lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
      const p = positions[Math.min(i++, positions.length - 1)]!;
      return [0, 1, 2].map((n) => ({
        groupId,
        topic: topics[0]!,
        partition: n,
        committed: n === partition ? p.committed : 0,
        end: n === partition ? p.end : 1000,
        lag: n === partition ? p.end - p.committed : 1000,
      }));
    },
  } as unknown as Transport;
  return transport;
}

describe('behindCheck (read your own writes)', () => {
  const key = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';

  it('waits for what the partition held at the first check, not for the end that moves on', async () => {
    const transport = transportWith(key, [
      { committed: 5, end: 10 }, // the request comes: 10 to reach
      { committed: 9, end: 14 },
      { committed: 10, end: 30 }, // caught up with the 10, though the partition grew
    ]);
    const behind = behindCheck(transport, 'g', 'order_events', key, 3);
    expect(await behind()).toBe(true);
    expect(await behind()).toBe(true);
    expect(await behind()).toBe(false);
  });

  it('is not behind when the group is current, whatever other partitions hold', async () => {
    const behind = behindCheck(transportWith(key, [{ committed: 7, end: 7 }]), 'g', 'order_events', key, 3);
    expect(await behind()).toBe(false);
  });

  it('is not behind when the group has no position on the partition yet', async () => {
    const transport = { lag: async () => [] } as unknown as Transport;
    expect(await behindCheck(transport, 'g', 'order_events', key, 3)()).toBe(false);
  });
});
