/**
 * The transport conformance suite (runtime.md, "Transport conformance"): the same tests for every
 * transport — embedded, Kafka, RabbitMQ. A transport plugs in through a `TransportHarness`.
 *
 * Rules the tests keep, so any transport can run them:
 * - every test creates its own topics (`conf_<random>`) with `ensureTopics` and its own group ids;
 * - a test waits on what handlers report (signals, polled state), never on a fixed sleep;
 * - where a transport may legitimately redeliver (at least once), the test accepts duplicates and
 *   asserts that nothing is lost or skipped; "exactly once" is only asserted where no member fails.
 */
import { createMessage, dlqTopic, type TopicSpec } from '@campusg/contracts';
import {
  type BatchHandler,
  type ConsumedRecord,
  MessageBus,
  messagingTablesSql,
  type OutgoingRecord,
  type Subscription,
  TableOutbox,
  type Transport,
  type TransportCapabilities,
  toRecord,
} from '@campusg/messaging';
import { createLogger, type Db, Metrics, migrate, openPglite, randomIds, systemClock } from '@campusg/platform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** How a transport plugs into the suite. */
export interface TransportHarness {
  /**
   * What the transport declares it can do. Known before the transport is opened, so that a test
   * that needs a capability is reported as skipped *by declaration* (and the declaration itself is
   * checked against `transport.capabilities`).
   */
  readonly capabilities: TransportCapabilities;
  /** Opens the transport (once for the whole suite). */
  create(): Promise<Transport>;
  /**
   * Closes `transport` and opens it again on the same storage / broker (a process or broker restart).
   * Without it, the restart tests are reported as skipped.
   */
  restart?(transport: Transport): Promise<Transport>;
  /**
   * A database for the MessageBus inbox/outbox used by the dead-letter test (test 7). Each call may
   * return a fresh one; the suite closes what it gets. Default: an in-memory PGlite.
   */
  db?(): Promise<Db>;
  /** Called once after the transport has been closed at the end of the suite. */
  cleanup?(): Promise<void>;
  /** Partitions of the topics the suite creates (default 3; at least 2). */
  partitions?: number;
  /** How long a test waits for an expected delivery or assignment (default 15 s). */
  waitTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// helpers

const random = () => Math.random().toString(36).slice(2, 10);

/** A promise with its resolver at hand, for handlers a test holds up. */
export class Deferred<T = void> {
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

/** Polls observable state until `predicate` holds. Used to wait on outcomes, never as the thing under test. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rejects with a clear message when `promise` does not settle within `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not complete within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The identity the suite gives a record: `<key>#<seq>`, carried in the value and a header. */
interface Sent {
  id: string;
  key: string;
  seq: number;
}

function records(topic: string, sent: Sent[]): OutgoingRecord[] {
  return sent.map((s) => ({ topic, key: s.key, value: JSON.stringify({ id: s.id, seq: s.seq }), headers: { 'conf-id': s.id } }));
}

function makeSent(keys: string[], perKey: number, prefix = ''): Sent[] {
  // Interleaved across keys (k0#0, k1#0, …, k0#1, …), the order a busy producer writes in.
  const out: Sent[] = [];
  for (let seq = 0; seq < perKey; seq++) for (const key of keys) out.push({ id: `${prefix}${key}#${seq}`, key, seq });
  return out;
}

const idOf = (r: ConsumedRecord): string => r.headers['conf-id'] ?? `?${r.value}`;

/**
 * Records what a consumer gets. `received` has every delivery (duplicates included), `handled` the
 * deliveries of batches the handler completed; `problems` lists violations of the batch contract
 * (one partition per batch, ascending offsets).
 */
class Collector {
  readonly received: ConsumedRecord[] = [];
  readonly handled: ConsumedRecord[] = [];
  readonly problems: string[] = [];
  batches = 0;
  /** Runs inside the handler, after the batch is recorded in `received`; may throw or wait. */
  hook: ((batch: ConsumedRecord[], n: number) => Promise<void> | void) | undefined;

  readonly handle: BatchHandler = async (batch) => {
    const n = this.batches++;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (r.topic !== batch[0]!.topic || r.partition !== batch[0]!.partition) this.problems.push(`batch ${n} mixes partitions`);
      if (i > 0 && r.offset <= batch[i - 1]!.offset) this.problems.push(`batch ${n} offsets not ascending`);
    }
    this.received.push(...batch);
    await this.hook?.(batch, n);
    this.handled.push(...batch);
  };

