/**
 * Where a create-order journey's time goes between its hops on Kafka + PostgreSQL: RATE orders/s
 * for SECONDS seconds, open loop, on the one-process platform, after a warm-up at the same rate.
 * For every record a consumer group handles it reports, by group, the wait from the publish to
 * the handling (fetch, the member's queue, the round) and the handling itself; for every emitted
 * message the wait from its transaction to its publish (the relay); for every SQL statement the
 * time from its submission to its result. `TEXTS=1` adds the statements per order by text.
 * Orders are posted and not polled: a poll per order in flight would be load of its own.
 *
 *   KAFKA_BROKERS=… DATABASE_URL=… [RATE=20 SECONDS=10 TEXTS=1] npx tsx bench/scenarios/kafka-hops.ts
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOnSchedule } from '@campusg/journeys';
import pg from 'pg';
import { GroupBatches } from '../../packages/messaging/src/group-batches.ts';
import { KafkaTransport } from '../../packages/messaging/src/kafka/kafka-transport.ts';
import { startSystem } from '../../test/support/system.ts';
import { cpuMeter } from '../lib/machine.ts';
import { summarize } from '../lib/stats.ts';

let counting = false;
/** Per group: ms from a record's publish to the start of its handling, and the handling's own ms. */
const groups = new Map<string, { toHandle: number[]; handle: number[] }>();
/** ms from an emitted message's timestamp (its transaction's instant) to its publish. */
const relay: number[] = [];
/** ms from a statement's submission to its result, and the statements by text. */
const statements: number[] = [];
const texts = new Map<string, number>();

const handleBatch = GroupBatches.prototype.handleBatch;
GroupBatches.prototype.handleBatch = async function (this: GroupBatches, groupId, batch, ...rest) {
  const start = Date.now();
  try {
    return await handleBatch.call(this, groupId, batch, ...rest);
  } finally {
    if (counting) {
      const g = groups.get(groupId) ?? { toHandle: [], handle: [] };
      groups.set(groupId, g);
      const end = Date.now();
      for (const r of batch) {
        g.toHandle.push(start - r.timestamp.getTime());
        g.handle.push(end - start);
      }
    }
  }
};
const publish = KafkaTransport.prototype.publish;
KafkaTransport.prototype.publish = function (this: KafkaTransport, records) {
  if (counting) {
    const now = Date.now();
    for (const r of records) relay.push(now - Date.parse((JSON.parse(r.value) as { timestamp: string }).timestamp));
  }
  return publish.call(this, records);
};
type Query = (this: pg.Client, config: string | { text?: string }, ...rest: unknown[]) => unknown;
const query = pg.Client.prototype.query as unknown as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (config, ...rest) {
  const result = query.call(this, config, ...rest);
  if (!counting || !(result instanceof Promise)) return result;
  const t0 = performance.now();
  const text = (typeof config === 'string' ? config : (config.text ?? '?')).replace(/\s+/g, ' ').slice(0, 90);
  texts.set(text, (texts.get(text) ?? 0) + 1);
  return result.then((v: unknown) => {
    statements.push(performance.now() - t0);
    return v;
  });
};

const RATE = Number(process.env.RATE ?? 20);
const SECONDS = Number(process.env.SECONDS ?? 10);
const sys = await startSystem({ SAGAS_IN_FLIGHT_LIMIT: '1000' }, {}, 'kafka');
try {
  const cust = await (await sys.client().register('Bench')).addCard();
  const post = (n: number) => startOnSchedule({ count: n, intervalMs: 1000 / RATE }, () => cust.createOrder()).then((r) => Promise.all(r));
  // The warm-up, not counted: the JIT and the pools settle.
  await post(RATE * 5);
  await sleep(2000);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const meter = cpuMeter(() => ({ platform: [process.pid] }));
  counting = true;
  const posted = await Promise.all(
    await startOnSchedule({ count: RATE * SECONDS, intervalMs: 1000 / RATE }, async () => {
      const t0 = Date.now();
      await cust.createOrder();
      return Date.now() - t0;
    }),
  );
  // The last orders' journeys end.
  await sleep(3000);
  counting = false;
  loop.disable();
  const cpu = meter.stop();
  const orders = RATE * SECONDS;
  console.log(`machine ${cpu.machineBusyPct} % busy; cores`, JSON.stringify(cpu.cores));
  console.log(`platform ${((cpu.cpuMs.platform ?? 0) / orders).toFixed(1)} ms CPU per order (the load's client included)`);
  console.log(`event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)}, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`);
  const row = (name: string, xs: number[]) => {
    const { n, p50, p95, p99 } = summarize(xs);
    console.log(name.padEnd(52), ...[n, p50, p95, p99].map((v) => String(Math.round(v)).padStart(6)));
  };
  console.log('ms'.padEnd(52), ...['n', 'p50', 'p95', 'p99'].map((h) => h.padStart(6)));
  row('POST /api/orders', posted);
  row('relay: transaction → publish', relay);
  row('statement: submitted → result', statements);
  for (const [g, w] of [...groups].sort()) {
    row(`${g}: publish → handling`, w.toHandle);
    row(`${g}: handling`, w.handle);
  }
  console.log(`${(statements.length / orders).toFixed(1)} statements per order`);
  if (process.env.TEXTS)
    for (const [t, n] of [...texts].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((n / orders).toFixed(2).padStart(6), t);
} finally {
  await sys.close();
}
