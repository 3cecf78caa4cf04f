/** Acknowledged ids a statement deletes, until the transaction it runs in has ended. */
export interface Deleting {
  readonly ids: number[];
  readonly since: number;
}

/**
 * The outbox rows the broker has acknowledged that are still stored: waiting to be deleted, or
 * being deleted by a statement whose transaction has not ended. Every one of them is in the relay's
 * hands until it is gone: no check may take it for another instance's row, and no table read may
 * send it again. A statement takes what waits (`take`); once its transaction has committed the ids
 * are gone (`done`), and if it rolled back they wait again (`giveBack`).
 */
export class AcknowledgedRows {
  #waiting: number[] = [];
  readonly #deleting = new Set<Deleting>();

  /** The broker acknowledged `ids`. */
  add(ids: number[]): void {
    this.#waiting.push(...ids);
  }

  /** How many wait for a statement to delete them. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Every acknowledged id still stored. */
  all(): number[] {
    const ids = [...this.#waiting];
    for (const d of this.#deleting) ids.push(...d.ids);
    return ids;
  }

  /** Takes the waiting ids for a statement to delete: they stay in hand until it has committed. */
  take(): Deleting {
    const deleting = { ids: this.#waiting, since: Date.now() };
    this.#waiting = [];
    if (deleting.ids.length > 0) this.#deleting.add(deleting);
    return deleting;
  }

  /** The transaction that deleted them committed. */
  done(deleting: Deleting): void {
    this.#deleting.delete(deleting);
  }

  /** The transaction that was to delete them did not: they wait again. */
  giveBack(deleting: Deleting): void {
    if (this.#deleting.delete(deleting)) this.#waiting.push(...deleting.ids);
  }

  /** What a transaction took at least `ms` ago and was never said to end waits again. */
  reclaim(ms: number): void {
    const before = Date.now() - ms;
    for (const d of this.#deleting) if (d.since <= before) this.giveBack(d);
  }

  /** Runs a statement of its own (outside a transaction) that deletes what waits: gone once it has run. */
  async deleteWith<T>(statement: (ids: number[]) => Promise<T>): Promise<T> {
    const deleting = this.take();
    try {
      return await statement(deleting.ids);
    } catch (err) {
      this.giveBack(deleting);
      throw err;
    } finally {
      this.done(deleting);
    }
  }
}
