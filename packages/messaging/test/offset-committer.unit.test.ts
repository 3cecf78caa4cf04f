/**
 * The Kafka consumer's offset commits: sent at once when idle, coalesced (latest per partition, one
 * request) while one is in flight, dropped on a rebalance, awaited on close.
 */
import { describe, expect, it } from 'vitest';
import { OffsetCommitter, type SendOffsets } from '../src/kafka/offset-committer.ts';
import { Signal } from '../src/signal.ts';

/** A coordinator stand-in whose answers the test gives one at a time. */
function coordinator() {
  const requests: Parameters<SendOffsets>[0][] = [];
  const answers: ((err?: Error) => void)[] = [];
  const arrived = new Signal();
  const send: SendOffsets = (topics) => {
    requests.push(topics);
    arrived.notify();
    return new Promise((resolve, reject) => answers.push((err) => (err ? reject(err) : resolve())));
  };
  const answer = (err?: Error) => answers.shift()!(err);
  /** Resolves once `n` requests have come (a retry comes after the committer's backoff). */
  const requested = async (n: number) => {
    while (requests.length < n) {
      const seen = arrived.version;
      await arrived.wait(seen, 5000);
      if (arrived.version === seen) break;
    }
    expect(requests).toHaveLength(n);
  };
  return { requests, send, answer, requested };
}

const at = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });

/** Offsets 20 and 30 of partition 0 and 5 of partition 1, queued behind a request: one request with the latest of each. */
const queueThree = (committer: OffsetCommitter, send: SendOffsets) => [
  committer.commit(at(0, 20), send),
  committer.commit(at(1, 5), send),
  committer.commit(at(0, 30), send),
];
const LATEST_OF_EACH = [
  {
    topic: 't',
    partitions: [
      { partition: 0, offset: '30' },
      { partition: 1, offset: '5' },
    ],
  },
];

describe('OffsetCommitter', () => {
  it('sends the first offset at once and coalesces those that come while it is in flight', async () => {
    const c = coordinator();
    const committer = new OffsetCommitter();
    const first = committer.commit(at(0, 10), c.send);
    expect(c.requests).toEqual([[{ topic: 't', partitions: [{ partition: 0, offset: '10' }] }]]);
    const queued = queueThree(committer, c.send);
    expect(c.requests).toHaveLength(1);
    c.answer();
    await first;
    expect(c.requests[1]).toEqual(LATEST_OF_EACH);
    c.answer();
    await Promise.all(queued);
    await committer.idle();
    expect(committer.requests).toBe(2);
  });

  it('a failed request rejects the offsets it carried; a rebalance drops what was not sent', async () => {
    const c = coordinator();
    const committer = new OffsetCommitter();
    const first = committer.commit(at(0, 10), c.send);
    const waiting = committer.commit(at(0, 20), c.send);
    committer.drop();
    c.answer(new Error('REBALANCE_IN_PROGRESS'));
    await expect(first).rejects.toThrow('REBALANCE_IN_PROGRESS');
    await expect(waiting).rejects.toThrow('dropped by a rebalance');
    await committer.idle();
    expect(c.requests).toHaveLength(1);
  });

  it('idle waits for what is in flight and what waits behind it', async () => {
    const c = coordinator();
    const committer = new OffsetCommitter();
    void committer.commit(at(0, 1), c.send);
    void committer.commit(at(0, 2), c.send);
    let idle = false;
    const done = committer.idle().then(() => {
      idle = true;
    });
    c.answer();
    await Promise.resolve();
    await Promise.resolve();
    expect(idle).toBe(false);
    expect(c.requests).toHaveLength(2);
    c.answer();
    await done;
    expect(idle).toBe(true);
  });
});

