/**
 * The MessageBus over the embedded transport with a service-like schema: inbox, outbox and state in
 * one transaction; duplicates; retries and dead letters; crashes (closing and reopening the PGlite
 * data dir); per-key order; chunked transactions.
 */
import { AppError } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { type BatchHandler, type ConsumedRecord, type Handlers, type Transport, toRecord } from '../src/index.ts';
import { openEnv, useBusEnvironment, waitFor } from './support/bus-environment.ts';
import {
  type Command,
  command,
  counterValue,
  deadLetters,
  effects,
  idsOnPartition,
  inbox,
  lag,
  publish,
  readTopic,
  replies,
  replyRecords,
  service,
} from './support/order-service.ts';

useBusEnvironment();

describe('MessageBus (embedded transport, service schema)', () => {
  it('commits the state change, the inbox entry and the reply together — all or nothing', async () => {
    const env = await openEnv();
    const ok = command(crypto.randomUUID(), 'CREATED');
    const bad = command(crypto.randomUUID(), 'CREATED');
    const svc = service(env, {
      after: (m) => {
        if (m.message_id === bad.message_id) throw new AppError('INVALID_TRANSITION', 'refused after writing');
      },
    });
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    await publish(env, [ok, bad]);
    await waitFor(async () => (await lag(env)) === 0 && (await deadLetters(env)).length === 1, 'both commands settled');

    // the good one: all three
    const [row] = await env.db.query<{ status: string; version: number }>(
      `select status, version from ${env.schema}.orders where order_id = $1`,
      [ok.payload.order_id],
    );
    expect(row).toEqual({ status: 'CREATED', version: 1 });
    expect(await inbox(env)).toEqual([ok.message_id]);
    const out = await replies(env);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      type: 'order.status_updated',
      correlation_id: ok.correlation_id,
      causation_id: ok.message_id,
      source: 'order-service',
      payload: { order_id: ok.payload.order_id, status: 'CREATED', previous_status: 'PENDING', runner_id: null },
    });
    const [replyRecord] = await replyRecords(env);
    expect(replyRecord!.key).toBe(ok.payload.order_id);
    expect(replyRecord!.headers).toMatchObject({ type: 'order.status_updated', message_id: out[0]!.message_id });

    // the failed one: none of the three (its handler had written state and emitted before throwing)
    expect(await env.db.query(`select 1 from ${env.schema}.orders where order_id = $1`, [bad.payload.order_id])).toEqual([]);
    expect((await effects(env)).map((e) => e.message_id)).toEqual([ok.message_id]);
    expect(out.some((m) => m.causation_id === bad.message_id)).toBe(false);
  });

  it('has one effect for a message delivered several times (same message_id)', async () => {
    const env = await openEnv();
    const svc = service(env);
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    const cmd = command(crypto.randomUUID());
    await publish(env, [cmd]);
    await publish(env, [cmd]); // the producer retried
    await waitFor(async () => (await lag(env)) === 0, 'the two deliveries handled');
    await publish(env, [cmd]); // a late duplicate, after the first was handled and committed
    await waitFor(async () => (await lag(env)) === 0, 'the late duplicate handled');

    expect(svc.calls.map((m) => m.message_id)).toEqual([cmd.message_id]);
    expect((await effects(env)).map((e) => e.message_id)).toEqual([cmd.message_id]);
    expect(await inbox(env)).toEqual([cmd.message_id]);
    expect((await replies(env)).filter((m) => m.causation_id === cmd.message_id)).toHaveLength(1);
    const [row] = await env.db.query<{ version: number }>(`select version from ${env.schema}.orders where order_id = $1`, [
      cmd.payload.order_id,
    ]);
    expect(row!.version).toBe(1);
    expect(await deadLetters(env)).toEqual([]);
  });

  it.each([
    ['one message per transaction', 1],
    ['in chunks', 50],
  ])('dead-letters a non-retryable handler error with reason HANDLER_ERROR, once, and moves on (%s)', async (_, chunkSize) => {
    const env = await openEnv({ chunkSize });
    const orderId = crypto.randomUUID();
    const poison = command(orderId, 'CREATED');
    const behind = command(orderId, 'ACCEPTED'); // same key, right behind it
    const svc = service(env, {
      before: (m) => {
        if (m.message_id === poison.message_id) throw new AppError('INVALID_TRANSITION', 'PENDING -> CREATED refused');
      },
    });
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    await publish(env, [poison, behind]);
    await waitFor(async () => (await lag(env)) === 0, 'both commands settled');

    const dead = await deadLetters(env);
    expect(dead).toHaveLength(1);
    const [d] = dead;
    expect(d!.headers).toMatchObject({
      'dlq-reason': 'HANDLER_ERROR',
      'dlq-error': 'PENDING -> CREATED refused',
      'dlq-original-topic': env.topic,
      'dlq-group': env.group,
      type: 'update_order_status',
      message_id: poison.message_id,
    });
    expect(Number(d!.headers['dlq-original-offset'])).toBeGreaterThanOrEqual(0);
    expect(d!.value).toBe(toRecord(poison, orderId).value);
    expect(d!.key).toBe(orderId);
    // Not retried: handled once on its own (in chunks, after its chunk was rolled back as a whole).
    expect(svc.attempts.get(poison.message_id)).toBe(chunkSize === 1 ? 1 : 2);
    expect((await effects(env)).map((e) => e.message_id)).toEqual([behind.message_id]);
    expect(await counterValue(env.metrics.deadLettered, { reason: 'HANDLER_ERROR', group: env.group })).toBe(1);
  });

  it("retries a retryable AppError('TRANSIENT') with backoff until it succeeds; gives up after maxAttempts", async () => {
    const env = await openEnv({ maxAttempts: 4 });
    const flaky = command(crypto.randomUUID());
    const hopeless = command(crypto.randomUUID());
    const svc = service(env, {
      after: (m, attempt) => {
        if (m.message_id === flaky.message_id && attempt <= 2) throw new AppError('TRANSIENT', `gateway busy (${attempt})`);
        if (m.message_id === hopeless.message_id) throw new AppError('TRANSIENT', 'gateway down');
      },
    });
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    await publish(env, [flaky, hopeless]);
    await waitFor(async () => (await lag(env)) === 0, 'both commands settled');

    expect(svc.attempts.get(flaky.message_id)).toBe(3);
    expect((await effects(env)).map((e) => e.message_id)).toEqual([flaky.message_id]); // failed attempts rolled back
    expect((await replies(env)).filter((m) => m.causation_id === flaky.message_id)).toHaveLength(1);

    expect(svc.attempts.get(hopeless.message_id)).toBe(4);
    const dead = await deadLetters(env);
    expect(dead.map((d) => [d.headers.message_id, d.headers['dlq-reason']])).toEqual([[hopeless.message_id, 'MAX_ATTEMPTS']]);
    expect(await counterValue(env.metrics.handlerRetries, { group: env.group })).toBe(2 + 3);
  });

  it('a crash after the handler transactions but before the offset commit loses nothing and repeats no effect', async () => {
    const first = await openEnv({
      // the process dies between "transaction committed" and "offset committed", every time
      wrap: (inner) => withBatchFailure(inner, () => true),
    });
    const svc1 = service(first);
    await first.bus.consume(first.group, [first.topic], svc1.handlers);
    const orders = Array.from({ length: 6 }, () => crypto.randomUUID());
    const cmds = orders.flatMap((o) => (['CREATED', 'ACCEPTED', 'PLACED', 'ON_THE_WAY'] as const).map((s) => command(o, s)));
    await publish(first, cmds);
    await waitFor(async () => (await effects(first)).length === cmds.length, 'every command handled once');
    expect(await lag(first)).toBe(cmds.length); // nothing committed
    await first.crash();

    const second = await openEnv({ like: first });
    const svc2 = service(second);
    await second.bus.consume(second.group, [second.topic], svc2.handlers);
    await waitFor(async () => (await lag(second)) === 0, 'the redelivered commands committed');

    expect(svc2.calls).toEqual([]); // every redelivery was recognised by the inbox
    const done = await effects(second);
    expect(done.map((e) => e.message_id).sort()).toEqual(cmds.map((c) => c.message_id).sort());
    expect((await inbox(second)).sort()).toEqual(cmds.map((c) => c.message_id).sort());
    const causes = (await replies(second)).map((m) => m.causation_id);
    expect(causes.sort()).toEqual(cmds.map((c) => c.message_id).sort());
    for (const o of orders) {
      const [row] = await second.db.query<{ status: string; version: number }>(
        `select status, version from ${second.schema}.orders where order_id = $1`,
        [o],
      );
      expect(row).toEqual({ status: 'ON_THE_WAY', version: 4 });
    }
  });

  it('stopping mid-batch (a key stuck on an unreachable dependency) and reopening the data dir loses nothing and repeats no effect', async () => {
    const first = await openEnv();
    const keys = idsOnPartition(2, 0).concat(idsOnPartition(2, 1));
    const cmds = (['CREATED', 'ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED'] as const).flatMap((s) => keys.map((k) => command(k, s)));
    const stuck = cmds.find((c) => c.payload.order_id === keys[0] && c.payload.status === 'PLACED')!;
    const svc1 = service(first, {
      before: (m) => {
        if (m.message_id === stuck.message_id) {
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
        }
      },
    });
    await first.bus.consume(first.group, [first.topic], svc1.handlers);
    await publish(first, cmds);
    // everything but the stuck message and the two behind it on its key
    await waitFor(
      async () => (svc1.attempts.get(stuck.message_id) ?? 0) >= 2 && (await effects(first)).length === cmds.length - 3,
      'all but the stuck key to be handled',
    );
    expect(await lag(first)).toBeGreaterThan(0); // the stuck partition's batch is not committed
    await first.crash();

    const second = await openEnv({ like: first });
    const svc2 = service(second);
    await second.bus.consume(second.group, [second.topic], svc2.handlers);
    await waitFor(async () => (await lag(second)) === 0, 'everything committed after the restart');

    expect(svc2.calls.map((m) => m.message_id).sort()).toEqual(
      cmds
        .filter((c) => c.payload.order_id === keys[0] && ['PLACED', 'ON_THE_WAY', 'DELIVERED'].includes(c.payload.status))
        .map((c) => c.message_id)
        .sort(),
    );
    const done = await effects(second);
    expect(done.map((e) => e.message_id).sort()).toEqual(cmds.map((c) => c.message_id).sort());
    // per key, effects happened in publish order, across the restart
    for (const k of keys) {
      const expected = cmds.filter((c) => c.payload.order_id === k).map((c) => c.message_id);
      expect(done.filter((e) => e.order_id === k).map((e) => e.message_id)).toEqual(expected);
    }
    expect((await replies(second)).map((m) => m.causation_id).sort()).toEqual(cmds.map((c) => c.message_id).sort());
    expect(await deadLetters(second)).toEqual([]);
  });

  it('on a transport that stores no offsets with the effects, handles one key at a time in offset order while different keys run concurrently', async () => {
    // A transaction per message, and no offset stored with it (as on Kafka or RabbitMQ): the keys go in lanes.
    const env = await openEnv({ keyConcurrency: 8, chunkSize: 1, wrap: withoutOffsetsInTransaction });
    const keys = idsOnPartition(4, 0); // one partition, so one batch holds all keys
    const seq = new Map<string, number>();
    const cmds: Command[] = [];
    for (const k of keys) {
      for (let i = 0; i < 10; i++) {
        const c = command(k, i % 2 === 0 ? 'CREATED' : 'ACCEPTED');
        seq.set(c.message_id, i);
        cmds.push(c); // key-major: a consumer handling records one by one would never interleave keys
      }
    }
    await publish(env, cmds);
    const order: { key: string; seq: number }[] = [];
    let inFlightPerKey = 0;
    const busy = new Set<string>();
    const svc = service(env, {
      before: async (m) => {
        if (busy.has(m.payload.order_id)) inFlightPerKey++;
        busy.add(m.payload.order_id);
        order.push({ key: m.payload.order_id, seq: seq.get(m.message_id)! });
        await new Promise((r) => setImmediate(r));
      },
      after: (m) => {
        busy.delete(m.payload.order_id);
      },
    });
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    await waitFor(async () => (await lag(env)) === 0, 'all 40 commands');

    expect(inFlightPerKey).toBe(0);
    for (const k of keys) {
      expect(order.filter((o) => o.key === k).map((o) => o.seq)).toEqual([...Array(10).keys()]);
    }
    // keys interleave: the second key starts before the first key is done
    const firstOfB = order.findIndex((o) => o.key === keys[1]);
    const lastOfA = order.map((o) => o.key).lastIndexOf(keys[0]!);
    expect(firstOfB).toBeLessThan(lastOfA);
    // the database agrees: per key, effects in offset order
    const done = await effects(env);
    for (const k of keys) {
      expect(done.filter((e) => e.order_id === k).map((e) => seq.get(e.message_id))).toEqual([...Array(10).keys()]);
    }
  });

  for (const chunkSize of [50, 1])
    it(`a group whose handler recognises a message by its id writes no inbox row, and its handler sees a copy to no effect (chunks of ${chunkSize})`, async () => {
      // As on Kafka or RabbitMQ: no offset stored with the effects, so without the handler's own check a copy would count twice.
      const env = await openEnv({ chunkSize, wrap: withoutOffsetsInTransaction });
      await env.db.exec(`create table ${env.schema}.seen (message_id uuid primary key)`);
      const cmds = [command(crypto.randomUUID()), command(crypto.randomUUID())];
      const calls: string[] = [];
      const handlers: Handlers = {
        update_order_status: async (m, { tx }) => {
          calls.push(m.message_id);
          const first = await tx.query(`insert into ${env.schema}.seen (message_id) values ($1) on conflict do nothing returning 1`, [
            m.message_id,
          ]);
          if (first.length > 0)
            await tx.query(`insert into ${env.schema}.effects (order_id, message_id) values ($1, $2)`, [m.payload.order_id, m.message_id]);
        },
      };
      await env.bus.consume(env.group, [env.topic], handlers, { inbox: false });
      // The first command again, in the same batch and in a later one.
      await publish(env, [...cmds, cmds[0]!]);
      await waitFor(async () => (await lag(env)) === 0, 'three records');
      await publish(env, [cmds[0]!]);
      await waitFor(async () => (await lag(env)) === 0, 'the fourth');
      expect(calls.filter((id) => id === cmds[0]!.message_id)).toHaveLength(3);
      expect((await effects(env)).map((e) => e.message_id).sort()).toEqual(cmds.map((c) => c.message_id).sort());
      expect(await inbox(env)).toEqual([]);
    });

  it('on a transport that stores no offsets with the effects, batches of several partitions handed over at once share a round, each answered once its records committed, a failing record holding back no other key', async () => {
    let handOver: BatchHandler | undefined;
    const env = await openEnv({ keyConcurrency: 8, chunkSize: 50, wrap: (inner) => handedOver(inner, (h) => (handOver = h)) });
    const bad = command(crypto.randomUUID());
    const svc = service(env, {
      after: (m) => {
        if (m.message_id === bad.message_id) throw new Error('this one cannot be handled');
      },
    });
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    // Three partitions' batches of ten keys each; the third holds the record that fails.
    const batches = [0, 1, 2].map((partition) =>
      Array.from({ length: 10 }, (_, i) => (partition === 2 && i === 4 ? bad : command(crypto.randomUUID()))).map(
        (m, offset): ConsumedRecord => ({ ...toRecord(m, m.payload.order_id), topic: env.topic, partition, offset, timestamp: new Date() }),
      ),
    );
    const committed = async (batch: ConsumedRecord[]) => {
      const ids = new Set((await effects(env)).map((e) => e.message_id));
      return batch.every((r) => ids.has(JSON.parse(r.value).message_id));
    };
    // All three are handed over at once, as a Kafka consumer hands over the partitions of one fetch.
    const answers = batches.map((batch) => handOver!(batch).then(async () => ({ batch, committed: await committed(batch) })));
    const [first, second, third] = await Promise.all(answers);
    expect(first!.committed).toBe(true);
    expect(second!.committed).toBe(true);
    // The round with the failing record fell back to key by key: every other record committed, the bad one is a dead letter.
    const good = third!.batch.filter((r) => JSON.parse(r.value).message_id !== bad.message_id);
    expect(await committed(good)).toBe(true);
    expect((await deadLetters(env)).map((r) => JSON.parse(r.value).message_id)).toEqual([bad.message_id]);
    expect((await effects(env)).length).toBe(29);
  });

  it('on a transport that stores no offsets with the effects, batches handed over in one turn of the event loop share one transaction', async () => {
    const transactions = { n: 0 };
    let handOver: BatchHandler | undefined;
    const env = await openEnv({
      keyConcurrency: 8,
      chunkSize: 50,
      transactions,
      wrap: (inner) => handedOver(inner, (h) => (handOver = h)),
    });
    await env.bus.consume(env.group, [env.topic], service(env).handlers);
    const batches = [0, 1, 2, 3].map((partition) =>
      Array.from({ length: 10 }, () => command(crypto.randomUUID())).map(
        (m, offset): ConsumedRecord => ({ ...toRecord(m, m.payload.order_id), topic: env.topic, partition, offset, timestamp: new Date() }),
      ),
    );
    await Promise.all(batches.map((batch) => handOver!(batch)));
    expect((await effects(env)).length).toBe(40);
    // Handed over in one turn of the event loop: one round, and its 40 records fit one chunk.
    expect(transactions.n).toBe(1);
  });

  it('on a transport that stores no offsets with the effects, a group that lingers answers a round no sooner than its linger, so what comes meanwhile is one round', async () => {
    const transactions = { n: 0 };
    const env = await openEnv({ chunkSize: 50, transactions, wrap: withoutOffsetsInTransaction });
    await env.bus.consume(env.group, [env.topic], service(env).handlers, { lingerMs: 1500 });
    const [key] = idsOnPartition(1, 0);
    const first = command(key!);
    const startedAt = performance.now();
    await publish(env, [first]);
    await waitFor(async () => (await effects(env)).length === 1, 'the first record');
    // Published one by one while the first round is held: the partition hands them over as one batch.
    const rest = Array.from({ length: 5 }, () => command(key!));
    for (const c of rest) await publish(env, [c]);
    await waitFor(async () => (await lag(env)) === 0, 'the other five');
    expect((await effects(env)).map((e) => e.message_id)).toEqual([first, ...rest].map((c) => c.message_id));
    expect(transactions.n).toBe(2);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1500);
  });

  it('on a transport that stores no offsets with the effects, batches a group that lingers is handed at their own times (RabbitMQ shards) gather into its next round', async () => {
    const transactions = { n: 0 };
    let handOver: BatchHandler | undefined;
    const env = await openEnv({ chunkSize: 50, transactions, wrap: (inner) => handedOver(inner, (h) => (handOver = h)) });
    await env.bus.consume(env.group, [env.topic], service(env).handlers, { lingerMs: 500 });
    const batches = [0, 1, 2].map((partition) =>
      Array.from({ length: 5 }, () => command(crypto.randomUUID())).map(
        (m, offset): ConsumedRecord => ({
          ...toRecord(m, m.payload.order_id),
          topic: env.topic,
          partition,
          offset,
          timestamp: new Date(),
        }),
      ),
    );
    const answered: Promise<void>[] = [];
    for (const batch of batches) {
      answered.push(handOver!(batch));
      // The next batch comes in a later turn of the event loop, once the round before it has started.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(answered);
    expect((await effects(env)).length).toBe(15);
    // The first batch's round, then one for the two that came while it was the latest.
    expect(transactions.n).toBe(2);
  });

  it('handles a chunk of messages in one transaction: far fewer commits, each effect once, per key in order', async () => {
    const transactions = { n: 0 };
    const env = await openEnv({ keyConcurrency: 2, chunkSize: 50, transactions });
    const keys = idsOnPartition(4, 0); // one partition: one batch
    const seq = new Map<string, number>();
    const cmds: Command[] = [];
    for (let i = 0; i < 10; i++) {
      for (const k of keys) {
        const c = command(k, i % 2 === 0 ? 'CREATED' : 'ACCEPTED');
        seq.set(c.message_id, i);
        cmds.push(c);
      }
    }
    // The same message twice in the batch: one effect.
    cmds.push(cmds[5]!);
    await publish(env, cmds);
    const svc = service(env);
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    await waitFor(async () => (await lag(env)) === 0, 'all 41 records');

    const done = await effects(env);
    expect(done).toHaveLength(40);
    for (const k of keys) {
      expect(done.filter((e) => e.order_id === k).map((e) => seq.get(e.message_id))).toEqual([...Array(10).keys()]);
    }
    expect(transactions.n).toBeLessThan(10);
    // Every effect emitted its reply, committed with it: one reply per command.
    const ours = new Set(cmds.map((c) => c.message_id));
    const replies = (await readTopic('order_events')).map((r) => JSON.parse(r.value)).filter((m) => ours.has(m.causation_id));
    expect(new Set(replies.map((m) => m.causation_id)).size).toBe(40);
    expect(replies).toHaveLength(40);
  });

  it('transact: the state change and the emitted messages commit together, or neither does', async () => {
    const env = await openEnv();
    const orderId = crypto.randomUUID();
    await expect(
      env.bus.transact(async (tx, emit) => {
        await tx.query(`insert into ${env.schema}.orders (order_id, status, version) values ($1, 'PENDING', 1)`, [orderId]);
        emit('update_order_status', { order_id: orderId, status: 'CREATED', expected_status: 'PENDING' });
        throw new Error('validation failed after emitting');
      }),
    ).rejects.toThrow('validation failed');
    expect(await env.db.query(`select 1 from ${env.schema}.orders`)).toEqual([]);
    const mine = async () => (await readTopic('order_commands')).filter((r) => r.key === orderId);
    expect(await mine()).toEqual([]);

    const emitted = await env.bus.transact(async (tx, emit) => {
      await tx.query(`insert into ${env.schema}.orders (order_id, status, version) values ($1, 'PENDING', 1)`, [orderId]);
      return emit('update_order_status', { order_id: orderId, status: 'CREATED', expected_status: 'PENDING' });
    });
    const log = await mine();
    expect(log.map((r) => [r.key, JSON.parse(r.value).message_id])).toEqual([[orderId, emitted.message_id]]);
    expect(await env.db.query(`select status from ${env.schema}.orders`)).toEqual([{ status: 'PENDING' }]);
  });
});

