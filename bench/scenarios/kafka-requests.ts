/**
 * Kafka requests per create-order saga, by kind (Fetch, OffsetCommit, Produce, Heartbeat…), on the
 * one-process platform over Kafka + PostgreSQL: RATE sagas/s for SECONDS seconds, open loop, each
 * polled until it ends, after a warm-up. Every request of every Kafka client connection is counted
 * (the client's `plt:kafka:connections:api` diagnostics channel).
 *
 *   KAFKA_BROKERS=… DATABASE_URL=… [RATE=20 SECONDS=10] npx tsx bench/scenarios/kafka-requests.ts
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { startOnSchedule } from '@campusg/journeys';
import { startSystem } from '../../test/support/system.ts';
import { onKafkaRequest } from '../lib/kafka-apis.ts';

const counts = new Map<string, number>();
let counting = false;
onKafkaRequest((api) => {
  if (counting) counts.set(api, (counts.get(api) ?? 0) + 1);
});
const RATE = Number(process.env.RATE ?? 20);
const SECONDS = Number(process.env.SECONDS ?? 10);
const sys = await startSystem({ SAGAS_IN_FLIGHT_LIMIT: '1000' }, {}, 'kafka');
try {
  const cust = await (await sys.client().register('Bench')).addCard();
  for (let i = 0; i < 5; i++) {
    const { sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
  }
  // The warm-up's offset commits (at most one per member every 500 ms) land before counting starts.
  await sleep(1500);
  counting = true;
  const t0 = Date.now();
  const n = RATE * SECONDS;
  const runs = await startOnSchedule(
    { count: n, intervalMs: 1000 / RATE },
    () => cust.createOrder().then(({ sagaId }) => cust.saga(sagaId)) as Promise<{ status: string }>,
  );
  const ended = await Promise.all(runs);
  // And the counted sagas' own.
  await sleep(1500);
  counting = false;
  const el = (Date.now() - t0) / 1000;
  let total = 0;
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) {
    total += v;
    console.log(k.padEnd(20), (v / n).toFixed(2));
  }
  const statuses = new Map<string, number>();
  for (const s of ended) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
  console.log('sagas ended', Object.fromEntries(statuses));
  console.log('total per saga', (total / n).toFixed(1), 'elapsed', el.toFixed(1));
} finally {
  await sys.close();
}
