import { createMessage, type MessageType, type TypedMessage } from '@campusg/contracts';
import type { Emit, MessageBus } from '@campusg/messaging';
import { createLogger, type Db, ManualClock, Metrics, migrate, observeDb, openPglite, randomIds, type Sql } from '@campusg/platform';
import { type SagaCommand, SagaOrchestrator, SagaStateCache, sagaStore, sagaStoreMigrations } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeOrderSaga } from '../src/complete-order.ts';
import { CUSTOMER, createData, createOrder, replyTo, SETTINGS } from './harness.ts';

// What the saga engine costs the database: the statements one create-order saga runs, from its
// start through its five replies, with the real orchestrator on an embedded database. Every
// statement is counted by a wrapper around the database handle, so a change that adds a round
// trip per step shows here. The history the routes show is checked alongside. Transactions run
// their after-commit hooks as the bus does, so the orchestrator caches what it committed.

/** A database handle that counts every statement it runs, in or out of a transaction. */
function counting(db: Db): { db: Db; count: () => number; texts: string[] } {
  const texts: string[] = [];
  return { db: observeDb(db, (text) => texts.push(text)), count: () => texts.length, texts };
}

interface Sent {
  type: MessageType;
  messageId: string;
  command: SagaCommand | null;
}

describe('statements per create-order saga', () => {
  let raw: Db;
  let counter: ReturnType<typeof counting>;
  let orchestrator: SagaOrchestrator<ReturnType<typeof createData>>;
  const clock = new ManualClock();
  const cache = new SagaStateCache();
  let cold = false;

  /** A transaction on the counted database whose after-commit hooks run once it committed (unless `cold`). */
  async function transaction<T>(fn: (tx: Sql, afterCommit: (hook: () => void) => void) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await counter.db.transaction((tx) => fn(tx, (hook) => hooks.push(hook)));
    if (!cold) for (const hook of hooks) hook();
    return result;
  }

  /** The create-order orchestrator on the counted database, sharing the test's cache. */
  const createOrderOrchestrator = (bus: MessageBus) =>
    new SagaOrchestrator(createOrder, {
      db: counter.db,
      bus,
      clock,
      ids: randomIds,
      settings: SETTINGS,
      log: createLogger({ level: 'fatal' }),
      metrics: new Metrics({ defaultMetrics: false }),
      cache,
    });

  beforeAll(async () => {
    raw = await openPglite(undefined);
    await migrate(raw, 'sagas', sagaStoreMigrations());
    counter = counting(raw);
    const bus = {
      transact: (fn: (tx: Sql, emit: Emit) => Promise<unknown>) => counter.db.transaction((tx) => fn(tx, (() => {}) as unknown as Emit)),
    } as unknown as MessageBus;
    orchestrator = createOrderOrchestrator(bus);
  });
  afterAll(async () => {
    await raw?.close();
  });

  /** An emit that records the commands the saga sends. */
  const recorder = (sent: Sent[]): Emit =>
    ((type, payload, routing) => {
      sent.push({
        type,
        messageId: routing?.messageId ?? '',
        command: type.startsWith('saga.') ? null : ({ type, payload } as SagaCommand),
      });
    }) as Emit;

  /** The world's reply to the first command in `sent`, for saga `sagaId`. */
  function replyOf(sagaId: string, sent: Sent[], ok: boolean): TypedMessage | undefined {
    const command = sent.find((s) => s.command);
    if (!command?.command) return undefined;
    const reply = replyTo(command.command, ok);
    return createMessage(reply.type, reply.payload as never, {
      messageId: randomIds.uuid(),
      correlationId: sagaId,
      causationId: command.messageId,
      timestamp: clock.now(),
      source: 'test',
    }) as TypedMessage;
  }

  async function startSaga(sent: Sent[]): Promise<string> {
    const data = createData({ order: { ...createData().order, order_id: randomIds.uuid(), customer_id: CUSTOMER } });
    const { sagaId } = await transaction((tx, afterCommit) =>
      orchestrator.start(tx, recorder(sent), { data, startedBy: CUSTOMER, afterCommit }),
    );
    return sagaId;
  }

  /** Starts `n` sagas, each with the reply that answers its first command. */
  async function startSagas(n: number): Promise<{ sagaId: string; message: TypedMessage }[]> {
    const sagas: { sagaId: string; message: TypedMessage }[] = [];
    for (let i = 0; i < n; i++) {
      const sent: Sent[] = [];
      const sagaId = await startSaga(sent);
      sagas.push({ sagaId, message: replyOf(sagaId, sent, true)! });
    }
    return sagas;
  }

  /** Runs one create-order saga to its end, step `n` answered `outcome(n)`; returns its id and what each transaction cost. */
  async function runSaga(outcome: (step: number) => boolean): Promise<{ sagaId: string; perTransaction: number[] }> {
    let sent: Sent[] = [];
    let before = counter.count();
    const sagaId = await startSaga(sent);
    const perTransaction = [counter.count() - before];
    for (let step = 0; step < 20; step++) {
      const message = replyOf(sagaId, sent, outcome(step));
      if (!message) break;
      sent = [];
      before = counter.count();
      await transaction((tx, afterCommit) => orchestrator.onMessage(message, tx, recorder(sent), afterCommit));
      perTransaction.push(counter.count() - before);
    }
    return { sagaId, perTransaction };
  }

  it('a completed saga: its start and each of its five replies, and the history the routes show', async () => {
    await runSaga(() => true);
    const before = counter.count();
    const runs = 10;
    let last = { sagaId: '', perTransaction: [] as number[] };
    for (let i = 0; i < runs; i++) last = await runSaga(() => true);
    const perSaga = (counter.count() - before) / runs;
    console.log(`create-order, completed: ${perSaga} statements per saga; per transaction ${last.perTransaction.join(', ')}`);
    // The start writes the instance with its history in one statement; a reply, decided on the
    // state the orchestrator committed last, is saved (and proved current) in one statement.
    expect(last.perTransaction).toEqual([1, 1, 1, 1, 1, 1]);

    const stored = await sagaStore.load(raw, last.sagaId);
    expect(stored?.state.status).toBe('COMPLETED');
    expect(stored?.version).toBe(6);
    const history = await sagaStore.history(raw, last.sagaId);
    expect(history.map((h) => `${h.kind} ${h.type}`)).toEqual([
      'command create_order',
      'event order.created',
      'command get_payment_info',
      'event user.payment_info_retrieved',
      'command authorize_payment',
      'event payment.authorized',
      'command update_order_status',
      'event order.status_updated',
      'command start_order_timer',
      'event timer.started',
    ]);
    const seqs = await raw.query<{ seq: number }>('select seq from sagas.history where saga_id = $1 order by seq', [last.sagaId]);
    expect(seqs.map((r) => r.seq)).toEqual(history.map((_, i) => i + 1));
    // The saga's page reads the instance and its history in one statement, the same as the two reads.
    const beforePage = counter.count();
    const page = await sagaStore.readWithHistory(counter.db, last.sagaId);
    expect(counter.count() - beforePage).toBe(1);
    expect(page).toEqual({ ...(await sagaStore.read(raw, last.sagaId)), history });
  });

  it('a compensated saga (card declined): forward steps, then each compensation', async () => {
    const { sagaId, perTransaction } = await runSaga((step) => step !== 2);
    const total = perTransaction.reduce((a, b) => a + b, 0);
    console.log(`create-order, compensated: ${total} statements per saga; per transaction ${perTransaction.join(', ')}`);
    expect(perTransaction).toEqual([1, 1, 1, 1, 1]);
    const stored = await sagaStore.load(raw, sagaId);
    expect(stored?.state.status).toBe('COMPENSATED');
    expect(stored?.version).toBe(perTransaction.length);
  });

  it('without the cache (another instance started it, or it was evicted), each reply loads the saga first', async () => {
    cold = true;
    try {
      const { sagaId, perTransaction } = await runSaga(() => true);
      console.log(`create-order, uncached: ${perTransaction.reduce((a, b) => a + b, 0)} statements per saga`);
      expect(perTransaction).toEqual([1, 2, 2, 2, 2, 2]);
      expect((await sagaStore.load(raw, sagaId))?.state.status).toBe('COMPLETED');
    } finally {
      cold = false;
    }
  });

  it('a cached state another instance moved on is a conflict that drops it; the retry loads and decides afresh', async () => {
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    // Another instance decided meanwhile: the database holds a later version than the cache.
    await raw.query('update sagas.instances set version = version + 1 where id = $1', [sagaId]);
    const message = replyOf(sagaId, sent, true)!;
    const deliver = () => transaction((tx, afterCommit) => orchestrator.onMessage(message, tx, recorder([]), afterCommit));
    await expect(deliver()).rejects.toThrow(/changed concurrently/);
    expect(await sagaStore.history(raw, sagaId)).toHaveLength(1);
    const before = counter.count();
    await deliver();
    expect(counter.count() - before).toBe(2);
    const stored = await sagaStore.load(raw, sagaId);
    expect(stored).toMatchObject({ version: 3, state: { stepIndex: 1 } });
    expect((await sagaStore.history(raw, sagaId)).map((h) => h.type)).toEqual(['create_order', 'order.created', 'get_payment_info']);
  });

  it('a decision rolled back leaves the cache as it was committed', async () => {
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    const message = replyOf(sagaId, sent, true)!;
    const hooks: (() => void)[] = [];
    await expect(
      counter.db.transaction(async (tx) => {
        await orchestrator.onMessage(message, tx, recorder([]), (hook) => hooks.push(hook));
        throw new Error('a later handler in the chunk failed');
      }),
    ).rejects.toThrow(/later handler/);
    // Redelivered: decided on the committed state, so it answers the command in hand.
    await transaction((tx, afterCommit) => orchestrator.onMessage(message, tx, recorder([]), afterCommit));
    expect((await sagaStore.history(raw, sagaId)).map((h) => h.note)).toEqual([null, null, null]);
    expect((await sagaStore.load(raw, sagaId))?.version).toBe(2);
  });

  // The orchestrators' groups keep no inbox: the saga's history records every reply it took, in
  // the transaction that decided it, and a reply delivered again is recognised there.
  it('a reply delivered again (a redelivery, a second instance during a rebalance) writes and sends nothing', async () => {
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    const message = replyOf(sagaId, sent, true)!;
    const first: Sent[] = [];
    await transaction((tx, afterCommit) => orchestrator.onMessage(message, tx, recorder(first), afterCommit));
    expect(first.map((s) => s.type)).toContain('get_payment_info');
    const history = await sagaStore.history(raw, sagaId);
    for (const [warm, statements] of [
      [true, 1],
      [false, 2],
    ] as const) {
      if (!warm) cache.forget(sagaId);
      const again: Sent[] = [];
      const before = counter.count();
      const state = await transaction((tx, afterCommit) => orchestrator.onMessage(message, tx, recorder(again), afterCommit));
      // Cached: one look at the history; cold: the load, then the look.
      expect(counter.count() - before).toBe(statements);
      expect(again).toEqual([]);
      expect(state).toMatchObject({ stepIndex: 1, status: 'RUNNING' });
    }
    expect(await sagaStore.history(raw, sagaId)).toEqual(history);
    expect((await sagaStore.load(raw, sagaId))?.version).toBe(2);
  });

  it('a reply twice in one transaction (one batch carried it twice) is taken once', async () => {
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    const message = replyOf(sagaId, sent, true)!;
    const out: Sent[] = [];
    await transaction(async (tx, afterCommit) => {
      await orchestrator.onMessage(message, tx, recorder(out), afterCommit);
      await orchestrator.onMessage(message, tx, recorder(out), afterCommit);
    });
    expect(out.filter((s) => s.command).map((s) => s.type)).toEqual(['get_payment_info']);
    expect((await sagaStore.history(raw, sagaId)).map((h) => h.type)).toEqual(['create_order', 'order.created', 'get_payment_info']);
    expect((await sagaStore.load(raw, sagaId))?.version).toBe(2);
  });

  it('the replies of several sagas in one transaction are saved together, in one statement at its commit', async () => {
    const sagas = await startSagas(3);
    const out: Sent[] = [];
    const before = counter.count();
    await transaction(async (tx, afterCommit) => {
      for (const { message } of sagas) await orchestrator.onMessage(message, tx, recorder(out), afterCommit);
      // The same saga twice: both decisions go in the one statement, in order.
      const second = replyOf(sagas[0]!.sagaId, out, true)!;
      await orchestrator.onMessage(second, tx, recorder([]), afterCommit);
    });
    // Warm: no load, no look-up; one statement saves four decisions of three sagas.
    expect(counter.count() - before).toBe(1);
    expect(out.filter((s) => s.command).map((s) => s.type)).toEqual(['get_payment_info', 'get_payment_info', 'get_payment_info']);
    expect((await sagaStore.history(raw, sagas[0]!.sagaId)).map((h) => h.type)).toEqual([
      'create_order',
      'order.created',
      'get_payment_info',
      'user.payment_info_retrieved',
      'authorize_payment',
    ]);
    expect((await sagaStore.load(raw, sagas[0]!.sagaId))?.version).toBe(3);
    for (const { sagaId } of sagas.slice(1)) {
      expect((await sagaStore.history(raw, sagaId)).map((h) => h.type)).toEqual(['create_order', 'order.created', 'get_payment_info']);
      expect((await sagaStore.load(raw, sagaId))?.version).toBe(2);
    }
  });

  it('a stale cached state among several saved together fails the transaction, and only that saga is loaded again', async () => {
    const sagas = await startSagas(2);
    const [moved, kept] = sagas as [(typeof sagas)[0], (typeof sagas)[0]];
    await raw.query('update sagas.instances set version = version + 1 where id = $1', [moved.sagaId]);
    const deliver = () =>
      transaction(async (tx, afterCommit) => {
        for (const { message } of sagas) await orchestrator.onMessage(message, tx, recorder([]), afterCommit);
      });
    await expect(deliver()).rejects.toThrow(/changed concurrently/);
    for (const { sagaId } of sagas) expect(await sagaStore.history(raw, sagaId)).toHaveLength(1);
    const before = counter.count();
    await deliver();
    // The moved saga is loaded (its cached state was dropped); the other is still cached.
    expect(counter.count() - before).toBe(2);
    expect((await sagaStore.load(raw, moved.sagaId))?.version).toBe(3);
    expect((await sagaStore.load(raw, kept.sagaId))?.version).toBe(2);
  });

  it('an orchestrator whose group has other inputs saves each decision as it takes it: the transaction reads it back', async () => {
    // Such inputs (a cancel carried through after its saga gave up) list the instances or start one
    // in the transaction of a reply, and must find every decision taken before them written.
    const withInputs = createOrderOrchestrator({ consume: async () => {} } as unknown as MessageBus);
    await withInputs.listen({ 'timer.expired': async () => {} });
    for (const [o, written] of [
      [orchestrator, 1],
      [withInputs, 2],
    ] as const) {
      const sent: Sent[] = [];
      const sagaId = await startSaga(sent);
      const message = replyOf(sagaId, sent, true)!;
      const seen = await transaction(async (tx, afterCommit) => {
        await o.onMessage(message, tx, recorder([]), afterCommit);
        return (await sagaStore.read(tx, sagaId))?.version;
      });
      expect(seen).toBe(written);
      expect((await sagaStore.load(raw, sagaId))?.version).toBe(2);
    }
  });

  it('a late reply is noted in the history once, however often it comes', async () => {
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    const answer = replyOf(sagaId, sent, true)!;
    await transaction((tx, afterCommit) => orchestrator.onMessage(answer, tx, recorder([]), afterCommit));
    // A reply to the same command that no longer answers anything: a second attempt's, say.
    const late = { ...answer, message_id: randomIds.uuid() } as TypedMessage;
    for (let i = 0; i < 2; i++) await transaction((tx, afterCommit) => orchestrator.onMessage(late, tx, recorder([]), afterCommit));
    const history = await sagaStore.history(raw, sagaId);
    expect(history.map((h) => h.note)).toEqual([null, null, null, 'ignored: does not answer the command in hand']);
    expect(history[3]?.messageId).toBe(late.message_id);
    expect((await sagaStore.load(raw, sagaId))?.version).toBe(3);
  });

  it('an orchestrator sharing the cache skips a reply of another type’s saga without asking the database', async () => {
    const other = (shared: SagaStateCache) =>
      new SagaOrchestrator(completeOrderSaga, {
        db: counter.db,
        bus: {} as MessageBus,
        clock,
        ids: randomIds,
        settings: SETTINGS,
        log: createLogger({ level: 'fatal' }),
        metrics: new Metrics({ defaultMetrics: false }),
        cache: shared,
      });
    const sent: Sent[] = [];
    const sagaId = await startSaga(sent);
    const message = replyOf(sagaId, sent, true)!;
    for (const [shared, statements] of [
      [cache, 0],
      [new SagaStateCache(), 1],
    ] as const) {
      const before = counter.count();
      await transaction((tx, afterCommit) => other(shared).onMessage(message, tx, recorder([]), afterCommit));
      expect(counter.count() - before).toBe(statements);
    }
    expect(await sagaStore.history(raw, sagaId)).toHaveLength(1);
  });
});
