/**
 * Charts (docs/bench/*.svg) and tables (docs/performance.md, between the generated-results markers)
 * from benchmark results. Sections of a new run replace the same sections of docs/bench/results.json,
 * so a partial run (`npm run bench -- growth`) keeps the other figures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GrowthPoint, ScalingPoint } from './lib/growth.ts';
import type { PlatformRun } from './lib/phases.ts';
import { ROOT } from './lib/platform.ts';
import { barChart, lineChart } from './lib/svg.ts';

type Json = Record<string, unknown>;
/** Written by hand into docs/bench/results.json from back-to-back runs (see docs/performance.md). */
interface Optimization {
  fixes: { name: string; files: string[]; measures: { metric: string; before: number; after: number; method: string }[] }[];
}
const SECTIONS = ['platform', 'baseline', 'bus', 'timers', 'growth', 'scaling', 'profile'];
const DOCS = path.join(ROOT, 'docs/bench');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';
const LABEL: Record<string, string> = { embedded: 'embedded (PGlite)', kafka: 'Kafka + PostgreSQL', rabbitmq: 'RabbitMQ + PostgreSQL' };

const n = (v: unknown, digits = 1): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10 ** digits) / 10 ** digits);
};
const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? (v >= 1000 ? `${n(v / 1000, 2)} s` : `${n(v)} ms`) : '–');

export function merge(results: Json): Json {
  const file = path.join(DOCS, 'results.json');
  const old: Json = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const merged: Json = { ...old, machine: results.machine ?? old.machine, runs: { ...((old.runs as Json) ?? {}) } };
  for (const s of SECTIONS) {
    if (results[s] === undefined) continue;
    merged[s] = results[s];
    (merged.runs as Json)[s] = {
      startedAt: results.startedAt,
      command: results.command,
      phase: (results.phaseSeconds as Json | undefined)?.[s],
    };
  }
  return merged;
}

