/**
 * The service under the MessageBus tests: `update_order_status` changes a row, records an effect
 * and emits a reply; and what the tests read back (lag, replies, dead letters, effects, inbox).
 */
import { createMessage, dlqTopic, type OrderStatus, type TypedMessage } from '@campusg/contracts';
import { type ConsumedRecord, type Handlers, partitionFor, toRecord } from '../../src/index.ts';
import { type Env, sharedTransport } from './bus-environment.ts';

// ---------------------------------------------------------------------------------------------
// the service under test: `update_order_status` changes a row, records an effect, emits a reply

export type Command = TypedMessage<'update_order_status'>;

export function command(orderId: string, status: OrderStatus = 'CREATED'): Command {
  return createMessage(
    'update_order_status',
    { order_id: orderId, status, expected_status: 'PENDING' },
    { messageId: crypto.randomUUID(), correlationId: crypto.randomUUID(), causationId: null, source: 'test-saga', timestamp: new Date() },
  );
}

/** Publishes commands to the test's command topic, keyed by order id, as a saga would. */
export async function publish(env: Env, messages: Command[]): Promise<void> {
  for (const m of messages) env.sent.add(m.message_id);
  await env.transport.publish(messages.map((m) => ({ ...toRecord(m, m.payload.order_id), topic: env.topic })));
}

export interface ServiceHooks {
  /** Runs after the state change and the emit, inside the transaction (throw to fail the handler). */
  after?: (message: Command, attempt: number) => void | Promise<void>;
  /** Runs first, before anything is written. */
  before?: (message: Command, attempt: number) => void | Promise<void>;
}

export function service(env: Env, hooks: ServiceHooks = {}) {
  const { schema } = env;
  const calls: Command[] = [];
  const attempts = new Map<string, number>();
  const handlers: Handlers = {
    update_order_status: async (m, { tx, emit }) => {
      calls.push(m);
      const attempt = (attempts.get(m.message_id) ?? 0) + 1;
      attempts.set(m.message_id, attempt);
      await hooks.before?.(m, attempt);
      const { order_id, status } = m.payload;
      const [prev] = await tx.query<{ status: OrderStatus }>(`select status from ${schema}.orders where order_id = $1`, [order_id]);
      await tx.query(
        `insert into ${schema}.orders (order_id, status, version) values ($1, $2, 1)
         on conflict (order_id) do update set status = excluded.status, version = ${schema}.orders.version + 1`,
        [order_id, status],
      );
      await tx.query(`insert into ${schema}.effects (order_id, message_id) values ($1, $2)`, [order_id, m.message_id]);
      emit('order.status_updated', { order_id, status, previous_status: prev?.status ?? 'PENDING', runner_id: null });
      await hooks.after?.(m, attempt);
    },
  };
  return { handlers, calls, attempts };
}

export async function lag(env: Env): Promise<number> {
  return (await env.transport.lag(env.group, [env.topic])).reduce((s, l) => s + l.lag, 0);
}

export async function readTopic(topic: string): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (let p = 0; p < 3; p++) out.push(...(await sharedTransport().read(topic, p, 0, 10_000)));
  return out;
}

/** Replies (order_events) caused by the commands this test published. */
export async function replyRecords(env: Env): Promise<ConsumedRecord[]> {
  return (await readTopic('order_events')).filter((r) => env.sent.has((JSON.parse(r.value) as TypedMessage).causation_id ?? ''));
}

export async function replies(env: Env): Promise<TypedMessage[]> {
  return (await replyRecords(env)).map((r) => JSON.parse(r.value) as TypedMessage);
}

export async function deadLetters(env: Env): Promise<ConsumedRecord[]> {
  return env.transport.read(dlqTopic(env.topic), 0, 0, 10_000);
}

export async function effects(env: Env): Promise<{ order_id: string; message_id: string; id: number }[]> {
  return env.db.query(`select id, order_id, message_id from ${env.schema}.effects order by id`);
}

export async function inbox(env: Env): Promise<string[]> {
  return (await env.db.query<{ message_id: string }>(`select message_id from ${env.schema}.inbox where group_id = $1`, [env.group])).map(
    (r) => r.message_id,
  );
}

export const counterValue = async (
  counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string>,
) =>
  (await counter.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);

/** Order ids whose key lands on `partition` of a 3-partition topic. */
export function idsOnPartition(n: number, partition: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const id = crypto.randomUUID();
    if (partitionFor('order_commands', id, 3) === partition) out.push(id);
  }
  return out;
}
