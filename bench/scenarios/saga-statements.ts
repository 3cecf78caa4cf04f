/**
 * Statements and transactions per create-order saga on the one-process platform (the embedded
 * default, PGlite in memory, in its own thread): counts every statement and transaction that reach
 * the database while SAGAS create-order sagas run one after another, after a warm-up, and prints
 * them per saga, with the statements grouped by text. With `AT_ONCE=1` the counted sagas are posted
 * all at once (a burst: handlings of several messages then share a transaction).
 * `npx tsx bench/scenarios/saga-statements.ts`
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { observeDb, wrapOpenedDbs } from '../../packages/platform/src/index.ts';
import { startSystem } from '../../test/support/system.ts';

const SAGAS = Number(process.env.SAGAS ?? 40);
const AT_ONCE = process.env.AT_ONCE === '1';
const counts = new Map<string, number>();
let statements = 0;
let transactions = 0;
let counting = false;
wrapOpenedDbs((db) =>
  observeDb(
    db,
    (text) => {
      if (!counting) return;
      statements++;
      const k = text.replace(/\s+/g, ' ').trim().slice(0, 110);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    },
    () => {
      if (counting) transactions++;
    },
  ),
);

// A burst larger than the admission limit would be refused in part (503): the limit is raised above it.
const sys = await startSystem({ SAGAS_IN_FLIGHT_LIMIT: String(Math.max(64, 2 * SAGAS)) });
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
  if (AT_ONCE) await Promise.all(Array.from({ length: SAGAS }, run));
  else for (let i = 0; i < SAGAS; i++) await run();
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
