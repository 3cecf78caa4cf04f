import type { Clock } from '@campusg/platform';

export interface AdmissionOptions {
  /** Most sagas in flight (running or compensating) before new work is refused; 0 admits everything. */
  limit: number;
  /** Reads how many sagas are in flight now (every instance's, from the store). */
  count(): Promise<number>;
  clock: Clock;
  /** How old the count may be before a request has it read again, in the background (default 100 ms). */
  refreshMs?: number;
  /**
   * How old a count that says the limit is reached may be and still refuse a request at once
   * (default 1 s); an older one is from before a pause, and the request waits for a fresh one.
   */
  staleMs?: number;
}

/** An admitted request: `started()` once its saga's start has committed; `done()` when it is answered, either way. */
export interface AdmissionTicket {
  started(): void;
  done(): void;
}

/**
 * Admission control: bounds the sagas in flight, so that load beyond what the platform completes
 * is refused at once rather than queued. The number in flight is read from the store (so every
 * instance of the orchestrators counts all of them) in the background, at most every `refreshMs`
 * while requests come, plus what this process admitted since that read began. The answer needs no
 * I/O, so a refusal costs next to nothing, even while the database is busiest; only the first
 * request, and one that finds the limit reached by a count from before a pause (`staleMs`), waits
 * for a fresh read. Several instances may together admit a little more than the limit, by what
 * each admits between two reads.
 */
export class SagaAdmission {
  readonly limit: number;
  readonly #count: () => Promise<number>;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #staleMs: number;
  /** In flight by the last read, and when that read began. */
  #counted = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;
  /** Admitted and not yet answered: their saga may be written any moment. */
  #pending = 0;
  /** Sagas this process started, in all; and how many it had started when the last read began. */
  #started = 0;
  #startedAtRead = 0;

  constructor(options: AdmissionOptions) {
    this.limit = options.limit;
    this.#count = options.count;
    this.#clock = options.clock;
    this.#refreshMs = options.refreshMs ?? 100;
    this.#staleMs = options.staleMs ?? 1000;
  }

  /** Sagas in flight as far as this process knows: the last count, and what it admitted since. */
  get inFlight(): number {
    return this.#counted + (this.#started - this.#startedAtRead) + this.#pending;
  }

  /** A ticket when one more saga may start now; `null` when the limit is reached. */
  async enter(): Promise<AdmissionTicket | null> {
    if (this.limit <= 0) return { started() {}, done() {} };
    const age = this.#clock.now().getTime() - this.#readAt;
    // A clock set back since the last read (a corrected wall clock) says nothing of the count's age:
    // it is taken as old.
    const old = (limit: number) => age < 0 || age >= limit;
    if (old(this.#refreshMs)) {
      const read = this.#refresh();
      // Never counted, or full by a count from before a pause (sagas have ended since, likely): the
      // answer waits for a fresh one. In a busy spell the last count is recent and the answer immediate.
      if (age === Number.POSITIVE_INFINITY || (old(this.#staleMs) && this.inFlight >= this.limit)) await read;
    }
    if (this.inFlight >= this.limit) return null;
    return this.#ticket();
  }

  #ticket(): AdmissionTicket {
    this.#pending++;
    let state: 'pending' | 'started' | 'done' = 'pending';
    return {
      started: () => {
        if (state !== 'pending') return;
        state = 'started';
        this.#pending--;
        this.#started++;
      },
      done: () => {
        if (state === 'pending') this.#pending--;
        state = 'done';
      },
    };
  }

  /**
   * Reads the count again (one read at a time; callers join the one in progress). A failed read
   * keeps the last count, and the next request tries again.
   */
  #refresh(): Promise<void> {
    this.#reading ??= (async () => {
      const readAt = this.#clock.now().getTime();
      const startedBefore = this.#started;
      try {
        const counted = await this.#count();
        // A saga started while the read ran may be in the count and is counted again in `#started`: too
        // many by a few for a moment, never too few.
        this.#counted = counted;
        this.#startedAtRead = startedBefore;
        this.#readAt = readAt;
      } catch {
        // The database did not answer: whatever the request does next will find out, and say so.
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }
}
