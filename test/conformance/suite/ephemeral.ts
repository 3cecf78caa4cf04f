/**
 * Conformance, ephemeral subscriptions (10): a subscription of one instance alone gets every record
 * published after it subscribed, beside any number of others and beside a consumer group of the
 * same name, which still splits its partitions; it commits nothing, a failed batch comes to it again,
 * and once closed it gets nothing more.
 */
import type { ConsumedRecord } from '@campusg/messaging';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, idOf, makeSent, orderViolations, random, records, waitFor } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function ephemeralTests(ctx: ConformanceContext): void {
  const { WAIT, P, topic, subscribe, allPartitions, keys } = ctx;

  it('10. two ephemeral subscribers both get every record published after they subscribed; a group of the same name still splits', async () => {
    const t = await topic();
    const name = `live_${random()}`;
    const before = makeSent(keys(12), 2, 'before-');
    await ctx.transport.publish(records(t, before));

    const a = new Collector();
    const b = new Collector();
    const subA = await subscribe(name, [t], a.handle);
    const subB = await subscribe(name, [t], b.handle);
    await waitFor(
      () => subA.assignment().length > 0 && subB.assignment().length > 0 && subA.assignment().length + subB.assignment().length === P,
      WAIT,
      'both members of the group to own partitions',
    );
    const e1 = new Collector();
    const e2 = new Collector();
    const sub1 = await subscribe(name, [t], e1.handle, { ephemeral: true });
    const sub2 = await subscribe(name, [t], e2.handle, { ephemeral: true });
    await waitFor(
      () => sub1.assignment().length === P && sub2.assignment().length === P,
      WAIT,
      'each ephemeral subscriber to read every partition',
    );
    expect(sub1.assignment().sort()).toEqual(allPartitions(t).sort());

    const after = makeSent(keys(30), 3, 'after-');
    await ctx.transport.publish(records(t, after));
    const ids = after.map((s) => s.id);
    await waitFor(() => e1.has(ids) && e2.has(ids), WAIT, 'both ephemeral subscribers to handle all 90 records');
    await waitFor(
      () =>
        new Set([...a.handledIds(), ...b.handledIds()]).size >= ids.length &&
        ids.every((id) => a.handledIds().has(id) || b.handledIds().has(id)),
      WAIT,
      'the group to handle all 90 records',
    );

    // Nothing from before they subscribed, everything after, in key order.
    const old = new Set(before.map((s) => s.id));
    for (const e of [e1, e2]) {
      expect(e.received.filter((r) => old.has(idOf(r)))).toEqual([]);
      expect(orderViolations(e.received)).toEqual([]);
    }
    // The group was not joined by them: its two members still split the records, each once.
    const fresh = new Set(ids);
    const groupA = a.received.filter((r) => fresh.has(idOf(r)));
    const groupB = b.received.filter((r) => fresh.has(idOf(r)));
    expect(groupA.length).toBeGreaterThan(0);
    expect(groupB.length).toBeGreaterThan(0);
    expect(groupA.length + groupB.length).toBe(ids.length);
    expect([...a.problems, ...b.problems, ...e1.problems, ...e2.problems]).toEqual([]);
  });

  it('10. an ephemeral subscriber commits nothing, gets a failed batch again, and nothing once closed', async () => {
    const t = await topic();
    const name = `live_${random()}`;
    const e1 = new Collector();
    const e2 = new Collector();
    let failed: ConsumedRecord[] | undefined;
    e1.hook = (batch) => {
      if (failed) return;
      failed = batch;
      throw new Error('the first batch fails');
    };
    const sub1 = await subscribe(name, [t], e1.handle, { ephemeral: true });
    await subscribe(name, [t], e2.handle, { ephemeral: true });

    const first = makeSent(keys(12), 2, 'first-');
    await ctx.transport.publish(records(t, first));
    const firstIds = first.map((s) => s.id);
    await waitFor(() => e1.has(firstIds) && e2.has(firstIds), WAIT, 'both to handle the first records');
    // The failed batch came again, and was handled then.
    expect(failed?.length).toBeGreaterThan(0);
    for (const r of failed!) expect(e1.handledIds()).toContain(idOf(r));
    expect(orderViolations(e1.handled)).toEqual([]);
    // No position under its name: a group of that name would start from scratch.
    expect((await ctx.transport.lag(name, [t])).filter((l) => l.committed > 0)).toEqual([]);

    await sub1.close();
    const second = makeSent(keys(12), 1, 'second-');
    await ctx.transport.publish(records(t, second));
    const secondIds = second.map((s) => s.id);
    await waitFor(() => e2.has(secondIds), WAIT, 'the other subscriber to handle the second records');
    const closed = new Set(secondIds);
    expect(e1.received.filter((r) => closed.has(idOf(r)))).toEqual([]);
  });
}
