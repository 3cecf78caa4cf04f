import type { ConsumedRecord } from '../transport.ts';

/**
 * The newest committed records of one partition, contiguous by offset. Commits of one partition are
 * serialised by its row lock, so they arrive in order; a gap (an append by another process, or a
 * late callback) starts the tail afresh, and anything older is read from the database.
 */
export class Tail {
  #base = 0;
  #records: ConsumedRecord[] = [];
  constructor(private readonly size: number) {}

  add(r: ConsumedRecord): void {
    const end = this.#base + this.#records.length;
    if (r.offset < end && r.offset >= this.#base) return;
    if (r.offset !== end) {
      if (r.offset < this.#base) return;
      this.#base = r.offset;
      this.#records = [];
    }
    this.#records.push(r);
    if (this.#records.length > this.size) {
      const drop = this.#records.length - Math.floor(this.size / 2);
      this.#records = this.#records.slice(drop);
      this.#base += drop;
    }
  }

  from(offset: number, limit: number): ConsumedRecord[] | null {
    if (this.#records.length === 0 || offset < this.#base) return null;
    const i = offset - this.#base;
    return i >= this.#records.length ? [] : this.#records.slice(i, i + limit);
  }
}
