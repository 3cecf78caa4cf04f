/**
 * Conformance, offsets: a consumer resumes right after its last commit (after a close, a transport
 * restart, a failed batch), a new group at the end skips history but no failed record (4), replay
 * as declared (5), and an acknowledged publish surviving a restart (8).
 */
import type { ConsumedRecord } from '@campusg/messaging';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, idOf, makeSent, orderViolations, random, records, waitFor } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function commitAndRestartTests(ctx: ConformanceContext): void {
  const { harness, P, WAIT, replay, teardown, topic, subscribe, restart, totalLag, keys } = ctx;

  it('4. a consumer restarted after committing resumes right after its last commit', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const first = new Collector();
    const sub1 = await subscribe(group, [t], first.handle);
    const before = makeSent(keys(9), 4, 'old-');
    await ctx.transport.publish(records(t, before));
    await waitFor(() => first.has(before.map((s) => s.id)), WAIT, 'the first 36 records');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
    const committed = new Map((await ctx.transport.lag(group, [t])).map((l) => [l.partition, l.committed]));
    await sub1.close();

    const after = makeSent(keys(9), 3, 'new-');
    await ctx.transport.publish(records(t, after));
    const second = new Collector();
    await subscribe(group, [t], second.handle);
    await waitFor(() => second.has(after.map((s) => s.id)), WAIT, 'the 27 new records');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
    const old = new Set(before.map((s) => s.id));
    expect(second.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
    // the first record read from each partition is the one right after the commit
    for (const r of second.received) expect(r.offset).toBeGreaterThanOrEqual(committed.get(r.partition)!);
    for (const [partition, offset] of committed) {
      const firstOfPartition = second.received.find((r) => r.partition === partition);
      if (firstOfPartition) expect(firstOfPartition.offset).toBe(offset);
    }
    expect(second.problems).toEqual([]);
  });

  it.skipIf(!harness.restart)('4. a consumer resumes right after its last commit when the transport restarts', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const first = new Collector();
    const sub1 = await subscribe(group, [t], first.handle);
    const before = makeSent(keys(9), 4, 'old-');
    await ctx.transport.publish(records(t, before));
    await waitFor(() => first.has(before.map((s) => s.id)), WAIT, 'the first 36 records');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
    const committed = new Map((await ctx.transport.lag(group, [t])).map((l) => [l.partition, l.committed]));
    await sub1.close();

    await restart();
    const after = makeSent(keys(9), 3, 'new-');
    await ctx.transport.publish(records(t, after));
    const second = new Collector();
    await subscribe(group, [t], second.handle);
    await waitFor(() => second.has(after.map((s) => s.id)), WAIT, 'the 27 new records after the restart');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
    const old = new Set(before.map((s) => s.id));
    expect(second.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
    for (const [partition, offset] of committed) {
      const firstOfPartition = second.received.find((r) => r.partition === partition);
      if (firstOfPartition) expect(firstOfPartition.offset).toBe(offset);
    }
  });

  it('4. a batch whose handler throws is delivered again (uncommitted records come again)', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const c = new Collector();
    const failed: ConsumedRecord[] = [];
    let failures = 0;
    c.hook = (batch) => {
      if (failures < 3) {
        failures++;
        failed.push(...batch);
        throw new Error('handler failure');
      }
    };
    await subscribe(group, [t], c.handle);
    const sent = makeSent(keys(9), 5);
    await ctx.transport.publish(records(t, sent));
    await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 45 records handled despite failures');
    await waitFor(async () => (await totalLag(group, [t])) === 0, WAIT, 'the group to commit everything');
    expect(failures).toBe(3);
    for (const r of failed) expect(c.handledIds()).toContain(idOf(r));
    expect(orderViolations(c.handled)).toEqual([]);
  });

  it('4. records a closed consumer never committed come again to the next member of its group', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    const first = new Collector();
    first.hook = () => {
      throw new Error('always fails');
    };
    const sub1 = await subscribe(group, [t], first.handle);
    const sent = makeSent(keys(9), 3);
    await ctx.transport.publish(records(t, sent));
    await waitFor(() => first.received.length > 0, WAIT, 'a first delivery');
    await sub1.close();
    expect(first.handled).toEqual([]);

    const second = new Collector();
    await subscribe(group, [t], second.handle);
    await waitFor(() => second.has(sent.map((s) => s.id)), WAIT, 'every uncommitted record again');
    for (const r of first.received) expect(second.handledIds()).toContain(idOf(r));
  });

  it('4. a new group starting at the end (fromBeginning: false) skips history but never a record it failed on', async () => {
    const t = await topic();
    const history = makeSent(keys(9), 2, 'old-');
    await ctx.transport.publish(records(t, history));
    const c = new Collector();
    const failed: ConsumedRecord[] = [];
    c.hook = (batch) => {
      if (failed.length === 0) {
        failed.push(...batch);
        throw new Error('the first batch fails');
      }
    };
    const group = `g_${random()}`;
    const sub = await ctx.transport.subscribe({ groupId: group, topics: [t], handleBatch: c.handle, fromBeginning: false });
    teardown.push(() => sub.close());
    // Where "the end" is gets settled when the consumer starts; probe until it reads something.
    let probes = 0;
    await waitFor(
      async () => {
        if (c.received.length > 0) return true;
        await ctx.transport.publish(records(t, [{ id: `probe-${probes}`, key: `probe-${probes}`, seq: 0 }]));
        probes++;
        return false;
      },
      WAIT,
      'the new group to read a probe',
    );
    const later = makeSent(keys(9), 2, 'new-');
    await ctx.transport.publish(records(t, later));
    await waitFor(() => c.has(later.map((s) => s.id)), WAIT, 'the records published after the group started');
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(c.handledIds()).toContain(idOf(r)); // the failed batch came again
    const old = new Set(history.map((s) => s.id));
    expect(c.received.filter((r) => old.has(idOf(r))).map(idOf)).toEqual([]);
  });

  it.skipIf(!replay)('5. a new group reads retained history from the beginning (replay)', async () => {
    const t = await topic();
    const early = new Collector();
    const g1 = `g_${random()}`;
    await subscribe(g1, [t], early.handle);
    const sent = makeSent(keys(12), 4);
    await ctx.transport.publish(records(t, sent));
    await waitFor(() => early.has(sent.map((s) => s.id)), WAIT, 'the first group to read everything');
    await waitFor(async () => (await totalLag(g1, [t])) === 0, WAIT, 'the first group to commit');

    const late = new Collector();
    await subscribe(`g_${random()}`, [t], late.handle);
    await waitFor(() => late.has(sent.map((s) => s.id)), WAIT, 'the new group to read all history');
    for (let p = 0; p < P; p++) {
      const mine = late.received.filter((r) => r.partition === p);
      const history = early.received.filter((r) => r.partition === p);
      if (history.length > 0) expect(mine[0]?.offset).toBe(Math.min(...history.map((r) => r.offset)));
    }

    // and a reader can start from any offset
    for (let p = 0; p < P; p++) {
      const all = await ctx.transport.read(t, p, 0, 1000);
      const history = early.received.filter((r) => r.partition === p);
      expect(all.map(idOf).sort()).toEqual(history.map(idOf).sort());
      if (all.length > 2) {
        const mid = all[Math.floor(all.length / 2)]!;
        const fromMid = await ctx.transport.read(t, p, mid.offset, 1000);
        expect(fromMid.map((r) => r.offset)).toEqual(all.filter((r) => r.offset >= mid.offset).map((r) => r.offset));
      }
    }
  });

  it.skipIf(replay)('5. replay (declared unsupported): the transport declares capabilities.replay = false', () => {
    expect(ctx.transport.capabilities.replay).toBe(false);
    expect(Object.hasOwn(ctx.transport.capabilities, 'replay')).toBe(true);
  });

  it.skipIf(!harness.restart)('8. an acknowledged publish survives a restart of the transport', async () => {
    const t = await topic();
    const group = `g_${random()}`;
    // Without replay (declared) a group gets only what is published once it exists: a transport
    // without history proves durability with a group that joined and left before the publish.
    if (!replay) await (await subscribe(group, [t], async () => {})).close();
    const sent = makeSent(keys(10), 5);
    await ctx.transport.publish(records(t, sent));
    await restart();
    const c = new Collector();
    await subscribe(replay ? `g_${random()}` : group, [t], c.handle);
    await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 50 records after the restart');
    expect(c.handledIds().size).toBe(50);
    for (const r of c.received) {
      const s = sent.find((x) => x.id === idOf(r))!;
      expect(r.key).toBe(s.key);
      expect(JSON.parse(r.value)).toEqual({ id: s.id, seq: s.seq });
    }
    expect(orderViolations(c.received)).toEqual([]);
  });
}
