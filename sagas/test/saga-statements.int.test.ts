import { createMessage, type MessageType, type TypedMessage } from '@campusg/contracts';
import type { Emit, MessageBus } from '@campusg/messaging';
import { createLogger, type Db, ManualClock, Metrics, migrate, openPglite, randomIds, type Sql } from '@campusg/platform';
import { type SagaCommand, SagaOrchestrator, sagaStore, sagaStoreMigrations } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER, createData, createOrder, replyTo, SETTINGS } from './harness.ts';

// What the saga engine costs the database: the statements one create-order saga runs, from its
// start through its five replies, with the real orchestrator on an embedded database. Every
// statement is counted by a wrapper around the database handle, so a change that adds a round
// trip per step shows here. The history the routes show is checked alongside.

/** A database handle that counts every statement it runs, in or out of a transaction. */
function counting(db: Db): { db: Db; count: () => number; texts: string[] } {
  const texts: string[] = [];
  const wrap = (sql: Sql): Sql => ({
    query: (text, params) => {
      texts.push(text);
      return sql.query(text, params);
    },
    exec: (text) => {
      texts.push(text);
      return sql.exec(text);
    },
  });
  const counted: Db = { ...db, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) };
  return { db: counted, count: () => texts.length, texts };
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

  beforeAll(async () => {
    raw = await openPglite(undefined);
    await migrate(raw, 'sagas', sagaStoreMigrations());
    counter = counting(raw);
    const bus = {
      transact: (fn: (tx: Sql, emit: Emit) => Promise<unknown>) => counter.db.transaction((tx) => fn(tx, (() => {}) as unknown as Emit)),
    } as unknown as MessageBus;
    orchestrator = new SagaOrchestrator(createOrder, {
      db: counter.db,
      bus,
      clock,
      ids: randomIds,
      settings: SETTINGS,
      log: createLogger({ level: 'fatal' }),
      metrics: new Metrics({ defaultMetrics: false }),
    });
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

  /** Runs one create-order saga to its end, every step answered `ok`; returns its id and what each transaction cost. */
  async function runSaga(outcome: (step: number) => boolean): Promise<{ sagaId: string; perTransaction: number[] }> {
    const data = createData({ order: { ...createData().order, order_id: randomIds.uuid(), customer_id: CUSTOMER } });
    const perTransaction: number[] = [];
    let sent: Sent[] = [];
    let before = counter.count();
    const { sagaId } = await counter.db.transaction((tx) => orchestrator.start(tx, recorder(sent), { data, startedBy: CUSTOMER }));
    perTransaction.push(counter.count() - before);
    for (let step = 0; step < 20; step++) {
      const command = sent.find((s) => s.command);
      if (!command?.command) break;
      const reply = replyTo(command.command, outcome(step));
      const message = createMessage(reply.type, reply.payload as never, {
        messageId: randomIds.uuid(),
        correlationId: sagaId,
        causationId: command.messageId,
        timestamp: clock.now(),
        source: 'test',
      }) as TypedMessage;
      sent = [];
      before = counter.count();
      await counter.db.transaction((tx) => orchestrator.onMessage(message, tx, recorder(sent)));
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
    // The start writes the instance with its history in one statement; a reply loads, then saves.
    expect(last.perTransaction).toEqual([1, 2, 2, 2, 2, 2]);

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
  });

  it('a compensated saga (card declined): forward steps, then each compensation', async () => {
    const { sagaId, perTransaction } = await runSaga((step) => step !== 2);
    const total = perTransaction.reduce((a, b) => a + b, 0);
    console.log(`create-order, compensated: ${total} statements per saga; per transaction ${perTransaction.join(', ')}`);
    expect(perTransaction).toEqual([1, 2, 2, 2, 2]);
    const stored = await sagaStore.load(raw, sagaId);
    expect(stored?.state.status).toBe('COMPENSATED');
    expect(stored?.version).toBe(perTransaction.length);
  });
});
