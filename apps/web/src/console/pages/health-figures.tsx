import { BarChart, LineChart, LinesChart } from '../charts.tsx';
import { type Buckets, bucketsOf, quantileBetween } from '../histogram.ts';
import { byLabel, type Sample, total } from '../metrics-text.ts';
import { rates } from '../use-series.ts';

const OUTCOME_TONE: Record<string, 'good' | 'bad' | 'neutral'> = { COMPLETED: 'good', FAILED: 'bad', COMPENSATED: 'neutral' };
const HANDLER = 'campusg_message_handler_duration_seconds';
/** A point of the handler latency chart covers the samples this many readings back (15 s at one every 3 s). */
const WINDOW = 5;
/** The per-group figures cover this many readings back (a minute). */
const MINUTE = 20;

/**
 * What the Health page keeps of each /metrics reading: counters for rates, and the handler latency
 * histogram's cumulative buckets, summed (`h|<le>`) and per consumer group (`g|<group>|<le>`).
 */
export function healthSample(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {
    _t: Date.now() / 1000,
    consumed: total(samples, 'campusg_messages_consumed_total'),
    produced: total(samples, 'campusg_messages_produced_total'),
  };
  for (const [le, n] of bucketsOf(samples, HANDLER)) out[`h|${le}`] = n;
  for (const group of Object.keys(byLabel(samples, `${HANDLER}_count`, 'group'))) {
    for (const [le, n] of bucketsOf(samples, HANDLER, { group })) out[`g|${group}|${le}`] = n;
  }
  return out;
}

/** The buckets kept under `prefix`, as they were `back` readings before the last. */
function bucketsAt(series: Record<string, number[]>, prefix: string, back: number): Buckets {
  return Object.keys(series)
    .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('|'))
    .map((k): [number, number] => [Number(k.slice(prefix.length)), series[k]!.at(-1 - back) ?? 0])
    .sort((a, b) => a[0] - b[0]);
}

/** The q-quantile (in ms) at each kept reading but the first, over the window before it (oldest first). */
function quantileLine(series: Record<string, number[]>, q: number): (number | null)[] {
  const kept = series['h|Infinity']?.length ?? 0;
  const out: (number | null)[] = [];
  for (let back = kept - 2; back >= 0; back--) {
    const v = quantileBetween(bucketsAt(series, 'h|', Math.min(back + WINDOW, kept - 1)), bucketsAt(series, 'h|', back), q);
    out.push(v === null ? null : v * 1000);
  }
  return out;
}

/** Each group's p95 (ms) over the last minute of readings (or as many as there are), slowest first. */
function slowestGroups(series: Record<string, number[]>): { label: string; value: number }[] {
  const groups = new Set(Object.keys(series).flatMap((k) => (k.startsWith('g|') ? [k.split('|')[1]!] : [])));
  return [...groups]
    .map((group) => {
      const prefix = `g|${group}|`;
      const kept = series[`${prefix}Infinity`]?.length ?? 0;
      const p95 = quantileBetween(bucketsAt(series, prefix, Math.min(MINUTE, kept - 1)), bucketsAt(series, prefix, 0), 0.95);
      return { label: group, value: p95 === null ? -1 : p95 * 1000 };
    })
    .filter((g) => g.value >= 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, 6);
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(0)} ms`);

/** The figures /metrics has, drawn: throughput, saga outcomes, latencies, handler latency per group. */
export function HealthFigures({ samples, series }: { samples: Sample[]; series: Record<string, number[]> }) {
  const consumed = rates(series.consumed ?? [], series._t ?? []);
  const produced = rates(series.produced ?? [], series._t ?? []);
  const outcomes = byLabel(samples, 'campusg_sagas', 'status');
  const average = (name: string) => {
    const n = total(samples, `${name}_count`);
    return n ? (total(samples, `${name}_sum`) / n) * 1000 : 0;
  };
  const p50 = quantileLine(series, 0.5);
  const p95 = quantileLine(series, 0.95);
  const slowest = slowestGroups(series);
  return (
    <div className="console-cards">
      <section className="card" aria-label="Throughput">
        <h2>Throughput</h2>
        <p className="small muted">
          handled {(consumed.at(-1) ?? 0).toFixed(1)}/s · written {(produced.at(-1) ?? 0).toFixed(1)}/s
        </p>
        <LineChart values={consumed} label="Messages handled per second" />
        <LineChart values={produced} label="Messages written per second" />
      </section>
      <section className="card" aria-label="Saga outcomes">
        <h2>Saga outcomes</h2>
        <BarChart
          label="Sagas by status"
          bars={Object.entries(outcomes).map(([status, value]) => ({ label: status, value, tone: OUTCOME_TONE[status] }))}
        />
      </section>
      <section className="card" aria-label="Latency">
        <h2>Latency</h2>
        <BarChart
          label="Average latency in milliseconds"
          format={(v) => `${v.toFixed(0)} ms`}
          bars={[
            { label: 'saga start to end', value: average('campusg_saga_duration_seconds') },
            { label: 'HTTP request', value: average('campusg_http_request_duration_seconds') },
            { label: 'message handler', value: average(HANDLER) },
          ]}
        />
        <p className="small muted">
          Dead-lettered so far: {total(samples, 'campusg_messages_dead_lettered_total')} · handler retries:{' '}
          {total(samples, 'campusg_message_handler_retries_total')}
        </p>
      </section>
      <section className="card console-wide" aria-label="Handler latency">
        <h2>Handler latency</h2>
        <p className="small muted">
          p50 {ms(p50.at(-1))} · p95 {ms(p95.at(-1))}: the time each message's handler ran, every point over the 15 s before it
        </p>
        <LinesChart
          label="Handler latency p50 and p95 in milliseconds over the last minutes"
          height={72}
          lines={[
            { name: 'p50', values: p50 },
            { name: 'p95', values: p95, tone: 'strong' },
          ]}
        />
        <ul className="chart__legend small">
          <li className="chart__key">p50</li>
          <li className="chart__key chart__key--strong">p95</li>
        </ul>
      </section>
      <section className="card" aria-label="Slowest handlers">
        <h2>Slowest groups</h2>
        {slowest.length === 0 ? (
          <p className="small muted">No message handled in the last minute.</p>
        ) : (
          <BarChart label="p95 handler latency per consumer group over the last minute" format={(v) => ms(v)} bars={slowest} />
        )}
      </section>
    </div>
  );
}
