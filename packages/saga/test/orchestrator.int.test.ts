import type { MessageType } from '@campusg/contracts';
import type { Emit, Handlers, MessageBus } from '@campusg/messaging';
import { createLogger, type Db, ManualClock, Metrics, migrate, observeDb, openPglite, randomIds, type Sql } from '@campusg/platform';
import { type SagaDefinition, SagaOrchestrator, sagaStoreMigrations } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Data, makeDef } from './engine-fixture.ts';

// The orchestrator derives everything from the definition it runs: the group and topics it joins,
// the replies it listens to, each instance's key and business key. A bus that only records what it
// is asked stands in for the real one; the store is a real (embedded) database.

const data = (token: string): Data => ({ token, reason: 'SYSTEM_ERROR', skipThree: false, skipFour: false });

/** A definition keyed by the data's token, so each test picks its own keys. */
const def = (over: Partial<SagaDefinition<Data>> = {}): SagaDefinition<Data> => ({
  ...makeDef(),
  key: (d) => `key-${d.token}`,
  businessKey: (d) => `test-saga:${d.token}`,
  ...over,
});

describe('SagaOrchestrator, from its definition', () => {
  let db: Db;
  const consumed: { group: string; topics: string[]; handlers: Handlers; options: { inbox?: boolean } | undefined }[] = [];
  const bus = {
    consume: async (group: string, topics: string[], handlers: Handlers, options?: { inbox?: boolean }) => {
      consumed.push({ group, topics, handlers, options });
    },
  } as unknown as MessageBus;
  const orchestrator = (d: SagaDefinition<Data>) =>
    new SagaOrchestrator(d, {
      db,
      bus,
      clock: new ManualClock(),
      ids: randomIds,
      settings: { stepTimeoutMs: 30_000, maxAttempts: 3 },
      log: createLogger({ level: 'fatal' }),
      metrics: new Metrics({ defaultMetrics: false }),
    });

  /** Starts an instance in one transaction; returns the result and what it emitted. */
  async function start(o: SagaOrchestrator<Data>, d: Data) {
    const emitted: { type: string; payload: Record<string, unknown>; key: string | undefined }[] = [];
    const emit = ((type, payload, routing) => {
      emitted.push({ type, payload: payload as Record<string, unknown>, key: routing?.key });
    }) as Emit;
    const result = await db.transaction((tx) => o.start(tx, emit, { data: d, startedBy: null }));
    return { ...result, emitted };
  }

  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, 'sagas', sagaStoreMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  it('joins the definition’s group on its topics, for its steps’ replies, its compensation replies and the extra inputs', async () => {
    const d = def({ topics: ['order_events', 'user_events', 'payment_events', 'timer_events'] });
    const extra: Handlers = { 'timer.expired': async () => {} };
    await orchestrator(d).listen(extra);
    const joined = consumed.at(-1)!;
    expect(joined.group).toBe('test-saga-orchestrator');
    expect(joined.topics).toEqual(['order_events', 'user_events', 'payment_events', 'timer_events']);
    const stepReplies = d.steps.flatMap((s) => Object.keys(s.replies));
    expect(Object.keys(joined.handlers).sort()).toEqual([...new Set([...stepReplies, ...d.compensationReplies, 'timer.expired'])].sort());
    expect(joined.handlers['timer.expired']).toBe(extra['timer.expired']);
    // An extra input has no record of its own in a saga's history: the group keeps its inbox.
    expect(joined.options).toEqual({ inbox: true });
  });

  it('refuses a handler for messages of a topic the definition does not read, before joining', async () => {
    const joins = consumed.length;
    const listening = orchestrator(def()).listen({ 'timer.expired': async () => {} });
    await expect(listening).rejects.toThrow('timer.expired (timer_events), from topics it does not read');
    expect(consumed).toHaveLength(joins);
  });

  it('a definition with no compensation replies listens to its steps’ replies only', async () => {
    const d = def({ compensationReplies: [] as MessageType[] });
    await orchestrator(d).listen();
    expect(Object.keys(consumed.at(-1)!.handlers).sort()).toEqual(d.steps.flatMap((s) => Object.keys(s.replies)).sort());
    // Its replies are recognised by the saga's history when they come again: no inbox rows.
    expect(consumed.at(-1)!.options).toEqual({ inbox: false });
  });

  it('stores the instance under the definition’s key and sends everything keyed by it', async () => {
    const { sagaId, created, emitted } = await start(orchestrator(def()), data('a'));
    expect(created).toBe(true);
    const [row] = await db.query<{ key: string; business_key: string; exclusive: boolean; type: string }>(
      'select key, business_key, exclusive, type from sagas.instances where id = $1',
      [sagaId],
    );
    expect(row).toEqual({ key: 'key-a', business_key: 'test-saga:a', exclusive: true, type: 'test-saga' });
    expect(emitted.map((e) => [e.type, e.key])).toEqual([
      ['get_payment_info', 'key-a'],
      ['saga.started', 'key-a'],
    ]);
    expect(emitted[1]?.payload).toMatchObject({ saga_id: sagaId, saga_type: 'test-saga', order_id: 'key-a', status: 'RUNNING' });
  });

  it('an exclusive definition holds its business key for ever', async () => {
    const o = orchestrator(def());
    const first = await start(o, data('b'));
    await db.query(`update sagas.instances set status = 'COMPLETED' where id = $1`, [first.sagaId]);
    const again = await start(o, data('b'));
    expect(again).toMatchObject({ sagaId: first.sagaId, created: false, emitted: [] });
  });

  it('a non-exclusive definition holds it while an instance is active only', async () => {
    const o = orchestrator(def({ exclusive: false }));
    const first = await start(o, data('c'));
    expect(await start(o, data('c'))).toMatchObject({ sagaId: first.sagaId, created: false });
    await db.query(`update sagas.instances set status = 'COMPENSATED' where id = $1`, [first.sagaId]);
    const next = await start(o, data('c'));
    expect(next.created).toBe(true);
    expect(next.sagaId).not.toBe(first.sagaId);
  });

  it('reads the store for deadlines only once one it knows of has passed, or a sweep is due', async () => {
    const clock = new ManualClock();
    const reads: string[] = [];
    const watched = observeDb(db, (text) => {
      if (text.includes('deadline_at <=')) reads.push(text);
    });
    const emitted: string[] = [];
    const emit = ((type: string) => void emitted.push(type)) as unknown as Emit;
    const transact = (fn: (tx: Sql, emit: Emit) => Promise<unknown>) => watched.transaction((tx) => fn(tx, emit));
    const o = new SagaOrchestrator(def({ type: 'deadline-test' }), {
      db: watched,
      bus: { ...bus, transact } as unknown as MessageBus,
      clock,
      ids: randomIds,
      settings: { stepTimeoutMs: 30_000, maxAttempts: 3 },
      log: createLogger({ level: 'fatal' }),
      metrics: new Metrics({ defaultMetrics: false }),
    });
    const SWEEP = 2_000;
    // The first check reads (it knows nothing yet); the next, at the same moment, does not.
    expect(await o.checkDeadlines(SWEEP)).toBe(0);
    expect(await o.checkDeadlines(SWEEP)).toBeUndefined();
    // A saga started here: its step deadline is known, so nothing is read before it passes.
    await start(o, data('deadline'));
    clock.advance(SWEEP - 1);
    expect(await o.checkDeadlines(SWEEP)).toBeUndefined();
    expect(reads).toHaveLength(1);
    // Past the sweep, the store is read even with no deadline known to have passed.
    clock.advance(1);
    expect(await o.checkDeadlines(SWEEP)).toBe(0);
    // Past the step deadline: read at once, and the saga moved by its timeout.
    clock.advance(30_000);
    expect(emitted).toEqual([]);
    expect(await o.checkDeadlines(SWEEP)).toBe(1);
    expect(emitted).not.toEqual([]);
    expect(reads).toHaveLength(3);
    // A clock set back says nothing of the time since the last check: the store is read.
    clock.advance(-10_000);
    expect(await o.checkDeadlines(SWEEP)).toBe(0);
    expect(reads).toHaveLength(4);
  });
});
