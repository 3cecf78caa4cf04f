/**
 * Conformance, dead letters through the MessageBus: a poison message goes to `<topic>_dlq` with its
 * reason and original position, and the messages behind it keep flowing (7).
 */
import { createMessage, dlqTopic, type TopicSpec } from '@campusg/contracts';
import { MessageBus, messagingTablesSql, type OutgoingRecord, TableOutbox, toRecord } from '@campusg/messaging';
import { createLogger, Metrics, migrate, openPglite, randomIds, systemClock } from '@campusg/platform';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, idOf, random, waitFor } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function deadLetterTests(ctx: ConformanceContext): void {
  const { harness, WAIT, specs, teardown, topic, subscribe, totalLag } = ctx;

  it('7. a poison message goes to <topic>_dlq with its reason, and the messages behind it keep flowing', async () => {
    const t = await topic();
    const dlq = dlqTopic(t);
    const dlqSpec: TopicSpec = { name: dlq, description: 'conformance dlq', partitions: 1, retentionMs: 30 * 86_400_000 };
    await ctx.transport.ensureTopics([dlqSpec]);
    specs.push(dlqSpec);

    const db = harness.db ? await harness.db() : await openPglite(undefined);
    teardown.push(() => db.close());
    const schema = `conf_${random()}`;
    await migrate(db, schema, [{ id: '001', sql: messagingTablesSql(schema) }]);
    const outbox = new TableOutbox(db, schema, ctx.transport);
    outbox.start();
    const bus = new MessageBus({
      db,
      transport: ctx.transport,
      outbox,
      schema,
      source: 'conformance',
      clock: systemClock,
      ids: randomIds,
      log: createLogger({ level: 'silent' }),
      metrics: new Metrics({ defaultMetrics: false }),
      maxAttempts: 3,
      retryBaseMs: 10,
    });
    const handled: string[] = [];
    const group = `g_${random()}`;
    await bus.consume(group, [t], {
      'user.registered': async (message) => {
        handled.push(message.payload.user_id);
      },
    });
    teardown.push(() => bus.close());
    const dead = new Collector();
    await subscribe(`g_${random()}`, [dlq], dead.handle);

    const key = 'poison-key'; // one key: the good messages sit behind the poison in one partition
    const envelope = (type: string, payload: Record<string, unknown>) => ({
      message_id: crypto.randomUUID(),
      type,
      correlation_id: crypto.randomUUID(),
      causation_id: null,
      timestamp: new Date().toISOString(),
      source: 'conformance',
      schema_version: 1,
      payload,
    });
    const valid = (userId: string) => {
      const m = createMessage(
        'user.registered',
        { user_id: userId },
        {
          messageId: crypto.randomUUID(),
          correlationId: crypto.randomUUID(),
          causationId: null,
          source: 'conformance',
          timestamp: new Date(),
        },
      );
      return { ...toRecord(m, key), topic: t };
    };
    const users = [crypto.randomUUID(), crypto.randomUUID()];
    const poison: OutgoingRecord[] = [
      { topic: t, key, value: 'not json {', headers: { 'conf-id': 'not-json' } },
      { topic: t, key, value: JSON.stringify(envelope('no.such_type', {})), headers: { 'conf-id': 'unknown-type' } },
      {
        topic: t,
        key,
        value: JSON.stringify(envelope('user.registered', { user_id: 'not-a-uuid' })),
        headers: { 'conf-id': 'invalid-payload' },
      },
    ];
    await ctx.transport.publish([poison[0]!, valid(users[0]!), poison[1]!, poison[2]!, valid(users[1]!)]);

    await waitFor(
      () => dead.received.length >= 3 && users.every((u) => handled.includes(u)),
      WAIT,
      '3 dead letters and both good messages',
    );
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the consumer to move past the poison');
    expect(new Set(handled)).toEqual(new Set(users));

    expect(dead.handledIds()).toEqual(new Set(['not-json', 'unknown-type', 'invalid-payload']));
    const byId = new Map(dead.received.map((r) => [idOf(r), r]));
    const reasons = { 'not-json': 'NOT_JSON', 'unknown-type': 'UNKNOWN_TYPE', 'invalid-payload': 'INVALID_PAYLOAD' };
    for (const [id, reason] of Object.entries(reasons)) {
      const r = byId.get(id)!;
      const original = poison.find((o) => o.headers['conf-id'] === id)!;
      expect(r.topic).toBe(dlq);
      expect(r.headers['dlq-reason']).toBe(reason);
      expect(r.headers['dlq-error']).toBeTruthy();
      expect(r.headers['dlq-original-topic']).toBe(t);
      expect(Number(r.headers['dlq-original-partition'])).toBeGreaterThanOrEqual(0);
      expect(Number(r.headers['dlq-original-offset'])).toBeGreaterThanOrEqual(0);
      expect(r.headers['dlq-group']).toBe(group);
      expect(r.headers['conf-id']).toBe(id);
      expect(r.value).toBe(original.value);
      expect(r.key).toBe(key);
    }
    // the dead letters point at distinct original offsets, in publish order
    const offsets = ['not-json', 'unknown-type', 'invalid-payload'].map((id) => Number(byId.get(id)!.headers['dlq-original-offset']));
    expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
    expect(new Set(offsets).size).toBe(3);
  });
}
