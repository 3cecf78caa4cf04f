import { describe, expect, it } from 'vitest';
import { type AdmissionTicket, SagaAdmission } from '../src/admission.ts';

/** Admission control against a store whose count the test sets, on a clock the test moves. */
function gate(limit: number, refreshMs = 100, staleMs = 1000) {
  let now = 1_000_000;
  const store = { inFlight: 0, reads: 0, fail: false };
  const admission = new SagaAdmission({
    limit,
    refreshMs,
    staleMs,
    clock: { now: () => new Date(now) },
    count: async () => {
      store.reads++;
      if (store.fail) throw new Error('database unavailable');
      return store.inFlight;
    },
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { admission, store, advance };
}

const enterAll = async (a: SagaAdmission, n: number) => {
  const out: (AdmissionTicket | null)[] = [];
  for (let i = 0; i < n; i++) out.push(await a.enter());
  return out;
};

describe('admission control of sagas in flight', () => {
  it('admits up to the limit, counting requests not yet answered, and refuses the rest', async () => {
    const { admission } = gate(3);
    const tickets = await enterAll(admission, 5);
    expect(tickets.map((t) => t !== null)).toEqual([true, true, true, false, false]);
    expect(admission.inFlight).toBe(3);
  });

  it('a clock set back since the last count has the count read again, as an old one', async () => {
    const { admission, store, advance } = gate(2);
    for (const t of await enterAll(admission, 2)) {
      t!.started();
      t!.done();
    }
    expect(await admission.enter()).toBeNull();
    // The sagas ended, and the clock is set back an hour: without a fresh count the limit would hold for that hour.
    store.inFlight = 0;
    advance(-3_600_000);
    const reads = store.reads;
    expect(await admission.enter()).not.toBeNull();
    expect(store.reads).toBe(reads + 1);
  });

  it('a request answered without starting a saga gives its place back', async () => {
    const { admission } = gate(1);
    const first = await admission.enter();
    expect(await admission.enter()).toBeNull();
    first!.done();
    expect(await admission.enter()).not.toBeNull();
  });

  it('a started saga keeps its place until a fresh count shows it ended', async () => {
    const { admission, store, advance } = gate(2);
    for (const t of await enterAll(admission, 2)) {
      t!.started();
      t!.done();
    }
    store.inFlight = 2;
    expect(await admission.enter()).toBeNull();
    // Both sagas ended; the count is read again once it is old enough, and the place is free.
    store.inFlight = 0;
    expect(await admission.enter()).toBeNull();
    advance(1000);
    expect(await admission.enter()).not.toBeNull();
  });

  it('refuses on a recent count without waiting for the store, and reads it again behind the scenes', async () => {
    const { admission, store, advance } = gate(2);
    store.inFlight = 5;
    expect(await admission.enter()).toBeNull();
    const reads = store.reads;
    for (let i = 0; i < 10; i++) expect(await admission.enter()).toBeNull();
    expect(store.reads).toBe(reads);
    // Older than refreshMs: this request is still refused at once, and the count is read again for the next.
    advance(250);
    store.inFlight = 1;
    expect(await admission.enter()).toBeNull();
    expect(store.reads).toBe(reads + 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await admission.enter()).not.toBeNull();
  });

  it('after a pause, a count that says full is read again before anyone is refused', async () => {
    const { admission, store, advance } = gate(2);
    store.inFlight = 2;
    expect(await admission.enter()).toBeNull();
    store.inFlight = 0;
    advance(1000);
    expect(await admission.enter()).not.toBeNull();
  });

  it('requests that arrive together share one read of the count', async () => {
    const { admission, store, advance } = gate(4);
    store.inFlight = 4;
    await admission.enter();
    advance(1000);
    const reads = store.reads;
    store.inFlight = 2;
    const answers = await Promise.all(Array.from({ length: 6 }, () => admission.enter()));
    expect(store.reads).toBe(reads + 1);
    expect(answers.filter((t) => t !== null)).toHaveLength(2);
  });

  it('keeps the last count when the store does not answer', async () => {
    const { admission, store, advance } = gate(2);
    store.inFlight = 2;
    expect(await admission.enter()).toBeNull();
    store.fail = true;
    store.inFlight = 0;
    advance(1000);
    expect(await admission.enter()).toBeNull();
    store.fail = false;
    expect(await admission.enter()).not.toBeNull();
  });

  it('a limit of 0 admits everything and reads nothing', async () => {
    const { admission, store } = gate(0);
    store.inFlight = 1000;
    expect((await enterAll(admission, 50)).every((t) => t !== null)).toBe(true);
    expect(store.reads).toBe(0);
  });
});
