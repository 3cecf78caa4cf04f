/**
 * Statements and transactions per create-order saga on the one-process platform (the embedded
 * default, PGlite in memory): counts every statement and transaction `PgliteStatements` runs while
 * SAGAS create-order sagas run one after another, after a warm-up, and prints them per saga, with
 * the statements grouped by text. `npx tsx bench/scenarios/saga-statements.ts`
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PgliteStatements } from '../../packages/platform/src/pglite-statements.ts';
import { startSystem } from '../../test/support/system.ts';

const SAGAS = Number(process.env.SAGAS ?? 40);
const counts = new Map<string, number>();
let statements = 0;
let transactions = 0;
let counting = false;
const note = (text: string) => {
  if (!counting) return;
  statements++;
  const k = text.replace(/\s+/g, ' ').trim().slice(0, 110);
  counts.set(k, (counts.get(k) ?? 0) + 1);
};
type Tx = { query(text: string, params?: unknown[]): Promise<unknown>; exec(text: string): Promise<void> };
type Patched = {
  query(this: unknown, text: string, params?: unknown[]): Promise<unknown>;
  transaction(this: unknown, fn: (tx: Tx) => Promise<unknown>): Promise<unknown>;
};
const proto = PgliteStatements.prototype as unknown as Patched;
const { query, transaction } = proto;
proto.query = function (text, params) {
  note(text);
  return query.call(this, text, params);
};
proto.transaction = function (fn) {
  if (counting) transactions++;
  return transaction.call(this, (tx) =>
    fn({
      query: (text, params) => {
        note(text);
        return tx.query(text, params);
      },
      exec: (text) => tx.exec(text),
    }),
  );
};

const sys = await startSystem();
try {
  const cust = await (await sys.client().register('Bench')).addCard();
  const run = async () => {
    const { sagaId } = await cust.createOrder();
    const s = await cust.saga(sagaId);
    if (s.status !== 'COMPLETED') throw new Error(`saga ${s.status}`);
  };
  for (let i = 0; i < 5; i++) await run();
  await sleep(600); // the warm-up's lazy offset commits land before counting starts
  counting = true;
  for (let i = 0; i < SAGAS; i++) await run();
  await sleep(600); // and the counted sagas' own
  counting = false;
  const top = [...counts].sort((a, b) => b[1] - a[1]);
  for (const [k, n] of top.slice(0, 40)) console.log((n / SAGAS).toFixed(2).padStart(7), k);
  console.log(
    `per saga: ${(statements / SAGAS).toFixed(1)} statements, ${(transactions / SAGAS).toFixed(1)} transactions (${SAGAS} sagas)`,
  );
} finally {
  await sys.close();
}
