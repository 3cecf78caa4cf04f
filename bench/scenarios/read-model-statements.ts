/**
 * What the read models and the notification service cost per saga, in statements: the one-process
 * platform on PGlite in memory, every statement counted by its text, while ORDERS create-order
 * sagas and then ORDERS whole lifecycles (create, accept, three progress steps, complete) run one
 * after another. Each phase waits until every consumer has caught up before it is counted. The
 * figures are per order, grouped by what the statement touches: the notification service's own
 * tables, its inbox, and the order views of the sagas and payment schemas.
 *
 *   npx tsx bench/scenarios/read-model-statements.ts
 */
import { PgliteStatements } from '../../packages/platform/src/pglite-statements.ts';
import { quiesce } from '../../test/support/invariants.ts';
import { startSystem } from '../../test/support/system.ts';

const ORDERS = Number(process.env.ORDERS ?? 10);

const counts = new Map<string, number>();
const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const count = (sql: string) => {
  const k = norm(sql);
  counts.set(k, (counts.get(k) ?? 0) + 1);
};
const proto = PgliteStatements.prototype as unknown as {
  query: (text: string, params?: unknown[]) => Promise<unknown>;
  transaction: (fn: (tx: { query: (t: string, p?: unknown[]) => Promise<unknown> }) => Promise<unknown>) => Promise<unknown>;
};
const query = proto.query;
proto.query = function (text, params) {
  count(text);
  return query.call(this, text, params);
};
const transaction = proto.transaction;
proto.transaction = function (fn) {
  return transaction.call(this, (tx) => {
    const q = tx.query;
    tx.query = (text, params) => {
      count(text);
      return q(text, params);
    };
    return fn(tx);
  });
};

const GROUPS: [string, RegExp][] = [
  ['notification tables (audit log, notifications, names, view)', /notifications\.(audit_log|notifications|user_names|order_view)\b/],
  ['notification inbox', /notifications\.inbox\b/],
  ['sagas.order_view', /sagas\.order_view\b/],
  ['payments.order_view', /payments\.order_view\b/],
];

function report(label: string, orders: number) {
  const byGroup = GROUPS.map(([name, re]) => {
    const rows = [...counts].filter(([sql]) => re.test(sql));
    return {
      group: name,
      perOrder: Math.round((rows.reduce((n, [, c]) => n + c, 0) / orders) * 10) / 10,
      statements: rows.map(([sql, c]) => ({ perOrder: Math.round((c / orders) * 10) / 10, sql: sql.slice(0, 110) })),
    };
  });
  console.log(JSON.stringify({ phase: label, orders, byGroup }, null, 1));
  counts.clear();
}

const sys = await startSystem();
try {
  const cust = await (await sys.client().register('Bea')).addCard();
  const run = await (await sys.client().register('Rex')).becomeRunner();
  const lifecycle = async () => {
    const { orderId, sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
    await run.saga((await run.post(`/api/orders/${orderId}/accept`)).body.sagaId);
    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) {
      const res = await run.post(`/api/orders/${orderId}/progress`, { status });
      if (res.status !== 200) throw new Error(`progress ${status}: ${res.status}`);
    }
    await run.saga((await run.post(`/api/orders/${orderId}/complete`)).body.sagaId);
  };
  await lifecycle();
  await quiesce(sys.infra.db, sys.infra.transport);
  counts.clear();
  for (let i = 0; i < ORDERS; i++) await cust.saga((await cust.createOrder()).sagaId);
  await quiesce(sys.infra.db, sys.infra.transport);
  report('create-order saga', ORDERS);
  for (let i = 0; i < ORDERS; i++) await lifecycle();
  await quiesce(sys.infra.db, sys.infra.transport);
  report('whole lifecycle', ORDERS);
} finally {
  await sys.close();
}
