/**
 * The embedded bus stores a group's offset in the handling transaction (`commitIn`): records an
 * outbox appended need no inbox row, the offset is committed with the effects, dead letters are
 * sent once, a replayed dead letter reaches only its group (once, however often it is replayed),
 * and the log's offsets, counted in memory on PGlite, stay contiguous across rollbacks and reopening.
 */
import { REPLAY_GROUP_HEADER } from '@campusg/messaging';
import { describe, expect, it } from 'vitest';
import { toRecord } from '../src/index.ts';
import { type Env, openEnv, useBusEnvironment, waitFor } from './support/bus-environment.ts';
import { type Command, command, deadLetters, effects, inbox, lag, publish, readTopic, service } from './support/order-service.ts';

useBusEnvironment();

/** Appends commands as a service's outbox does: inside a transaction that decided them. */
async function appendThroughOutbox(env: Env, messages: Command[], values?: string[]): Promise<void> {
  for (const m of messages) env.sent.add(m.message_id);
  const records = messages.map((m, i) => ({
    ...toRecord(m, m.payload.order_id),
    topic: env.topic,
    value: values?.[i] ?? toRecord(m, '').value,
  }));
  const appended = await env.db.transaction((tx) => env.transport.appendIn(tx, records, { outbox: true }));
  env.transport.notifyAppended(appended);
}

describe('embedded bus: offsets committed with the effects', () => {
  it('handles records an outbox appended without inbox rows, the offset committed in the same transaction', async () => {
    // Several keys in one batch: handled in one lane, in offset order, so the offset says how far it got.
    const env = await openEnv();
    const svc = service(env);
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    const orders = Array.from({ length: 5 }, () => crypto.randomUUID());
    const cmds = orders.flatMap((o) => (['CREATED', 'ACCEPTED', 'PLACED'] as const).map((s) => command(o, s)));
    await appendThroughOutbox(env, cmds);
    await waitFor(async () => (await effects(env)).length === cmds.length, 'every command handled');
    // The effects and the offset are one commit: once the effects are there, nothing is left to commit.
    expect(await lag(env)).toBe(0);
    expect(await inbox(env)).toEqual([]);
    expect(svc.calls.map((m) => m.message_id).sort()).toEqual(cmds.map((c) => c.message_id).sort());

    // Reopening the data dir delivers none of them again, and new appends continue the log.
    await env.crash();
    const again = await openEnv({ like: env });
    const svc2 = service(again);
    await again.bus.consume(again.group, [again.topic], svc2.handlers);
    const later = command(orders[0]!, 'ON_THE_WAY');
    await appendThroughOutbox(again, [later]);
    await waitFor(async () => (await effects(again)).length === cmds.length + 1, 'the later command handled');
    expect(svc2.calls.map((m) => m.message_id)).toEqual([later.message_id]);
    const offsets = (await readTopic(env.topic)).map((r) => `${r.partition}:${r.offset}`);
    expect(new Set(offsets).size).toBe(cmds.length + 1);
  });

  it('dead-letters a poison record once, with the offset past it, and keeps the key flowing', async () => {
    const env = await openEnv();
    const svc = service(env);
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    const orderId = crypto.randomUUID();
    const [poison, behind] = [command(orderId, 'CREATED'), command(orderId, 'ACCEPTED')];
    await appendThroughOutbox(env, [poison, behind], ['{not json', toRecord(behind, orderId).value]);
    await waitFor(async () => (await effects(env)).length === 1, 'the command behind the poison handled');
    expect(await lag(env)).toBe(0);
    const dead = await deadLetters(env);
    expect(dead.map((d) => d.headers['dlq-reason'])).toEqual(['NOT_JSON']);
  });

  it('hands a replayed dead letter to its group only, once however often it is replayed', async () => {
    const env = await openEnv();
    const svc = service(env);
    await env.bus.consume(env.group, [env.topic], svc.handlers);
    const forUs = command(crypto.randomUUID());
    const forOthers = command(crypto.randomUUID());
    const replay = (m: Command, group: string) => {
      const r = toRecord(m, m.payload.order_id);
      return { ...r, topic: env.topic, headers: { ...r.headers, [REPLAY_GROUP_HEADER]: group } };
    };
    env.sent.add(forUs.message_id);
    await env.transport.publish([replay(forOthers, 'another-group'), replay(forUs, env.group)]);
    await env.transport.publish([replay(forUs, env.group)]);
    await waitFor(async () => (await lag(env)) === 0, 'the replays settled');
    expect(svc.calls.map((m) => m.message_id)).toEqual([forUs.message_id]);
    expect((await effects(env)).map((e) => e.message_id)).toEqual([forUs.message_id]);
    expect(await inbox(env)).toEqual([forUs.message_id]);
  });

  it('keeps the log contiguous when an appending transaction rolls back', async () => {
    const env = await openEnv();
    const cmd = (status: 'CREATED' | 'ACCEPTED') => ({ ...toRecord(command(crypto.randomUUID(), status), 'k'), topic: env.topic });
    await publish(env, [command('00000000-0000-4000-8000-000000000000')]);
    await expect(
      env.db.transaction(async (tx) => {
        await env.transport.appendIn(tx, [cmd('CREATED')], { outbox: true });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await env.transport.publish([cmd('ACCEPTED')]);
    const k = (await readTopic(env.topic)).filter((r) => r.key === 'k');
    expect(k).toHaveLength(1);
    const before = (await readTopic(env.topic)).filter((r) => r.partition === k[0]!.partition && r.offset < k[0]!.offset);
    expect(before.map((r) => r.offset)).toEqual(Array.from({ length: k[0]!.offset }, (_, i) => i));
  });
});