describe('OffsetCommitter after a failed request', () => {
  it('sends the offsets again until they go through, with any later ones of their partitions', async () => {
    const c = coordinator();
    const committer = new OffsetCommitter({ delayMs: 1 });
    const first = committer.commit(at(0, 10), c.send);
    const later = committer.commit(at(1, 5), c.send);
    c.answer(new Error('COORDINATOR_LOAD_IN_PROGRESS'));
    await c.requested(2);
    expect(c.requests[1]).toEqual([
      {
        topic: 't',
        partitions: [
          { partition: 1, offset: '5' },
          { partition: 0, offset: '10' },
        ],
      },
    ]);
    c.answer(new Error('COORDINATOR_LOAD_IN_PROGRESS'));
    await c.requested(3);
    c.answer();
    await Promise.all([first, later]);
    await committer.idle();
  });

  it('keeps sending through a long outage: a commit given up would leave a quiet partition behind for ever', async () => {
    const c = coordinator();
    const failures: number[] = [];
    const committer = new OffsetCommitter({ delayMs: 1, maxDelayMs: 2, onFailure: (_err, n) => failures.push(n) });
    const committed = committer.commit(at(2, 7), c.send);
    // Thirty refusals in a row (a broker restarting for a minute on a busy machine), then it answers.
    for (let n = 1; n <= 30; n++) {
      await c.requested(n);
      c.answer(new Error('KafkaJSConnectionError: Connection refused'));
    }
    await c.requested(31);
    c.answer();
    await committed;
    await committer.idle();
    expect(c.requests[30]).toEqual([{ topic: 't', partitions: [{ partition: 2, offset: '7' }] }]);
    expect(failures).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('stops at an answer that ends the generation: a rejoin follows and the records come again', async () => {
    const c = coordinator();
    const committer = new OffsetCommitter({
      delayMs: 1,
      endsGeneration: (err) => /ILLEGAL_GENERATION/.test(String(err)),
    });
    const given = committer.commit(at(0, 10), c.send);
    c.answer(new Error('ILLEGAL_GENERATION'));
    await expect(given).rejects.toThrow('ILLEGAL_GENERATION');
    await committer.idle();
    expect(c.requests).toHaveLength(1);
  });

  it('stops retrying at a rebalance, and once the member closes', async () => {
    const c = coordinator();
    // A retry waits a minute here: only the rebalance can end the wait before the test's timeout.
    const committer = new OffsetCommitter({ delayMs: 60_000 });
    const dropped = committer.commit(at(0, 10), c.send);
    c.answer(new Error('COORDINATOR_LOAD_IN_PROGRESS'));
    await new Promise((r) => setImmediate(r));
    committer.drop();
    await expect(dropped).rejects.toThrow('dropped by a rebalance');
    await committer.idle();
    expect(c.requests).toHaveLength(1);

    // Closing: a grace for what is in flight, then one last try at once, and no more.
    const closing = new OffsetCommitter({ delayMs: 60_000 });
    const given = closing.commit(at(0, 20), c.send);
    const closed = closing.close(50);
    c.answer(new Error('COORDINATOR_NOT_AVAILABLE'));
    await c.requested(3);
    c.answer(new Error('COORDINATOR_NOT_AVAILABLE'));
    await expect(given).rejects.toThrow('COORDINATOR_NOT_AVAILABLE');
    await closed;
    expect(c.requests).toHaveLength(3);
  });
});

describe('OffsetCommitter with an interval between requests', () => {
  it('sends after a quiet interval at once; what comes within the interval waits for its end, in one request', async () => {
    const c = coordinator();
    const intervalMs = 150;
    const committer = new OffsetCommitter({ intervalMs });
    const first = committer.commit(at(0, 10), c.send);
    expect(c.requests).toHaveLength(1);
    const sentAt = performance.now();
    c.answer();
    await first;
    // Answered: without an interval the next offset would go at once.
    const queued = queueThree(committer, c.send);
    await c.requested(2);
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(intervalMs - 5);
    expect(c.requests[1]).toEqual(LATEST_OF_EACH);
    c.answer();
    await Promise.all(queued);
    await committer.idle();
    expect(committer.requests).toBe(2);
  });

  /**
   * A committer whose interval is an hour (only `hurry`, `close` or `drop` can end its wait before
   * the test's timeout), with offset 1 sent and answered and offset 2 waiting behind it.
   */
  function oneSentOneWaiting() {
    const c = coordinator();
    const committer = new OffsetCommitter({ intervalMs: 3_600_000 });
    void committer.commit(at(0, 1), c.send);
    c.answer();
    return { c, committer, waiting: committer.commit(at(0, 2), c.send) };
  }

  it('hurry sends what waits at once (a stopping member); a rebalance drops it', async () => {
    const { c, committer, waiting } = oneSentOneWaiting();
    await new Promise((r) => setImmediate(r));
    expect(c.requests).toHaveLength(1);
    committer.hurry();
    await c.requested(2);
    expect(c.requests[1]).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '2' }] }]);
    c.answer();
    await waiting;

    const dropped = committer.commit(at(0, 3), c.send);
    await new Promise((r) => setImmediate(r));
    committer.drop();
    await expect(dropped).rejects.toThrow('dropped by a rebalance');
    await committer.idle();
    expect(c.requests).toHaveLength(2);
  });

  it('close sends what waits at once', async () => {
    const { c, committer, waiting } = oneSentOneWaiting();
    const closed = committer.close(10_000);
    await c.requested(2);
    c.answer();
    await Promise.all([waiting, closed]);
    expect(committer.requests).toBe(2);
  });
});
