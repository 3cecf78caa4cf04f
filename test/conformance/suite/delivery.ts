/**
 * Conformance, delivery: the declared capabilities, every acknowledged record reaching every group
 * (1), per-key order (2), keys and headers unchanged (6).
 */
import type { OutgoingRecord } from '@campusg/messaging';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.ts';
import { Collector, idOf, makeSent, orderViolations, random, records, waitFor } from './helpers.ts';

/** Registers the tests of this part on the suite's `describe`. */
export function deliveryTests(ctx: ConformanceContext): void {
  const { harness, WAIT, topic, subscribe, keys } = ctx;

  it('declares its capabilities (replay is a declared boolean, as the harness says)', () => {
    expect(typeof ctx.transport.capabilities.replay).toBe('boolean');
    expect(ctx.transport.capabilities).toEqual(harness.capabilities);
  });

  it('1. an acknowledged publish reaches every subscribed group, none lost', async () => {
    const t = await topic();
    const a = new Collector();
    const b = new Collector();
    await subscribe(`g_${random()}`, [t], a.handle);
    await subscribe(`g_${random()}`, [t], b.handle);
    const sent = makeSent(keys(20), 10);
    for (let i = 0; i < sent.length; i += 50) await ctx.transport.publish(records(t, sent.slice(i, i + 50)));
    const ids = sent.map((s) => s.id);
    await waitFor(() => a.has(ids) && b.has(ids), WAIT, 'both groups to handle all 200 records');
    expect(a.handledIds().size).toBe(200);
    expect(b.handledIds().size).toBe(200);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('2. records with one key arrive in publish order (different keys may interleave)', async () => {
    const t = await topic();
    const c = new Collector();
    await subscribe(`g_${random()}`, [t], c.handle);
    const sent = makeSent(keys(6), 25);
    // several publishes, each mixing keys
    for (let i = 0; i < sent.length; i += 10) await ctx.transport.publish(records(t, sent.slice(i, i + 10)));
    await waitFor(() => c.has(sent.map((s) => s.id)), WAIT, 'all 150 records');
    expect(orderViolations(c.received)).toEqual([]);
    // one key, one partition: that is what makes its order hold
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const r of c.received) {
      const set = partitionsOfKey.get(r.key ?? '') ?? new Set();
      set.add(r.partition);
      partitionsOfKey.set(r.key ?? '', set);
    }
    for (const [key, set] of partitionsOfKey) expect(set.size, `partitions of key ${key}`).toBe(1);
    expect(c.problems).toEqual([]);
  });

  it('6. keys and headers round-trip unchanged', async () => {
    const t = await topic();
    const c = new Collector();
    await subscribe(`g_${random()}`, [t], c.handle);
    const big = 'x'.repeat(64 * 1024);
    const base: OutgoingRecord[] = [
      { topic: t, key: 'plain', value: 'plain', headers: {} },
      { topic: t, key: 'ünïcødé-🍕 日本', value: '{"nested":{"a":[1,2,3]},"s":"é"}', headers: { unicode: '日本語 🍜', empty: '' } },
      { topic: t, key: 'with space/and:colon|pipe', value: '', headers: { 'X-Mixed-Case': 'MiXeD', json: '{"a":[1,"b"]}' } },
      { topic: t, key: '', value: 'empty key', headers: { newline: 'line1\nline2\ttab', quote: `"'\\` } },
      { topic: t, key: 'k'.repeat(300), value: big, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
    ];
    const out = base.map((r, i) => ({ ...r, headers: { ...r.headers, 'conf-id': `rt-${i}` } }));
    await ctx.transport.publish(out);
    await waitFor(() => c.has(out.map((r) => r.headers['conf-id']!)), WAIT, 'the five records');
    for (const sentRecord of out) {
      const got = c.received.find((r) => idOf(r) === sentRecord.headers['conf-id'])!;
      expect(got.topic).toBe(t);
      expect(got.key).toBe(sentRecord.key);
      expect(got.value).toBe(sentRecord.value);
      expect(got.headers).toEqual(sentRecord.headers);
      expect(got.timestamp).toBeInstanceOf(Date);
      expect(Number.isNaN(got.timestamp.getTime())).toBe(false);
    }
  });
}