export function writeReport(results: Json): void {
  mkdirSync(DOCS, { recursive: true });
  const r = merge(results);
  writeFileSync(path.join(DOCS, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const charts = renderCharts(r);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(path.join(DOCS, name), `${svg}\n`);
  const md = tables(r);
  const doc = path.join(ROOT, 'docs/performance.md');
  const text = existsSync(doc) ? readFileSync(doc, 'utf8') : `# Performance\n\n${START}\n${END}\n`;
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? `${text.slice(0, i + START.length)}\n${md}\n${text.slice(j)}` : `${text}\n${START}\n${md}\n${END}\n`;
  writeFileSync(doc, next);
}

const platformRuns = (r: Json) => Object.values((r.platform as Record<string, PlatformRun> | undefined) ?? {});
const ok = (p: PlatformRun) => p.status === 'ok';

function renderCharts(r: Json): Record<string, string> {
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
      subtitle: `closed loop, ${withBaseline[0]?.run.saturation?.concurrency ?? '?'} sagas in flight; 2-core machine`,
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
    const rows = optimization.fixes.flatMap((f) => f.measures.map((m) => ({ name: `${m.metric}`, before: m.before, after: m.after })));
    out['optimization.svg'] = barChart({
      title: 'Profile-driven fixes: before and after (lower is better)',
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

function tables(r: Json): string {
  const lines: string[] = [];
  const runs = platformRuns(r);
  const m = r.machine as Json | undefined;
  const push = (...l: string[]) => lines.push(...l);
  push('<!-- generated by `npm run bench` (bench/report.ts) from docs/bench/results.json: do not edit by hand -->', '');
  if (m) {
    push(
      `Measured on **${m.cores} × ${m.cpuModel}**, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres ?? '–'}, Kafka ${m.kafka ?? '–'}, RabbitMQ ${m.rabbitmq ?? '–'}, PGlite ${m.pglite}. ` +
        `Runs: ${Object.entries((r.runs as Record<string, Json>) ?? {})
          .map(([k, v]) => `${k} ${String(v.startedAt).slice(0, 16).replace('T', ' ')}`)
          .join(', ')} (UTC).`,
      '',
    );
  }
  const baseline = r.baseline as (Omit<PlatformRun, 'transport'> & { atPlatformRates?: PlatformRun['latency'] }) | undefined;
  if (runs.length || baseline) {
    push(
      '### Create-order sagas: saturation and latency',
      '',
      '![saturation](bench/saturation.svg)',
      '',
      '![latency](bench/latency.svg)',
      '',
    );
    push(
      '| deployment | sagas/s at saturation | CPU ms per saga (platform + its PostgreSQL) | at 25 %: p50 / p95 / p99 | at 50 %: p50 / p95 / p99 | at 75 %: p50 / p95 / p99 | lifecycles/s | invariants | machine busy / other jobs (cores) |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    const row = (name: string, p: Omit<PlatformRun, 'transport'>) => {
      if (p.status && p.status !== 'ok')
        return push(`| ${name} | ${p.status}: ${(p.reason ?? '').split('\n')[0]?.slice(0, 120)} | | | | | | |`);
      const lat = [0.25, 0.5, 0.75].map((f) => {
        const l = p.latency?.find((x) => Math.abs(x.fractionOfSaturation - f) < 0.05);
        return l
          ? `${ms(l.createdLatencyMs.p50)} / ${ms(l.createdLatencyMs.p95)} / **${ms(l.createdLatencyMs.p99)}** (${n(l.offeredPerSecond)}/s${l.incomplete ? `, ${l.incomplete} incomplete` : ''})`
          : '–';
      });
      const cpu = p.saturation?.cpu;
      const cost = p.saturation?.cpuMsPerSaga;
      const costText = cost
        ? `${n(cost.platform)}${cost['postgres (this deployment)'] !== undefined ? ` + ${n(cost['postgres (this deployment)'])}` : ''}`
        : '–';
      push(
        `| ${name} | **${n(p.saturation?.sagasPerSecond)}** | ${costText} | ${lat.join(' | ')} | ${p.lifecycle ? n(p.lifecycle.lifecyclesPerSecond, 2) : '–'} | ${p.lifecycle ? (p.lifecycle.invariantViolations === 0 ? 'hold' : `${p.lifecycle.invariantViolations ?? 'not checked'} violations`) : '–'} | ${cpu ? `${cpu.machineBusyPct} % / ${cpu.cores.other ?? 0}` : '–'} |`,
      );
    };
    for (const p of runs) row(LABEL[p.transport] ?? p.transport, p);
    if (baseline) row('baseline: original style (Kafka + PostgreSQL)', baseline);
    push('');
    const kafka = runs.find((p) => p.transport === 'kafka' && ok(p));
    if (kafka?.saturation && baseline?.saturation) {
      const ratio = kafka.saturation.sagasPerSecond / baseline.saturation.sagasPerSecond;
      push(
        `Side by side in the same run, the platform on Kafka + PostgreSQL completes **${n(ratio, 2)}×** the sagas per second of the original's approach (${n(kafka.saturation.sagasPerSecond)} vs ${n(baseline.saturation.sagasPerSecond)}).`,
        '',
        '![baseline](bench/baseline.svg)',
        '',
      );
      if (baseline.atPlatformRates?.length) {
        push('| offered rate | platform p50 / p99 | baseline p50 / p99 |', '|---|---|---|');
        for (const [i, l] of (kafka.latency ?? []).entries()) {
          const b = baseline.atPlatformRates[i];
          push(
            `| ${n(l.offeredPerSecond)}/s | ${ms(l.createdLatencyMs.p50)} / ${ms(l.createdLatencyMs.p99)} | ${b ? `${ms(b.createdLatencyMs.p50)} / ${ms(b.createdLatencyMs.p99)}` : '–'} |`,
          );
        }
        push('');
      }
    }
    if (runs.some((p) => p.lifecycle)) push('![lifecycle](bench/lifecycle.svg)', '');
  }
  const bus = Object.entries((r.bus as Record<string, Json> | undefined) ?? {});
  if (bus.length) {
    push(
      '### The bus alone',
      '',
      '![bus](bench/bus.svg)',
      '',
      '| transport | messages/s (16 producers) | p50 / p95 / p99 emit → handler at 50 % of that |',
      '|---|---|---|',
    );
    for (const [k, v] of bus) {
      if (!v.throughput) {
        push(`| ${LABEL[k] ?? k} | ${String(v.status ?? 'failed')} | |`);
        continue;
      }
      const l = (v.latency as Json).latencyMs as Json;
      push(
        `| ${LABEL[k] ?? k} | **${n((v.throughput as Json).messagesPerSecond)}** | ${ms(l.p50)} / ${ms(l.p95)} / **${ms(l.p99)}** (${n((v.latency as Json).ratePerSecond)}/s) |`,
      );
    }
    push('');
  }
  const t = r.timers as Json | undefined;
  if (t?.receivedLateMs) {
    const f = t.firedLateMs as Json;
    const c = t.receivedLateMs as Json;
    const mem = t.memoryMiB as Json;
    push(
      '### Timers',
      '',
      '![timers](bench/timers.svg)',
      '',
      '| timers | due within | armed by | fired late p50 / p99 / max | received late p50 / p99 / max | RSS before / armed / peak | table |',
      '|---|---|---|---|---|---|---|',
      `| ${n(t.timers)} | ${t.windowSeconds} s | one INSERT (${t.armSeconds} s) | ${ms(f.p50)} / **${ms(f.p99)}** / ${ms(f.max)} | ${ms(c.p50)} / **${ms(c.p99)}** / ${ms(c.max)} | ${mem.beforeArming} / ${mem.armed} / ${mem.peakRss} MiB | ${t.tableMiB} MiB |`,
      '',
    );
  }
  const g = r.growth as { method?: string; points?: GrowthPoint[] } | undefined;
  if (g?.points?.length) {
    push('### Growth: completed orders in the database', '', '![growth](bench/growth-data.svg)', '', `Seeding: ${g.method}.`, '');
    push('| completed orders | database | seeded in | sagas/s at saturation | p50 / p99 at fixed rate |', '|---|---|---|---|---|');
    for (const p of g.points) {
      push(
        `| ${p.completedOrders.toLocaleString('en')} | ${p.databaseMiB ? `${p.databaseMiB} MiB` : '–'} | ${p.seedSeconds ? `${p.seedSeconds} s` : 'real lifecycles'} | **${n(p.saturation.sagasPerSecond)}** | ${ms(p.latency.createdLatencyMs.p50)} / **${ms(p.latency.createdLatencyMs.p99)}** (${n(p.latency.offeredPerSecond)}/s) |`,
      );
    }
    push('');
  }
  const sc = r.scaling as { points?: ScalingPoint[] } | undefined;
  if (sc?.points?.length) {
    push('### Growth: partitions and instances', '', '![scaling](bench/growth-scaling.svg)', '');
    push(
      '| partitions | instances | sagas/s at saturation | p50 / p99 at fixed rate | platform / PostgreSQL / Kafka / other (cores) |',
      '|---|---|---|---|---|',
    );
    for (const p of sc.points) {
      const c = p.saturation.cpu.cores;
      push(
        `| ${p.partitions} | ${p.instances} | **${n(p.saturation.sagasPerSecond)}** | ${ms(p.latency.createdLatencyMs.p50)} / **${ms(p.latency.createdLatencyMs.p99)}** (${n(p.latency.offeredPerSecond)}/s) | ${c.platform ?? '–'} / ${c.postgres ?? '–'} / ${c.kafka ?? '–'} / ${c.other ?? '–'} |`,
      );
    }
    push('');
  }
  const prof = r.profile as Record<string, Json> | undefined;
  if (prof) {
    push('### Profile at saturation', '');
    for (const [k, v] of Object.entries(prof)) {
      const sql = v.sql as Json | undefined;
      const cpu = v.cpu as Json | undefined;
      push(
        `**${LABEL[k] ?? k}** — ${n(v.sagasPerSecond)} sagas/s (${n(v.sagasPerSecondProfiled)} under the profiler). ` +
          (sql
            ? `${sql.statementsPerSaga} SQL statements and ${sql.transactionsPerSaga ?? '–'} transactions per saga, ${sql.meanStatementMs} ms per statement on average. `
            : '') +
          (cpu
            ? `CPU: ${Object.entries(cpu.byAreaWithCallsCharged as Record<string, number>)
                .slice(0, 6)
                .map(([a, p]) => `${a} ${p} %`)
                .join(', ')}; idle ${cpu.idlePct} %.`
            : ''),
        '',
      );
      if (sql) {
        push('| statement | per saga | mean ms |', '|---|---|---|');
        for (const s of (sql.top as { sql: string; perSaga: number; avgMs: number }[]).slice(0, 12))
          push(`| \`${s.sql.slice(0, 110).replaceAll('|', '\\|')}\` | ${s.perSaga} | ${s.avgMs} |`);
        push('');
      }
    }
    if (prof.embedded?.cpu) push('![profile](bench/profile.svg)', '');
  }
  const opt = r.optimization as Optimization | undefined;
  if (opt?.fixes?.length) {
    push('### Profile-driven fixes, before and after', '', '![optimization](bench/optimization.svg)', '');
    push('| fix | files | measure | before | after | how measured |', '|---|---|---|---|---|---|');
    for (const f of opt.fixes) {
      for (const [i, m] of f.measures.entries()) {
        push(
          `| ${i === 0 ? f.name : ''} | ${i === 0 ? f.files.map((x) => `\`${x}\``).join(', ') : ''} | ${m.metric.replaceAll('\n', ' ')} | ${m.before} | **${m.after}** | ${m.method} |`,
        );
      }
    }
    push('');
  }
  return lines.join('\n');
}
