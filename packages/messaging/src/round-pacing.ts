/**
 * The pace of the rounds of groups nothing waits on (sinks), for `GroupBatches`: a paced group's
 * round starts no sooner than its linger after the group's last round started, gathering every
 * batch handed over until then (RabbitMQ's shards hand theirs over each at its own time), and is
 * answered no sooner than its linger after it started. A transport hands over a partition's next
 * batch only once its last one is answered (a Kafka member fetches again only then), so what
 * arrives meanwhile waits in the log and comes as one batch. A light load then still makes rounds
 * of many records, one transaction each instead of one per record or two, and a Kafka member
 * fetches about once per linger; a record waits at most about a linger more than it would.
 */
export class RoundPacing {
  /** Per paced group: its linger (ms) and when its last round started (`performance.now()`). */
  readonly #groups = new Map<string, { ms: number; lastStart: number }>();

  /** Paces `groupId`'s rounds at `ms` (0: not at all). */
  set(groupId: string, ms: number): void {
    if (ms > 0) this.#groups.set(groupId, { ms, lastStart: Number.NEGATIVE_INFINITY });
    else this.#groups.delete(groupId);
  }

  /** How long a new round of `groupId` waits before it starts (ms; 0: at once). */
  untilNextStart(groupId: string): number {
    const paced = this.#groups.get(groupId);
    return paced ? Math.max(0, paced.lastStart + paced.ms - performance.now()) : 0;
  }

  /** A round of `groupId` starts now; returns how long after its start it may be answered (ms). */
  started(groupId: string): { answerAfter: (now: number) => number } {
    const paced = this.#groups.get(groupId);
    const startedAt = performance.now();
    if (paced) paced.lastStart = startedAt;
    return { answerAfter: (now) => (paced ? paced.ms - (now - startedAt) : 0) };
  }
}
