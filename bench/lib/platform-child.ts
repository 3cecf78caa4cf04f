/**
 * The platform under test, in a process of its own: exactly what `campusg start` runs (every
 * service, the orchestrators, the HTTP API on one process, settings from the environment), plus a
 * benchmark observer — one extra consumer group on `saga_events` and `order_events` that reports
 * saga ends and orders turning CREATED to the parent over IPC, stamped with the time it saw them.
 * The parent also asks it for SQL (the embedded database lives in this process) and the invariant
 * check. Run with `--cpu-prof` to profile the platform alone.
 */
import { buildPlatform, openInfrastructure } from '@campusg/host';
import type { ConsumedRecord } from '@campusg/messaging';
import { loadConfig } from '@campusg/platform';
import pg from 'pg';
import { checkInvariants, quiesce } from '../../test/support/invariants.ts';
import { installSqlStats, resetSqlStats, sqlStats, uncounted } from './sql-stats.ts';
import { nowMs } from './stats.ts';

type Command =
  | { id: number; cmd: 'sql'; text: string; params?: unknown[] }
  | { id: number; cmd: 'invariants'; timeoutMs?: number }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'sqlstats'; reset?: boolean }
  | { id: number; cmd: 'stop' };

const send = (m: unknown) => process.send?.(m);

async function main() {
  if (process.env.BENCH_SQL_STATS === '1') installSqlStats();
  // Experiment knob: a larger PostgreSQL pool than the platform's fixed 10 connections.
  if (process.env.BENCH_PG_POOL) {
    const max = Number(process.env.BENCH_PG_POOL);
    const proto = pg.Pool.prototype as unknown as { connect: (...a: unknown[]) => unknown; options: { max: number } };
    const connect = proto.connect;
    proto.connect = function (this: { options: { max: number } }, ...a: unknown[]) {
      this.options.max = max;
      return connect.apply(this, a);
    };
  }
  const config = loadConfig(process.env);
  const infra = await openInfrastructure(config);
  const platform = await buildPlatform(infra);
  await platform.start();

  // Observer: batches of [kind, id, t, extra] sent every few milliseconds.
  let pending: unknown[] = [];
  const report = (e: unknown) => {
    pending.push(e);
    if (pending.length > 1) return;
    setTimeout(() => {
      const batch = pending;
      pending = [];
      send({ events: batch });
    }, 5);
  };
  // The observer's own reads (the embedded log is in the platform's database) are not the platform's cost.
  if (process.env.BENCH_OBSERVE === '1') {
    await uncounted(() =>
      infra.transport.subscribe({
        groupId: 'bench-observer',
        topics: ['saga_events', 'order_events'],
        fromBeginning: false,
        handleBatch: async (batch: ConsumedRecord[]) => {
          const t = nowMs();
          for (const r of batch) {
            const type = r.headers.type;
            if (type === 'saga.completed' || type === 'saga.compensated' || type === 'saga.failed') {
              const m = JSON.parse(r.value) as { correlation_id: string; payload: { saga_type: string } };
              report(['s', m.correlation_id, t, `${m.payload.saga_type}:${type.slice(5)}`]);
            } else if (type === 'order.status_updated') {
              const m = JSON.parse(r.value) as { payload: { order_id: string; status: string } };
              if (m.payload.status === 'CREATED') report(['c', m.payload.order_id, t, 'CREATED']);
            }
          }
        },
      }),
    );
  }

  const url = await platform.app.listen({ port: 0, host: '127.0.0.1' });
  send({ ready: url });

  const onCommand = async (c: Command) => {
    try {
      switch (c.cmd) {
        case 'sql':
          return send({ id: c.id, result: await uncounted(() => infra.db.query(c.text, c.params)) });
        case 'invariants': {
          const violations = await uncounted(async () => {
            await quiesce(infra.db, infra.transport, c.timeoutMs ?? 120_000);
            return checkInvariants(infra.db);
          });
          return send({ id: c.id, result: violations });
        }
        case 'sqlstats': {
          const stats = sqlStats();
          if (c.reset) resetSqlStats();
          return send({ id: c.id, result: stats });
        }
        case 'stats':
          return send({ id: c.id, result: { memory: process.memoryUsage(), cpu: process.cpuUsage() } });
        case 'stop': {
          const force = setTimeout(() => process.exit(1), 20_000);
          await platform.stop();
          await infra.close();
          clearTimeout(force);
          send({ id: c.id, result: 'stopped' });
          setTimeout(() => process.exit(0), 50);
          return;
        }
      }
    } catch (err) {
      send({ id: c.id, error: (err as Error)?.stack ?? String(err) });
    }
  };
  process.on('message', (m) => void onCommand(m as Command));
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  send({ failed: String((err as Error)?.message ?? err) });
  process.exit(1);
});
