/**
 * The baseline: the same five-step create-order saga written the way the original CampusG did it,
 * measured side by side with the platform. What makes it "the original's approach":
 *
 * - one `producer.send` per message, awaited, no batching (acks = all, the Kafka client's defaults otherwise);
 * - consumers in the thread-per-message style: `eachMessage` starts the handler and does not await
 *   it (no ordering per key, offsets auto-committed whether or not the handler finished);
 * - plain JSON messages: no envelope, no schema validation, no outbox, no inbox, no retries, no
 *   dead letters; saga state in memory; just enough SQL state (orders, users, payments, timers);
 * - the HTTP API takes the customer id as the bearer token (no token verification, no body schema).
 *
 * It speaks the same IPC protocol as bench/lib/platform-child.ts, so the same load generator and
 * the same completion events (saga completed, order CREATED) measure both.
 */
import http from 'node:http';
import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import pg from 'pg';
import { nowMs } from '../lib/stats.ts';

const ns = process.env.BASELINE_NAMESPACE ?? `baseline${Date.now()}.`;
const send = (m: unknown) => process.send?.(m);

interface Msg {
  type: string;
  saga_id: string;
  order_id: string;
  [k: string]: unknown;
}

const TOPICS = ['order_commands', 'user_commands', 'payment_commands', 'timer_commands', 'saga_replies'].map((t) => ns + t);
const [ORDER_CMD, USER_CMD, PAYMENT_CMD, TIMER_CMD, REPLIES] = TOPICS as [string, string, string, string, string];