  receivedIds(): Set<string> {
    return new Set(this.received.map(idOf));
  }
  handledIds(): Set<string> {
    return new Set(this.handled.map(idOf));
  }
  has(ids: Iterable<string>, from: 'received' | 'handled' = 'handled'): boolean {
    const set = from === 'received' ? this.receivedIds() : this.handledIds();
    for (const id of ids) if (!set.has(id)) return false;
    return true;
  }
}

/**
 * Per key: the sequence numbers in delivery order. New records must come in order and without gaps;
 * a record may come again (redelivery) but then only one already delivered.
 */
function orderViolations(delivered: ConsumedRecord[]): string[] {
  const byKey = new Map<string, number[]>();
  for (const r of delivered) {
    const { seq } = JSON.parse(r.value) as { seq: number };
    const k = r.key ?? '';
    const list = byKey.get(k) ?? [];
    list.push(seq);
    byKey.set(k, list);
  }
  const problems: string[] = [];
  for (const [key, seqs] of byKey) {
    let max = -1;
    for (const s of seqs) {
      if (s > max + 1) problems.push(`key ${key}: got #${s} before #${max + 1}`);
      max = Math.max(max, s);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// the suite

export function describeTransportConformance(name: string, harness: TransportHarness): void {
  const P = harness.partitions ?? 3;
  const WAIT = harness.waitTimeoutMs ?? 15_000;
  const replay = harness.capabilities.replay;

  describe(`transport conformance: ${name}`, () => {
    let transport: Transport;
    /** Topics created so far: re-ensured after a restart, as a service does at start. */
    const specs: TopicSpec[] = [];
    /** Undone after each test, last first (gates are released before subscriptions close). */
    let teardown: Array<() => Promise<unknown> | unknown> = [];
    /** Handlers a test holds up, released before anything is closed (closing waits for batches in hand). */
    let gates: Deferred[] = [];

    beforeAll(async () => {
      transport = await harness.create();
    });
    afterEach(async () => {
      for (const g of gates) g.resolve();
      gates = [];
      const steps = teardown.reverse();
      teardown = [];
      for (const step of steps) await step();
    });
    afterAll(async () => {
      await transport?.close();
      await harness.cleanup?.();
    });

    async function topic(partitions = P): Promise<string> {
      const spec: TopicSpec = { name: `conf_${random()}`, description: 'conformance', partitions, retentionMs: 7 * 86_400_000 };
      await transport.ensureTopics([spec]);
      specs.push(spec);
      return spec.name;
    }

    async function subscribe(groupId: string, topics: string[], handleBatch: BatchHandler): Promise<Subscription> {
      const sub = await transport.subscribe({ groupId, topics, handleBatch });
      let closing: Promise<void> | undefined;
      const once: Subscription = { close: () => (closing ??= sub.close()), assignment: () => sub.assignment() };
      teardown.push(() => once.close());
      return once;
    }

    async function restart(): Promise<void> {
      transport = await harness.restart!(transport);
      await transport.ensureTopics(specs);
    }

    const allPartitions = (t: string) => Array.from({ length: P }, (_, p) => `${t}:${p}`);

    async function totalLag(groupId: string, topics: string[]): Promise<number> {
      const lag = await transport.lag(groupId, topics);
      return lag.reduce((sum, l) => sum + l.lag, 0);
    }

    /** Keys spread over every partition, so each member of a group has work. */
    const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

    it('declares its capabilities (replay is a declared boolean, as the harness says)', () => {
      expect(typeof transport.capabilities.replay).toBe('boolean');
      expect(transport.capabilities).toEqual(harness.capabilities);
    });

    it('1. an acknowledged publish reaches every subscribed group, none lost', async () => {
      const t = await topic();
      const a = new Collector();
      const b = new Collector();
      await subscribe(`g_${random()}`, [t], a.handle);
      await subscribe(`g_${random()}`, [t], b.handle);
      const sent = makeSent(keys(20), 10);
      for (let i = 0; i < sent.length; i += 50) await transport.publish(records(t, sent.slice(i, i + 50)));
      const ids = sent.map((s) => s.id);
      await waitFor(() => a.has(ids) && b.has(ids), WAIT, 'both groups to handle all 200 records');
      expect(a.handledIds().size).toBe(200);
      expect(b.handledIds().size).toBe(200);
      expect([...a.problems, ...b.problems]).toEqual([]);
    });

    it('2. records with one key arrive in publish order (different keys may interleave)', async () => {
      const t = await topic();
      const c = new Collector();
      await subscribe(`g_${random()}`, [t], c.handle);
      const sent = makeSent(keys(6), 25);
      // several publishes, each mixing keys
      for (let i = 0; i < sent.length; i += 10) await transport.publish(records(t, sent.slice(i, i + 10)));
      await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 150 records');
      expect(orderViolations(c.received)).toEqual([]);
      // one key, one partition: that is what makes its order hold
      const partitionsOfKey = new Map<string, Set<number>>();
      for (const r of c.received) {
        const set = partitionsOfKey.get(r.key ?? '') ?? new Set();
        set.add(r.partition);
        partitionsOfKey.set(r.key ?? '', set);
      }
      for (const [key, set] of partitionsOfKey) expect(set.size, `partitions of key ${key}`).toBe(1);
      expect(c.problems).toEqual([]);
    });

    it('3. two members of one group split the partitions; each record is handled by one of them', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const a = new Collector();
      const b = new Collector();
      const subA = await subscribe(group, [t], a.handle);
      const subB = await subscribe(group, [t], b.handle);
      await waitFor(
        () => {
          const x = subA.assignment();
          const y = subB.assignment();
          return x.length > 0 && y.length > 0 && new Set([...x, ...y]).size === P && x.length + y.length === P;
        },
        WAIT,
        'both members to own partitions',
      );
      const ownedA = subA.assignment();
      const ownedB = subB.assignment();
      expect([...ownedA, ...ownedB].sort()).toEqual(allPartitions(t).sort());

      const sent = makeSent(keys(30), 4);
      await transport.publish(records(t, sent));
      const ids = sent.map((s) => s.id);
      await waitFor(
        () => {
          const union = new Set([...a.handledIds(), ...b.handledIds()]);
          return ids.every((id) => union.has(id));
        },
        WAIT,
        'the group to handle all 120 records',
      );

      // nobody failed, so exactly once, by the owner of the record's partition
      expect(a.received.length + b.received.length).toBe(120);
      const overlap = [...a.receivedIds()].filter((id) => b.receivedIds().has(id));
      expect(overlap).toEqual([]);
      expect(a.received.length).toBeGreaterThan(0);
      expect(b.received.length).toBeGreaterThan(0);
      for (const r of a.received) expect(ownedA).toContain(`${r.topic}:${r.partition}`);
      for (const r of b.received) expect(ownedB).toContain(`${r.topic}:${r.partition}`);
      expect([...a.problems, ...b.problems]).toEqual([]);
    });

    it('3. rebalance: a member leaving mid-stream hands its partitions over; its uncommitted records come again, none skipped', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const a = new Collector();
      const b = new Collector();
      const subA = await subscribe(group, [t], a.handle);
      const subB = await subscribe(group, [t], b.handle);
      await waitFor(
        () => subA.assignment().length > 0 && subB.assignment().length > 0 && subA.assignment().length + subB.assignment().length === P,
        WAIT,
        'both members to own partitions',
      );
      const phase1 = makeSent(keys(30), 2, 'p1-');
      await transport.publish(records(t, phase1));
      await waitFor(() => new Set([...a.handledIds(), ...b.handledIds()]).size === phase1.length, WAIT, 'phase 1 handled');

      // A's next batch is held and then fails: A dies with records it saw but never committed.
      const gate = new Deferred();
      const entered = new Deferred<ConsumedRecord[]>();
      let failing = true;
      a.hook = async (batch) => {
        if (!failing) return;
        entered.resolve(batch);
        await gate.promise;
        throw new Error('member A dies before committing');
      };
      gates.push(gate);
      const phase2 = makeSent(keys(30), 2, 'p2-');
      await transport.publish(records(t, phase2));
      const lost = await within(entered.promise, WAIT, 'member A to take a phase-2 batch');
      const closing = subA.close();
      gate.resolve();
      await within(closing, WAIT, 'member A leaving');
      failing = false;

      await waitFor(() => subB.assignment().length === P, WAIT, 'member B to own every partition');
      expect(subB.assignment().sort()).toEqual(allPartitions(t).sort());

      const phase3 = makeSent(keys(30), 2, 'p3-');
      await transport.publish(records(t, phase3));
      const all = [...phase1, ...phase2, ...phase3].map((s) => s.id);
      await waitFor(
        () => {
          const union = new Set([...a.handledIds(), ...b.handledIds()]);
          return all.every((id) => union.has(id));
        },
        WAIT,
        'every record handled by the group',
      );

      // what A saw but did not commit came again, to B
      for (const r of lost) expect(b.handledIds()).toContain(idOf(r));
      // after A left, only B handles
      const p3 = new Set(phase3.map((s) => s.id));
      expect(a.received.filter((r) => p3.has(idOf(r)))).toEqual([]);
      expect(orderViolations(b.received)).toEqual([]);
      expect([...a.problems, ...b.problems]).toEqual([]);
    });

    it('4. a consumer restarted after committing resumes right after its last commit', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const first = new Collector();
      const sub1 = await subscribe(group, [t], first.handle);
      const before = makeSent(keys(9), 4, 'old-');
      await transport.publish(records(t, before));
      await waitFor(() => first.has(before.map((s) => s.id)), WAIT, 'the first 36 records');
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
      const committed = new Map((await transport.lag(group, [t])).map((l) => [l.partition, l.committed]));
      await sub1.close();

      const after = makeSent(keys(9), 3, 'new-');
      await transport.publish(records(t, after));
      const second = new Collector();
      await subscribe(group, [t], second.handle);
      await waitFor(() => second.has(after.map((s) => s.id)), WAIT, 'the 27 new records');
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
      const old = new Set(before.map((s) => s.id));
      expect(second.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
      // the first record read from each partition is the one right after the commit
      for (const r of second.received) expect(r.offset).toBeGreaterThanOrEqual(committed.get(r.partition)!);
      for (const [partition, offset] of committed) {
        const firstOfPartition = second.received.find((r) => r.partition === partition);
        if (firstOfPartition) expect(firstOfPartition.offset).toBe(offset);
      }
      expect(second.problems).toEqual([]);
    });

    it.skipIf(!harness.restart)('4. a consumer resumes right after its last commit when the transport restarts', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const first = new Collector();
      const sub1 = await subscribe(group, [t], first.handle);
      const before = makeSent(keys(9), 4, 'old-');
      await transport.publish(records(t, before));
      await waitFor(() => first.has(before.map((s) => s.id)), WAIT, 'the first 36 records');
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
      const committed = new Map((await transport.lag(group, [t])).map((l) => [l.partition, l.committed]));
      await sub1.close();

      await restart();
      const after = makeSent(keys(9), 3, 'new-');
      await transport.publish(records(t, after));
      const second = new Collector();
      await subscribe(group, [t], second.handle);
      await waitFor(() => second.has(after.map((s) => s.id)), WAIT, 'the 27 new records after the restart');
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
      const old = new Set(before.map((s) => s.id));
      expect(second.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
      for (const [partition, offset] of committed) {
        const firstOfPartition = second.received.find((r) => r.partition === partition);
        if (firstOfPartition) expect(firstOfPartition.offset).toBe(offset);
      }
    });

    it('4. a batch whose handler throws is delivered again (uncommitted records come again)', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const c = new Collector();
      const failed: ConsumedRecord[] = [];
      let failures = 0;
      c.hook = (batch) => {
        if (failures < 3) {
          failures++;
          failed.push(...batch);
          throw new Error('handler failure');
        }
      };
      await subscribe(group, [t], c.handle);
      const sent = makeSent(keys(9), 5);
      await transport.publish(records(t, sent));
      await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 45 records handled despite failures');
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
      expect(failures).toBe(3);
      for (const r of failed) expect(c.handledIds()).toContain(idOf(r));
      expect(orderViolations(c.handled)).toEqual([]);
    });

    it('4. records a closed consumer never committed come again to the next member of its group', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      const first = new Collector();
      first.hook = () => {
        throw new Error('always fails');
      };
      const sub1 = await subscribe(group, [t], first.handle);
      const sent = makeSent(keys(9), 3);
      await transport.publish(records(t, sent));
      await waitFor(() => first.received.length > 0, WAIT, 'a first delivery');
      await sub1.close();
      expect(first.handled).toEqual([]);

      const second = new Collector();
      await subscribe(group, [t], second.handle);
      await waitFor(() => second.has(sent.map((s) => s.id)), WAIT, 'every uncommitted record again');
      for (const r of first.received) expect(second.handledIds()).toContain(idOf(r));
    });

    it('4. a new group starting at the end (fromBeginning: false) skips history but never a record it failed on', async () => {
      const t = await topic();
      const history = makeSent(keys(9), 2, 'old-');
      await transport.publish(records(t, history));
      const c = new Collector();
      const failed: ConsumedRecord[] = [];
      c.hook = (batch) => {
        if (failed.length === 0) {
          failed.push(...batch);
          throw new Error('the first batch fails');
        }
      };
      const group = `g_${random()}`;
      const sub = await transport.subscribe({ groupId: group, topics: [t], handleBatch: c.handle, fromBeginning: false });
      teardown.push(() => sub.close());
      // Where "the end" is gets settled when the consumer starts; probe until it reads something.
      let probes = 0;
      await waitFor(
        async () => {
          if (c.received.length > 0) return true;
          await transport.publish(records(t, [{ id: `probe-${probes}`, key: `probe-${probes}`, seq: 0 }]));
          probes++;
          return false;
        },
        WAIT,
        'the new group to read a probe',
      );
      const later = makeSent(keys(9), 2, 'new-');
      await transport.publish(records(t, later));
      await waitFor(() => c.has(later.map((s) => s.id)), WAIT, 'the records published after the group started');
      expect(failed.length).toBeGreaterThan(0);
      for (const r of failed) expect(c.handledIds()).toContain(idOf(r)); // the failed batch came again
      const old = new Set(history.map((s) => s.id));
      expect(c.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
    });

    it.skipIf(!replay)('5. a new group reads retained history from the beginning (replay)', async () => {
      const t = await topic();
      const early = new Collector();
      const g1 = `g_${random()}`;
      await subscribe(g1, [t], early.handle);
      const sent = makeSent(keys(12), 4);
      await transport.publish(records(t, sent));
      await waitFor(() => early.has(sent.map((s) => s.id)), WAIT, 'the first group to read everything');
      await waitFor(async () => (await totalLag(g1, [t])) === 0, WAIT, 'the first group to commit');

      const late = new Collector();
      await subscribe(`g_${random()}`, [t], late.handle);
      await waitFor(() => late.has(sent.map((s) => s.id)), WAIT, 'the new group to read all history');
      for (let p = 0; p < P; p++) {
        const mine = late.received.filter((r) => r.partition === p);
        const history = early.received.filter((r) => r.partition === p);
        if (history.length > 0) expect(mine[0]?.offset).toBe(Math.min(...history.map((r) => r.offset)));
      }

      // and a reader can start from any offset
      for (let p = 0; p < P; p++) {
        const all = await transport.read(t, p, 0, 1000);
        const history = early.received.filter((r) => r.partition === p);
        expect(all.map(idOf).sort()).toEqual(history.map(idOf).sort());
        if (all.length > 2) {
          const mid = all[Math.floor(all.length / 2)]!;
          const fromMid = await transport.read(t, p, mid.offset, 1000);
          expect(fromMid.map((r) => r.offset)).toEqual(all.filter((r) => r.offset >= mid.offset).map((r) => r.offset));
        }
      }
    });

    it.skipIf(replay)('5. replay (declared unsupported): the transport declares capabilities.replay = false', () => {
      expect(transport.capabilities.replay).toBe(false);
      expect(Object.hasOwn(transport.capabilities, 'replay')).toBe(true);
    });

    it('6. keys and headers round-trip unchanged', async () => {
      const t = await topic();
      const c = new Collector();
      await subscribe(`g_${random()}`, [t], c.handle);
      const big = 'x'.repeat(64 * 1024);
      const base: OutgoingRecord[] = [
        { topic: t, key: 'plain', value: 'plain', headers: {} },
        { topic: t, key: 'ünïcødé-🍕 日本', value: '{"nested":{"a":[1,2,3]},"s":"é"}', headers: { unicode: '日本語 🍜', empty: '' } },
        { topic: t, key: 'with space/and:colon|pipe', value: '', headers: { 'X-Mixed-Case': 'MiXeD', json: '{"a":[1,"b"]}' } },
        { topic: t, key: '', value: 'empty key', headers: { newline: 'line1\nline2\ttab', quote: `"'\\` } },
        { topic: t, key: 'k'.repeat(300), value: big, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
      ];
      const out = base.map((r, i) => ({ ...r, headers: { ...r.headers, 'conf-id': `rt-${i}` } }));
      await transport.publish(out);
      await waitFor(() => c.has(out.map((r) => r.headers['conf-id']!)), WAIT, 'the five records');
      for (const sentRecord of out) {
        const got = c.received.find((r) => idOf(r) === sentRecord.headers['conf-id'])!;
        expect(got.topic).toBe(t);
        expect(got.key).toBe(sentRecord.key);
        expect(got.value).toBe(sentRecord.value);
        expect(got.headers).toEqual(sentRecord.headers);
        expect(got.timestamp).toBeInstanceOf(Date);
        expect(Number.isNaN(got.timestamp.getTime())).toBe(false);
      }
    });

    it('7. a poison message goes to <topic>_dlq with its reason, and the messages behind it keep flowing', async () => {
      const t = await topic();
      const dlq = dlqTopic(t);
      const dlqSpec: TopicSpec = { name: dlq, description: 'conformance dlq', partitions: 1, retentionMs: 30 * 86_400_000 };
      await transport.ensureTopics([dlqSpec]);
      specs.push(dlqSpec);

      const db = harness.db ? await harness.db() : await openPglite(undefined);
      teardown.push(() => db.close());
      const schema = `conf_${random()}`;
      await migrate(db, schema, [{ id: '001', sql: messagingTablesSql(schema) }]);
      const outbox = new TableOutbox(db, schema, transport);
      outbox.start();
      const bus = new MessageBus({
        db,
        transport,
        outbox,
        schema,
        source: 'conformance',
        clock: systemClock,
        ids: randomIds,
        log: createLogger({ level: 'silent' }),
        metrics: new Metrics({ defaultMetrics: false }),
        maxAttempts: 3,
        retryBaseMs: 10,
      });
      const handled: string[] = [];
      const group = `g_${random()}`;
      await bus.consume(group, [t], {
        'user.registered': async (message) => {
          handled.push(message.payload.user_id);
        },
      });
      teardown.push(() => bus.close());
      const dead = new Collector();
      await subscribe(`g_${random()}`, [dlq], dead.handle);

      const key = 'poison-key'; // one key: the good messages sit behind the poison in one partition
      const envelope = (type: string, payload: Record<string, unknown>) => ({
        message_id: crypto.randomUUID(),
        type,
        correlation_id: crypto.randomUUID(),
        causation_id: null,
        timestamp: new Date().toISOString(),
        source: 'conformance',
        schema_version: 1,
        payload,
      });
      const valid = (userId: string) => {
        const m = createMessage(
          'user.registered',
          { user_id: userId },
          {
            messageId: crypto.randomUUID(),
            correlationId: crypto.randomUUID(),
            causationId: null,
            source: 'conformance',
            timestamp: new Date(),
          },
        );
        return { ...toRecord(m, key), topic: t };
      };
      const users = [crypto.randomUUID(), crypto.randomUUID()];
      const poison: OutgoingRecord[] = [
        { topic: t, key, value: 'not json {', headers: { 'conf-id': 'not-json' } },
        { topic: t, key, value: JSON.stringify(envelope('no.such_type', {})), headers: { 'conf-id': 'unknown-type' } },
        {
          topic: t,
          key,
          value: JSON.stringify(envelope('user.registered', { user_id: 'not-a-uuid' })),
          headers: { 'conf-id': 'invalid-payload' },
        },
      ];
      await transport.publish([poison[0]!, valid(users[0]!), poison[1]!, poison[2]!, valid(users[1]!)]);

      await waitFor(
        () => dead.received.length >= 3 && users.every((u) => handled.includes(u)),
        WAIT,
        '3 dead letters and both good messages',
      );
      await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the consumer to move past the poison');
      expect(new Set(handled)).toEqual(new Set(users));

      expect(dead.handledIds()).toEqual(new Set(['not-json', 'unknown-type', 'invalid-payload']));
      const byId = new Map(dead.received.map((r) => [idOf(r), r]));
      const reasons = { 'not-json': 'NOT_JSON', 'unknown-type': 'UNKNOWN_TYPE', 'invalid-payload': 'INVALID_PAYLOAD' };
      for (const [id, reason] of Object.entries(reasons)) {
        const r = byId.get(id)!;
        const original = poison.find((o) => o.headers['conf-id'] === id)!;
        expect(r.topic).toBe(dlq);
        expect(r.headers['dlq-reason']).toBe(reason);
        expect(r.headers['dlq-error']).toBeTruthy();
        expect(r.headers['dlq-original-topic']).toBe(t);
        expect(Number(r.headers['dlq-original-partition'])).toBeGreaterThanOrEqual(0);
        expect(Number(r.headers['dlq-original-offset'])).toBeGreaterThanOrEqual(0);
        expect(r.headers['dlq-group']).toBe(group);
        expect(r.headers['conf-id']).toBe(id);
        expect(r.value).toBe(original.value);
        expect(r.key).toBe(key);
      }
      // the dead letters point at distinct original offsets, in publish order
      const offsets = ['not-json', 'unknown-type', 'invalid-payload'].map((id) => Number(byId.get(id)!.headers['dlq-original-offset']));
      expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
      expect(new Set(offsets).size).toBe(3);
    });

    it.skipIf(!harness.restart)('8. an acknowledged publish survives a restart of the transport', async () => {
      const t = await topic();
      const group = `g_${random()}`;
      // Without replay (declared) a group gets only what is published once it exists: a transport
      // without history proves durability with a group that joined and left before the publish.
      if (!replay) await (await subscribe(group, [t], async () => {})).close();
      const sent = makeSent(keys(10), 5);
      await transport.publish(records(t, sent));
      await restart();
      const c = new Collector();
      await subscribe(replay ? `g_${random()}` : group, [t], c.handle);
      await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 50 records after the restart');
      expect(c.handledIds().size).toBe(50);
      for (const r of c.received) {
        const s = sent.find((x) => x.id === idOf(r))!;
        expect(r.key).toBe(s.key);
        expect(JSON.parse(r.value)).toEqual({ id: s.id, seq: s.seq });
      }
      expect(orderViolations(c.received)).toEqual([]);
    });

    it('9. a slow consumer blocks neither a producer nor another group', async () => {
      const t = await topic();
      const slowGroup = `g_slow_${random()}`;
      const slow = new Collector();
      const gate = new Deferred();
      const entered = new Deferred();
      slow.hook = async () => {
        entered.resolve();
        await gate.promise;
      };
      const fast = new Collector();
      gates.push(gate);
      const slowSub = await subscribe(slowGroup, [t], slow.handle);
      await subscribe(`g_fast_${random()}`, [t], fast.handle);

      const phase1 = makeSent(keys(12), 3, 'a-');
      await transport.publish(records(t, phase1));
      await within(entered.promise, WAIT, 'the slow consumer to take a batch');

      // the slow group holds a batch: producing goes on
      const phase2 = makeSent(keys(12), 3, 'b-');
      await within(transport.publish(records(t, phase2)), WAIT, 'a publish while a consumer is stuck');
      const ids = [...phase1, ...phase2].map((s) => s.id);
      await waitFor(() => fast.has(ids), WAIT, 'the fast group to handle everything');
      expect(slow.handled).toEqual([]);
      expect(await totalLag(slowGroup, [t])).toBeGreaterThan(0);

      // a stuck member leaving (it waits for its batch in hand) does not hold up another group joining
      const closing = slowSub.close();
      const late = new Collector();
      await within(subscribe(`g_late_${random()}`, [t], late.handle), WAIT, 'another group joining while a slow member leaves');
      // With replay the new group reads the history; without (declared), what is published after it joined.
      const phase3 = makeSent(keys(12), 2, 'c-');
      if (!replay) await within(transport.publish(records(t, phase3)), WAIT, 'a publish while a member leaves');
      const lateIds = replay ? ids : phase3.map((s) => s.id);
      await waitFor(() => late.has(lateIds), WAIT, 'the new group to handle everything');
      expect(slow.handled).toEqual([]);

      gate.resolve();
      await within(closing, WAIT, 'the slow member leaving once released');
      expect([...slow.problems, ...fast.problems, ...late.problems]).toEqual([]);
    });
  });
}
