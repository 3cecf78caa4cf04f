/** The report's charts (docs/bench/*.svg), rendered from the merged results. */
import type { GrowthPoint, ScalingPoint } from './growth.ts';
import type { PlatformRun } from './phases.ts';
import { type Json, LABEL, n, type Optimization, ok, platformRuns } from './report-format.ts';
import { barChart, lineChart } from './svg.ts';

/** Every chart the results allow, by file name. */
export function renderCharts(r: Json): Record<string, string> {
  const out: Record<string, string> = {};
  const runs = platformRuns(r);
  const baseline = r.baseline as (Omit<PlatformRun, 'transport'> & { atPlatformRates?: PlatformRun['latency'] }) | undefined;
  const withBaseline = [
    ...runs.map((p) => ({ name: LABEL[p.transport] ?? p.transport, run: p as Omit<PlatformRun, 'transport'> })),
    ...(baseline?.saturation ? [{ name: 'baseline (original style, Kafka)', run: baseline }] : []),
  ];
  if (withBaseline.length) {
    out['saturation.svg'] = barChart({
      title: 'Create-order sagas completed per second at saturation',
      subtitle: 'open loop: the highest offered rate with ≥ 99 % CREATED within 1 s; 2-core machine',
      yLabel: 'sagas / s',
      categories: withBaseline.map((x) => x.name.replace(' + ', ' +\n')),
      series: [{ name: 'sagas/s', values: withBaseline.map((x) => x.run.saturation?.sagasPerSecond ?? null) }],
      goals: [
        { value: 300, label: 'goal: 300/s embedded' },
        { value: 500, label: 'goal: 500/s Kafka + PostgreSQL' },
      ],
    });
    const cats: string[] = [];
    const p50: (number | null)[] = [];
    const p95: (number | null)[] = [];
    const p99: (number | null)[] = [];
    for (const x of withBaseline) {
      for (const l of x.run.latency ?? []) {
        cats.push(`${x.name.split(' ')[0]}\n${Math.round(l.fractionOfSaturation * 100)}% (${n(l.offeredPerSecond)}/s)`);
        p50.push(l.createdLatencyMs.p50);
        p95.push(l.createdLatencyMs.p95);
        p99.push(l.createdLatencyMs.p99);
      }
    }
    out['latency.svg'] = barChart({
      title: 'POST /api/orders → order CREATED, open loop at 25/50/75 % of saturation',
      subtitle: 'latency from the intended send time (log scale)',
      yLabel: 'milliseconds',
      categories: cats,
      series: [
        { name: 'p50', values: p50 },
        { name: 'p95', values: p95 },
        { name: 'p99', values: p99 },
      ],
      log: true,
      goals: [{ value: 100, label: 'goal: p99 ≤ 100 ms at 50 %' }],
    });
  }
  const lc = runs.filter((p) => p.lifecycle);
  if (lc.length) {
    out['lifecycle.svg'] = barChart({
      title: 'Whole lifecycles per second (create → accept → 3 × progress → complete)',
      subtitle: `closed loop of ${lc[0]?.lifecycle?.concurrency} orders; invariant check after each run`,
      yLabel: 'lifecycles / s',
      categories: lc.map(
        (p) =>
          `${LABEL[p.transport] ?? p.transport}\n${p.lifecycle?.invariantViolations === 0 ? 'invariants hold' : `violations: ${p.lifecycle?.invariantViolations ?? 'not checked'}`}`,
      ),
      series: [{ name: 'lifecycles/s', values: lc.map((p) => p.lifecycle?.lifecyclesPerSecond ?? null) }],
    });
  }
  const bus = Object.entries((r.bus as Record<string, Json> | undefined) ?? {}).filter(([, v]) => v.throughput);
  if (bus.length) {
    out['bus.svg'] = barChart({
      title: 'The bus alone: publish + consume, envelope + outbox + inbox',
      subtitle: 'messages/s with 16 producers (one message per transaction); p99 emit → handler at half that rate',
      yLabel: 'messages / s  |  ms',
      categories: bus.map(([k]) => LABEL[k] ?? k),
      series: [
        { name: 'messages/s', values: bus.map(([, v]) => (v.throughput as Json).messagesPerSecond as number) },
        { name: 'p99 latency at 50 % (ms)', values: bus.map(([, v]) => ((v.latency as Json).latencyMs as Json).p99 as number) },
      ],
    });
  }
  const timers = r.timers as Json | undefined;
  if (timers?.receivedLateMs) {
    const f = timers.firedLateMs as Json;
    const c = timers.receivedLateMs as Json;
    out['timers.svg'] = barChart({
      title: `${n(timers.timers)} timers coming due within ${timers.windowSeconds} s: how late`,
      subtitle: `embedded; peak RSS ${(timers.memoryMiB as Json).peakRss} MiB, ${(timers.memoryMiB as Json).armed} MiB armed, table ${timers.tableMiB} MiB`,
      yLabel: 'milliseconds late',
      categories: ['p50', 'p95', 'p99', 'max'],
      series: [
        { name: 'marked FIRED (timer.expired stored)', values: ['p50', 'p95', 'p99', 'max'].map((k) => f[k] as number) },
        { name: 'timer.expired received by a consumer', values: ['p50', 'p95', 'p99', 'max'].map((k) => c[k] as number) },
      ],
    });
    const series = (timers.memorySeries as { t: number; rssMiB: number; heapMiB: number }[] | undefined) ?? [];
    if (series.length > 2) {
      const every = Math.max(1, Math.ceil(series.length / 24));
      const pts = series.filter((_, i) => i % every === 0);
      out['timers-memory.svg'] = lineChart({
        title: 'Timer service process memory while 100,000 timers fire',
        xLabel: 'seconds since start',
        yLabel: 'MiB',
        x: pts.map((p) => p.t),
        series: [
          { name: 'RSS', values: pts.map((p) => p.rssMiB) },
          { name: 'JS heap used', values: pts.map((p) => p.heapMiB) },
        ],
      });
    }
  }
  const growth = r.growth as { points?: GrowthPoint[] } | undefined;
  if (growth?.points?.length) {
    const pts = growth.points;
    out['growth-data.svg'] = lineChart({
      title: 'Kafka + PostgreSQL as completed orders accumulate',
      subtitle: 'saturation sagas/s and p99 (ms) at a fixed rate of half the first saturation',
      xLabel: 'completed orders in the database',
      yLabel: 'sagas/s  |  ms',
      x: pts.map((p) => p.completedOrders),
      series: [
        { name: 'sagas/s', values: pts.map((p) => p.saturation.sagasPerSecond) },
        { name: 'p99 POST → CREATED (ms)', values: pts.map((p) => p.latency.createdLatencyMs.p99) },
      ],
    });
  }
  const scaling = r.scaling as { points?: ScalingPoint[] } | undefined;
  if (scaling?.points?.length) {
    const pts = scaling.points;
    out['growth-scaling.svg'] = barChart({
      title: 'Partitions × one-process instances on one 2-core machine (Kafka + PostgreSQL)',
      subtitle: 'saturation sagas/s and p99 (ms) at a fixed rate',
      yLabel: 'sagas/s  |  ms',
      categories: pts.map(
        (p) => `${p.partitions} partition${p.partitions > 1 ? 's' : ''}\n${p.instances} instance${p.instances > 1 ? 's' : ''}`,
      ),
      series: [
        { name: 'sagas/s', values: pts.map((p) => p.saturation.sagasPerSecond) },
        { name: 'p99 at fixed rate (ms)', values: pts.map((p) => p.latency.createdLatencyMs.p99) },
      ],
    });
  }
  const kafka = runs.find((p) => p.transport === 'kafka' && ok(p));
  if (kafka?.saturation && baseline?.saturation) {
    const cats = ['sagas/s at saturation', ...(kafka.latency ?? []).map((l) => `p99 ms at ${n(l.offeredPerSecond)}/s`)];
    out['baseline.svg'] = barChart({
      title: 'The platform (Kafka + PostgreSQL) and the original approach, same run',
      subtitle: 'baseline: one awaited send per message, fire-and-forget handlers, no outbox/inbox/envelope',
      yLabel: 'sagas/s  |  ms (log)',
      categories: cats,
      series: [
        { name: 'platform', values: [kafka.saturation.sagasPerSecond, ...(kafka.latency ?? []).map((l) => l.createdLatencyMs.p99)] },
        {
          name: 'baseline',
          values: [
            baseline.saturation.sagasPerSecond,
            ...(kafka.latency ?? []).map((_, i) => baseline.atPlatformRates?.[i]?.createdLatencyMs.p99 ?? null),
          ],
        },
      ],
      log: true,
    });
  }
  const profile = r.profile as Record<string, Json> | undefined;
  const pe = profile?.embedded;
  if (pe?.cpu) {
    const areas = Object.entries((pe.cpu as Json).byAreaWithCallsCharged as Record<string, number>).slice(0, 8);
    out['profile.svg'] = barChart({
      title: 'Where the one-process platform spends its CPU at saturation (embedded)',
      subtitle: 'share of busy CPU samples, Node internals charged to their caller',
      yLabel: '% of CPU',
      categories: areas.map(([k]) => k.replace(' (PostgreSQL in WASM)', '\n(PostgreSQL/WASM)')),
      series: [{ name: '% CPU', values: areas.map(([, v]) => v) }],
    });
  }
  const optimization = r.optimization as Optimization | undefined;
  if (optimization?.fixes?.length) {
    const rows = optimization.fixes.flatMap((f) =>
      f.measures.map((m) => ({ name: m.short ?? m.metric, before: m.before, after: m.after })),
    );
    out['optimization.svg'] = barChart({
      title: 'Profile-driven fixes: before and after (lower is better, except sagas/s)',
      subtitle: 'each pair measured back to back on the same machine (log scale)',
      yLabel: 'as labelled',
      categories: rows.map((x) => x.name),
      series: [
        { name: 'before', values: rows.map((x) => x.before) },
        { name: 'after', values: rows.map((x) => x.after) },
      ],
      log: true,
    });
  }
  return out;
}