async function main() {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  await pool.query(`
    create table if not exists users (id uuid primary key, email text, card_token text);
    create table if not exists orders (id uuid primary key, customer_id uuid not null, total_cents int not null, status text not null, created_at timestamptz not null default now());
    create table if not exists payments (order_id uuid primary key, customer_id uuid, amount_cents int not null, status text not null);
    create table if not exists timers (order_id uuid primary key, timeout_at timestamptz not null, status text not null);`);
  const client = { clientId: 'campusg-baseline', bootstrapBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') };
  const admin = new Admin(client);
  await admin.createTopics({ topics: TOPICS, partitions: 3, replicas: 1 });
  await admin.close();
  const producer = new Producer({ ...client, acks: ProduceAcks.ALL, serializers: stringSerializers });
  /** One message, one send, awaited. */
  const publish = (topic: string, m: Msg) => producer.send({ messages: [{ topic, key: m.order_id, value: JSON.stringify(m) }] });
  const reply = (m: Msg, type: string, extra: Record<string, unknown> = {}) =>
    publish(REPLIES, { type, saga_id: m.saga_id, order_id: m.order_id, ...extra });

  // The services: a handler per command type, each started per message and not awaited.
  const handlers: Record<string, (m: Msg) => Promise<void>> = {
    async create_order(m) {
      const total =
        (m.items as { priceCents: number; quantity: number }[]).reduce((a, i) => a + i.priceCents * i.quantity, 0) +
        Number(m.delivery_fee_cents);
      await pool.query(`insert into orders (id, customer_id, total_cents, status) values ($1, $2, $3, 'PENDING')`, [
        m.order_id,
        m.customer_id,
        total,
      ]);
      await reply(m, 'order.created', { total_cents: total });
    },
    async get_payment_info(m) {
      const { rows } = await pool.query<{ card_token: string }>('select card_token from users where id = $1', [m.customer_id]);
      await reply(m, rows[0]?.card_token ? 'user.payment_info_retrieved' : 'user.payment_info_failed', { token: rows[0]?.card_token });
    },
    async authorize_payment(m) {
      await pool.query(`insert into payments (order_id, customer_id, amount_cents, status) values ($1, $2, $3, 'AUTHORIZED')`, [
        m.order_id,
        m.customer_id,
        m.amount_cents,
      ]);
      await reply(m, 'payment.authorized');
    },
    async update_order_status(m) {
      await pool.query(`update orders set status = 'CREATED' where id = $1`, [m.order_id]);
      await reply(m, 'order.status_updated', { status: 'CREATED' });
    },
    async start_order_timer(m) {
      await pool.query(`insert into timers (order_id, timeout_at, status) values ($1, now() + interval '30 minutes', 'ARMED')`, [
        m.order_id,
      ]);
      await reply(m, 'timer.started');
    },
  };
  const consumers: Consumer<string, string, string, string>[] = [];
  const consume = async (group: string, topic: string, handle: (m: Msg) => Promise<void>) => {
    const consumer = new Consumer({ ...client, groupId: ns + group, maxWaitTime: 50, deserializers: stringDeserializers });
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 1000 });
    // Thread-per-message: fire and forget.
    stream.on('data', (message) => {
      void handle(JSON.parse(message.value) as Msg).catch(() => {});
    });
    consumers.push(consumer);
  };
  for (const [group, topic] of [
    ['order-service', ORDER_CMD],
    ['user-service', USER_CMD],
    ['payment-service', PAYMENT_CMD],
    ['timer-service', TIMER_CMD],
  ] as const) {
    await consume(group, topic, (m) => handlers[m.type]!(m));
  }

  // The orchestrator: saga state in memory, the next command on each reply.
  const sagas = new Map<string, { step: number; order: Record<string, unknown>; total: number; token: string }>();
  const steps = [
    { command: 'create_order', topic: ORDER_CMD, reply: 'order.created' },
    { command: 'get_payment_info', topic: USER_CMD, reply: 'user.payment_info_retrieved' },
    { command: 'authorize_payment', topic: PAYMENT_CMD, reply: 'payment.authorized' },
    { command: 'update_order_status', topic: ORDER_CMD, reply: 'order.status_updated' },
    { command: 'start_order_timer', topic: TIMER_CMD, reply: 'timer.started' },
  ];
  const sendStep = (sagaId: string) => {
    const s = sagas.get(sagaId)!;
    const step = steps[s.step]!;
    const order = s.order as { order_id: string; customer_id: string };
    return publish(step.topic, {
      type: step.command,
      saga_id: sagaId,
      ...order,
      order_id: order.order_id,
      amount_cents: s.total,
      payment_method_token: s.token,
    });
  };
  await consume('create-order-saga', REPLIES, async (m) => {
    const s = sagas.get(m.saga_id);
    if (!s || steps[s.step]?.reply !== m.type) return;
    if (m.type === 'order.created') s.total = Number(m.total_cents);
    if (m.type === 'user.payment_info_retrieved') s.token = String(m.token);
    if (m.type === 'order.status_updated') send({ events: [['c', m.order_id, nowMs(), 'CREATED']] });
    s.step++;
    if (s.step === steps.length) {
      sagas.delete(m.saga_id);
      send({ events: [['s', m.saga_id, nowMs(), 'create-order:completed']] });
      return;
    }
    await sendStep(m.saga_id);
  });

  const body = (req: http.IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data ? JSON.parse(data) : {}));
    });
  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const server = http.createServer(async (req, res) => {
    try {
      const user = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const b = await body(req);
      if (req.method === 'POST' && req.url === '/api/auth/register') {
        const id = crypto.randomUUID();
        await pool.query('insert into users (id, email) values ($1, $2)', [id, b.email]);
        return json(res, 201, { token: id, user: { id } });
      }
      if (req.method === 'PUT' && req.url === '/api/me/card') {
        await pool.query('update users set card_token = $2 where id = $1', [user, `tok_${String(b.number).slice(-4)}`]);
        return json(res, 200, { ok: true });
      }
      if (req.method === 'POST' && req.url === '/api/orders') {
        const orderId = crypto.randomUUID();
        const sagaId = crypto.randomUUID();
        sagas.set(sagaId, {
          step: 0,
          order: { order_id: orderId, customer_id: user, items: b.items, delivery_fee_cents: b.deliveryFeeCents, store: b.store },
          total: 0,
          token: '',
        });
        await sendStep(sagaId);
        return json(res, 202, { orderId, sagaId, status: 'PENDING' });
      }
      json(res, 404, {});
    } catch (err) {
      json(res, 500, { error: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  send({ ready: `http://127.0.0.1:${port}` });

  process.on('message', async (m: { id: number; cmd: string; text?: string; params?: unknown[] }) => {
    try {
      if (m.cmd === 'sql') return send({ id: m.id, result: (await pool.query(m.text!, m.params)).rows });
      if (m.cmd === 'stats') return send({ id: m.id, result: { memory: process.memoryUsage(), inFlightSagas: sagas.size } });
      if (m.cmd === 'stop') {
        server.close();
        await Promise.all(consumers.map((c) => new Promise<void>((resolve) => c.close(true, () => resolve()))));
        await producer.close().catch(() => {});
        const cleanup = new Admin(client);
        await cleanup.deleteTopics({ topics: TOPICS }).catch(() => {});
        await cleanup
          .deleteGroups({
            groups: ['order-service', 'user-service', 'payment-service', 'timer-service', 'create-order-saga'].map((g) => ns + g),
          })
          .catch(() => {});
        await cleanup.close();
        await pool.end();
        send({ id: m.id, result: 'stopped' });
        setTimeout(() => process.exit(0), 50);
        return;
      }
      send({ id: m.id, error: `unknown command ${m.cmd}` });
    } catch (err) {
      send({ id: m.id, error: String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  send({ failed: String(err) });
  process.exit(1);
});
