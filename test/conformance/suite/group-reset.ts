/**
 * Rewinding a group (5, continued): where history is kept, a group whose members left can be moved
 * back to the earliest offset or to a time, and reads from there again; where it is not, the
 * transport refuses plainly.
 */
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, idOf, makeSent, random, records, waitFor } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function groupResetTests(ctx: ConformanceContext): void {
  const { WAIT, replay, topic, subscribe, totalLag, keys } = ctx;

  it.skipIf(!replay)('5. a group rewound to the earliest offset, or to a time, reads from there again', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const first = new Collector();
    const before = makeSent(keys(6), 2, 'old-');
    await ctx.transport.publish(records(t, before));
    const sub = await subscribe(group, [t], first.handle);
    await waitFor(() => first.has(before.map((s) => s.id)), WAIT, 'the group to read the first records');
    // The later records are sent once the clock has passed the boundary, so no log time of either side equals it.
    const between = new Date(Date.now() + 1);
    await waitFor(() => Date.now() > between.getTime(), WAIT, 'the clock to pass the boundary');
    const after = makeSent(keys(6), 2, 'new-');
    await ctx.transport.publish(records(t, after));
    await waitFor(() => first.has(after.map((s) => s.id)), WAIT, 'the group to read the later records');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit');
    await sub.close();

    await ctx.transport.resetGroup(group, [t], 'earliest');
    expect(await totalLag(group, [t])).toBe(before.length + after.length);
    const again = new Collector();
    const sub2 = await subscribe(group, [t], again.handle);
    await waitFor(() => again.has([...before, ...after].map((s) => s.id)), WAIT, 'everything again after the rewind');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit again');
    await sub2.close();

    await ctx.transport.resetGroup(group, [t], between);
    expect(await totalLag(group, [t])).toBe(after.length);
    const fromTime = new Collector();
    await subscribe(group, [t], fromTime.handle);
    await waitFor(() => fromTime.has(after.map((s) => s.id)), WAIT, 'the records after the time');
    const old = new Set(before.map((s) => s.id));
    expect(fromTime.received.filter((r) => old.has(idOf(r)))).toEqual([]);
  });

  it.skipIf(replay)('5. a transport without history refuses to rewind a group, and says why', async () => {
    await expect(ctx.transport.resetGroup(`g_${random()}`, [await topic()], 'earliest')).rejects.toThrow(/keeps no history/);
  });
}
