import type { Sql } from '@campusg/platform';
import type { StoredSaga } from './store.ts';

/** Registers a callback to run once the caller's transaction has committed. */
export type AfterCommit = (fn: () => void) => void;

/**
 * The last committed state of recently decided saga instances, so that a reply's decision needs
 * no load. The database stays the truth: the decision is saved under its version check, and a
 * committed version has exactly one state (versions only grow), so a save that matches proves the
 * cached state was current. A stale entry (another instance, a deadline or an operator moved the
 * saga) costs one conflict, which evicts it; the retry loads from the database.
 *
 * Only committed states are shared: a decision saved in a transaction is visible to that
 * transaction at once (a second message for the same instance in one consumed chunk) and to the
 * others once the transaction has committed. A rolled-back transaction leaves no trace.
 *
 * An instance's type never changes, so an entry also tells every orchestrator sharing the cache
 * whether a reply's saga is one of theirs, without asking the database.
 */
export class SagaStateCache {
  readonly #committed = new Map<string, StoredSaga<unknown>>();
  readonly #pending = new WeakMap<Sql, Map<string, StoredSaga<unknown>>>();

  constructor(readonly capacity = 4096) {}

  get<D>(tx: Sql, id: string): StoredSaga<D> | undefined {
    return (this.#pending.get(tx)?.get(id) ?? this.#committed.get(id)) as StoredSaga<D> | undefined;
  }

  /** A decision saved in `tx` as `entry`; without a way to learn of the commit, it is only forgotten. */
  saved(tx: Sql, id: string, entry: StoredSaga<unknown>, afterCommit: AfterCommit | undefined): void {
    if (!afterCommit) return this.forget(id);
    let pending = this.#pending.get(tx);
    if (!pending) {
      pending = new Map();
      this.#pending.set(tx, pending);
    }
    pending.set(id, entry);
    afterCommit(() => this.#commit(id, entry));
  }

  forget(id: string): void {
    this.#committed.delete(id);
  }

  get size(): number {
    return this.#committed.size;
  }

  #commit(id: string, entry: StoredSaga<unknown>): void {
    const current = this.#committed.get(id);
    if (current && current.version > entry.version) return;
    // Re-inserted so the Map's order is the order of use: the oldest entry goes first.
    this.#committed.delete(id);
    this.#committed.set(id, entry);
    if (this.#committed.size > this.capacity) {
      const oldest = this.#committed.keys().next().value;
      if (oldest !== undefined) this.#committed.delete(oldest);
    }
  }
}
