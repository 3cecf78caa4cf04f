import type { OutgoingRecord, Transport } from '../../src/index.ts';

/**
 * A broker stand-in for outbox tests: it keeps each publish's records, in order, and can be told
 * to fail the next publishes (`failNext`) or to hold them until `release` (`hold`).
 */
export class StandInTransport implements Transport {
  readonly name = 'kafka' as const;
  readonly capabilities = { replay: false };
  /** Each publish's records, in the order the publishes completed. */
  readonly published: OutgoingRecord[][] = [];
  /** Publishes waiting for `release`. */
  readonly held: (() => void)[] = [];
  failNext = 0;
  hold = false;

  async publish(records: OutgoingRecord[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('broker unavailable'), { code: 'ECONNREFUSED' });
    }
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    this.published.push(records);
  }
  /** Lets every held publish complete, and publishes from now on go through at once. */
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
  /** Every record published, in order. */
  flat(): OutgoingRecord[] {
    return this.published.flat();
  }
  values(): string[] {
    return this.flat().map((r) => r.value);
  }
  async ensureTopics(): Promise<void> {}
  subscribe(): never {
    throw new Error('not used');
  }
  read(): never {
    throw new Error('not used');
  }
  lag(): never {
    throw new Error('not used');
  }
  resetGroup(): never {
    throw new Error('not used');
  }
  async ping(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}
