import { keptOpen, type ResetTarget, type Subscription, type Transport } from './transport.ts';

/**
 * The consumer groups one bus has joined (and its ephemeral subscriptions), each group with how to
 * join it again: so a group can be left, rewound with the transport's `resetGroup` and joined again
 * (a read model rebuilt from history).
 */
export class ConsumerGroups {
  readonly #groups = new Map<string, { topics: string[]; join: () => Promise<Subscription>; subs: Subscription[] }>();
  /** Ephemeral subscriptions: no group to rewind, only to close. */
  readonly #ephemeral = new Set<Subscription>();

  /** Joins `groupId` with `join` (one member per call), remembering how. */
  async join(groupId: string, topics: string[], join: () => Promise<Subscription>): Promise<Subscription> {
    const sub = await join();
    const group = this.#groups.get(groupId) ?? { topics, join, subs: [] };
    group.subs.push(sub);
    this.#groups.set(groupId, group);
    return sub;
  }

  /** Keeps an ephemeral subscription until it or the bus closes. */
  track(sub: Subscription): Subscription {
    return keptOpen(this.#ephemeral, sub);
  }

  has(groupId: string): boolean {
    return (this.#groups.get(groupId)?.subs.length ?? 0) > 0;
  }

  /**
   * Leaves the group (after the batches in hand), moves its offsets and joins it again with as many
   * members. Members in other processes must have left the group (Kafka refuses otherwise).
   */
  async rewind(transport: Transport, groupId: string, to: ResetTarget): Promise<void> {
    const group = this.#groups.get(groupId);
    if (!group) throw new Error(`this bus does not consume as ${groupId}`);
    const subs = group.subs.splice(0);
    await Promise.all(subs.map((s) => s.close()));
    try {
      await transport.resetGroup(groupId, group.topics, to);
    } finally {
      for (const _ of subs) group.subs.push(await group.join());
    }
  }

  /** Leaves every group and closes every ephemeral subscription, after the batches in hand. */
  async close(): Promise<void> {
    const ephemeral = [...this.#ephemeral];
    this.#ephemeral.clear();
    await Promise.all([...ephemeral, ...[...this.#groups.values()].flatMap((g) => g.subs)].map((s) => s.close()));
  }
}
