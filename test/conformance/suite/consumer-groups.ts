/**
 * Conformance, consumer groups: members split the partitions (3), a member leaving hands its
 * partitions over with nothing skipped (3), and a slow consumer holds up neither a producer nor
 * another group (9).
 */
import type { ConsumedRecord } from '@campusg/messaging';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, Deferred, idOf, makeSent, orderViolations, random, records, waitFor, within } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function consumerGroupTests(ctx: ConformanceContext): void {
  const { WAIT, P, replay, gates, topic, subscribe, allPartitions, totalLag, keys } = ctx;

  it('3. two members of one group split the partitions; each record is handled by one of them', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const a = new Collector();
    const b = new Collector();
    const subA = await subscribe(group, [t], a.handle);
    const subB = await subscribe(group, [t], b.handle);
    await waitFor(
      () => {
        const x = subA.assignment();
        const y = subB.assignment();
        return x.length > 0 && y.length > 0 && new Set([...x, ...y]).size === P && x.length + y.length === P;
      },
      WAIT,
      'both members to own partitions',
    );
    const ownedA = subA.assignment();
    const ownedB = subB.assignment();
    expect([...ownedA, ...ownedB].sort()).toEqual(allPartitions(t).sort());

    const sent = makeSent(keys(30), 4);
    await ctx.transport.publish(records(t, sent));
    const ids = sent.map((s) => s.id);
    await waitFor(
      () => {
        const union = new Set([...a.handledIds(), ...b.handledIds()]);
        return ids.every((id) => union.has(id));
      },
      WAIT,
      'the group to handle all 120 records',
    );

    // nobody failed, so exactly once, by the owner of the record's partition
    expect(a.received.length + b.received.length).toBe(120);
    const overlap = [...a.receivedIds()].filter((id) => b.receivedIds().has(id));
    expect(overlap).toEqual([]);
    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);
    for (const r of a.received) expect(ownedA).toContain(`${r.topic}:${r.partition}`);
    for (const r of b.received) expect(ownedB).toContain(`${r.topic}:${r.partition}`);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('3. rebalance: a member leaving mid-stream hands its partitions over; its uncommitted records come again, none skipped', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const a = new Collector();
    const b = new Collector();
    const subA = await subscribe(group, [t], a.handle);
    const subB = await subscribe(group, [t], b.handle);
    await waitFor(
      () => subA.assignment().length > 0 && subB.assignment().length > 0 && subA.assignment().length + subB.assignment().length === P,
      WAIT,
      'both members to own partitions',
    );
    const phase1 = makeSent(keys(30), 2, 'p1-');
    await ctx.transport.publish(records(t, phase1));
    await waitFor(() => new Set([...a.handledIds(), ...b.handledIds()]).size === phase1.length, WAIT, 'phase 1 handled');

    // A's next batch is held and then fails: A dies with records it saw but never committed.
    const gate = new Deferred();
    const entered = new Deferred<ConsumedRecord[]>();
    let failing = true;
    a.hook = async (batch) => {
      if (!failing) return;
      entered.resolve(batch);
      await gate.promise;
      throw new Error('member A dies before committing');
    };
    gates.push(gate);
    const phase2 = makeSent(keys(30), 2, 'p2-');
    await ctx.transport.publish(records(t, phase2));
    const lost = await within(entered.promise, WAIT, 'member A to take a phase-2 batch');
    const closing = subA.close();
    gate.resolve();
    await within(closing, WAIT, 'member A leaving');
    failing = false;

    await waitFor(() => subB.assignment().length === P, WAIT, 'member B to own every partition');
    expect(subB.assignment().sort()).toEqual(allPartitions(t).sort());

    const phase3 = makeSent(keys(30), 2, 'p3-');
    await ctx.transport.publish(records(t, phase3));
    const all = [...phase1, ...phase2, ...phase3].map((s) => s.id);
    await waitFor(
      () => {
        const union = new Set([...a.handledIds(), ...b.handledIds()]);
        return all.every((id) => union.has(id));
      },
      WAIT,
      'every record handled by the group',
    );

    // what A saw but did not commit came again, to B
    for (const r of lost) expect(b.handledIds()).toContain(idOf(r));
    // after A left, only B handles
    const p3 = new Set(phase3.map((s) => s.id));
    expect(a.received.filter((r) => p3.has(idOf(r)))).toEqual([]);
    expect(orderViolations(b.received)).toEqual([]);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('9. a slow consumer blocks neither a producer nor another group', async () => {
    const t = await topic();
    const slowGroup = `g_slow_${random()}`;
    const slow = new Collector();
    const gate = new Deferred();
    const entered = new Deferred();
    slow.hook = async () => {
      entered.resolve();
      await gate.promise;
    };
    const fast = new Collector();
    gates.push(gate);
    const slowSub = await subscribe(slowGroup, [t], slow.handle);
    await subscribe(`g_fast_${random()}`, [t], fast.handle);

    const phase1 = makeSent(keys(12), 3, 'a-');
    await ctx.transport.publish(records(t, phase1));
    await within(entered.promise, WAIT, 'the slow consumer to take a batch');

    // the slow group holds a batch: producing goes on
    const phase2 = makeSent(keys(12), 3, 'b-');
    await within(ctx.transport.publish(records(t, phase2)), WAIT, 'a publish while a consumer is stuck');
    const ids = [...phase1, ...phase2].map((s) => s.id);
    await waitFor(() => fast.has(ids), WAIT, 'the fast group to handle everything');
    expect(slow.handled).toEqual([]);
    expect(await totalLag(slowGroup, [t])).toBeGreaterThan(0);

    // a stuck member leaving (it waits for its batch in hand) does not hold up another group joining
    const closing = slowSub.close();
    const late = new Collector();
    await within(subscribe(`g_late_${random()}`, [t], late.handle), WAIT, 'another group joining while a slow member leaves');
    // With replay the new group reads the history; without (declared), what is published after it joined.
    const phase3 = makeSent(keys(12), 2, 'c-');
    if (!replay) await within(ctx.transport.publish(records(t, phase3)), WAIT, 'a publish while a member leaves');
    const lateIds = replay ? ids : phase3.map((s) => s.id);
    await waitFor(() => late.has(lateIds), WAIT, 'the new group to handle everything');
    expect(slow.handled).toEqual([]);

    gate.resolve();
    await within(closing, WAIT, 'the slow member leaving once released');
    expect([...slow.problems, ...fast.problems, ...late.problems]).toEqual([]);
  });
}
