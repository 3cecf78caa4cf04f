import { createMessage, type MessageType, type PayloadOf } from '@campusg/contracts';
import { AppError, createLogger, type Db, Metrics, randomIds, type Sql, systemClock } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { type BatchHandler, type ConsumedRecord, type Handlers, MessageBus, type Outbox, type Transport, toRecord } from '../src/index.ts';

/**
 * `campusg_message_handler_duration_seconds`: how long each handler ran, per group and type, timed
 * on the bus's injected monotonic clock, and recorded only for handling that committed. The bus runs
 * on stand-ins (a database whose inbox takes every message, an outbox and a transport that only
 * hand the test the batch handler), so the timing is all the test measures.
 */

const GROUP = 'latency-test';

/** A database that runs each transaction at once; every inbox insert finds the message new. */
const database: Db = {
  kind: 'postgres',
  async query<T>(_text: string, params: unknown[] = []): Promise<T[]> {
    const ids = params[1];
    return (Array.isArray(ids) ? ids.map((id) => ({ message_id: id })) : [{ fresh: 1 }]) as T[];
  },
  async exec() {},
  transaction: <T>(fn: (tx: Sql) => Promise<T>) => fn(database),
  ping: async () => true,
  close: async () => {},
};

const outbox: Outbox = {
  add: async () => ({ wake() {}, abandon() {}, published: async () => true }),
  backlog: async () => 0,
  close: async () => {},
};

/** A bus whose handlers advance `clock.ms` to say how long they ran, and the batch handler its transport was given. */
async function busUnderTest(handlers: (clock: { ms: number }) => Handlers) {
  const clock = { ms: 1_000 };
  const metrics = new Metrics({ defaultMetrics: false });
  const deadLettered: string[] = [];
  let handleBatch: BatchHandler | undefined;
  const transport = {
    name: 'kafka',
    capabilities: { replay: true },
    async subscribe(options: { handleBatch: BatchHandler }) {
      handleBatch = options.handleBatch;
      return { close: async () => {}, assignment: () => [] };
    },
    async publish(records: { headers: Record<string, string> }[]) {
      for (const r of records) deadLettered.push(r.headers['dlq-reason'] ?? '');
    },
  } as unknown as Transport;
  const bus = new MessageBus({
    db: database,
    transport,
    outbox,
    schema: 'latency',
    source: 'latency-test',
    clock: systemClock,
    ids: randomIds,
    log: createLogger({ level: 'silent', name: 'latency-test' }),
    metrics,
    maxAttempts: 3,
    retryBaseMs: 1,
    // One lane: a batch is one chunk, handled in one transaction, its handlers one after another.
    keyConcurrency: 1,
    monotonicMs: () => clock.ms,
  });
  await bus.consume(GROUP, ['order_commands', 'user_commands'], handlers(clock));
  return { handle: (records: ConsumedRecord[]) => handleBatch!(records), metrics, deadLettered };
}

let offset = 0;
function record<T extends MessageType>(type: T, payload: PayloadOf<T>, key: string): ConsumedRecord {
  const message = createMessage(type, payload, {
    messageId: crypto.randomUUID(),
    correlationId: crypto.randomUUID(),
    causationId: null,
    source: 'test-saga',
    timestamp: new Date(),
  });
  const r = toRecord(message, key);
  return { ...r, topic: r.topic, partition: 0, offset: offset++, timestamp: new Date() };
}

const statusUpdate = (orderId = crypto.randomUUID()) =>
  record('update_order_status', { order_id: orderId, status: 'CREATED', expected_status: 'PENDING' }, orderId);
const paymentInfo = (userId = crypto.randomUUID()) => record('get_payment_info', { user_id: userId }, userId);

/** The histogram's count, sum and cumulative buckets for one type. */
async function observed(metrics: Metrics, type: string) {
  const values = (await metrics.handlerDuration.get()).values.filter((v) => v.labels.group === GROUP && v.labels.type === type);
  const one = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
  const buckets = Object.fromEntries(
    values
      .filter((v) => v.metricName?.endsWith('_bucket'))
      .map((v) => [String((v.labels as Record<string, unknown>).le), v.value] as const),
  );
  return {
    count: one('campusg_message_handler_duration_seconds_count'),
    sum: one('campusg_message_handler_duration_seconds_sum'),
    buckets,
  };
}

describe('handler latency (campusg_message_handler_duration_seconds)', () => {
  it('times each handler of a chunk on the injected clock, by group and type', async () => {
    const { handle, metrics } = await busUnderTest((clock) => ({
      update_order_status: async () => {
        clock.ms += 40;
      },
      get_payment_info: async () => {
        clock.ms += 300;
      },
    }));
    await handle([statusUpdate(), paymentInfo(), statusUpdate()]);

    const status = await observed(metrics, 'update_order_status');
    expect(status.count).toBe(2);
    expect(status.sum).toBeCloseTo(0.08, 6);
    expect(status.buckets['0.025']).toBe(0);
    expect(status.buckets['0.05']).toBe(2);
    const info = await observed(metrics, 'get_payment_info');
    expect(info).toMatchObject({ count: 1, buckets: { '0.25': 0, '0.5': 1, '+Inf': 1 } });
    expect(info.sum).toBeCloseTo(0.3, 6);
  });

  it('counts only the run that committed: not a chunk rolled back, nor an attempt that failed, nor a dead letter', async () => {
    let calls = 0;
    const { handle, metrics, deadLettered } = await busUnderTest((clock) => ({
      update_order_status: async () => {
        clock.ms += 10;
      },
      get_payment_info: async (m) => {
        calls++;
        clock.ms += calls === 3 ? 20 : 5_000;
        if (m.payload.user_id === poisoned) throw new AppError('INVALID_TRANSITION', 'never handled');
        // The first two runs fail: in the chunk (rolled back with it), then alone; the third commits.
        if (calls < 3) throw new AppError('CONFLICT', 'try again', { retryable: true });
      },
    }));
    const poisoned = crypto.randomUUID();
    await handle([statusUpdate(), paymentInfo()]);
    await handle([paymentInfo(poisoned)]);

    // The status update ran twice (its chunk was rolled back, then alone) and committed once.
    expect(await observed(metrics, 'update_order_status')).toMatchObject({ count: 1, buckets: { '0.005': 0, '0.01': 1 } });
    const info = await observed(metrics, 'get_payment_info');
    expect(info.count).toBe(1);
    expect(info.sum).toBeCloseTo(0.02, 6);
    expect(deadLettered).toEqual(['HANDLER_ERROR']);
  });
});