/** The transport as one that keeps its offsets elsewhere: batches come without `commitIn`. */
function withoutOffsetsInTransaction(inner: Transport): Transport {
  return {
    ...passThrough(inner),
    subscribe: (o) => inner.subscribe({ ...o, handleBatch: (batch) => o.handleBatch(batch) }),
  };
}

/** A transport whose subscriber's batch handler the test calls itself, as a transport would. */
function handedOver(inner: Transport, take: (handleBatch: BatchHandler) => void): Transport {
  return {
    ...passThrough(inner),
    subscribe: async (o) => {
      take((batch) => o.handleBatch(batch));
      return { close: async () => {}, assignment: () => [] };
    },
  };
}

function passThrough(inner: Transport): Transport {
  return {
    name: inner.name,
    capabilities: inner.capabilities,
    ensureTopics: (t) => inner.ensureTopics(t),
    publish: (r) => inner.publish(r),
    subscribe: (o) => inner.subscribe(o),
    read: (...a) => inner.read(...a),
    lag: (...a) => inner.lag(...a),
    resetGroup: (...a) => inner.resetGroup(...a),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

/** Fails a batch after its handler succeeded (the process "dies" before the offset commit) while `when()` holds. */
function withBatchFailure(inner: Transport, when: () => boolean): Transport {
  return {
    ...passThrough(inner),
    subscribe: (o) =>
      inner.subscribe({
        ...o,
        handleBatch: async (batch) => {
          await o.handleBatch(batch);
          if (when()) throw new Error('crashed before committing the offset');
        },
      }),
  };
}
