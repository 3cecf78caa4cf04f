/** The report's table of the two saga engines side by side (`npm run bench -- engines`). */
import type { EnginesRun } from './engines.ts';
import type { QuickRun } from './quick.ts';
import { type Json, LABEL, ms, n } from './report-format.ts';

const ENGINE: Record<string, string> = {
  bus: '`bus` (orchestrators on the bus)',
  temporal: '`temporal` (Temporal test server)',
};

/** One row per engine: throughput, latency at half of it, CPU per saga with the Temporal server's, and how loaded the machine was. */
export function enginesTable(r: Json, push: (...l: string[]) => void): void {
  const e = r.engines as EnginesRun | undefined;
  if (!e?.bus) return;
  const at = (r.runs as Record<string, Json> | undefined)?.engines?.startedAt;
  push(
    '### Saga engines side by side',
    '',
    `The same measurement on each engine, one fresh ${LABEL[e.transport] ?? e.transport} deployment after the other` +
      `${at ? ` (${String(at).slice(0, 16).replace('T', ' ')} UTC)` : ''}: create-order sagas/s at saturation (open loop), ` +
      'p99 POST → CREATED at half of that rate, and the CPU of every process of the deployment over the saturation step ' +
      "divided by the sagas it ran, the Temporal server's included (its JVM, read from /proc by the pid in its pid file).",
    '',
    '| saga engine | sagas/s at saturation | p99 POST → CREATED at half of it | CPU ms per saga: platform + Temporal server = all of the deployment | SQL statements / transactions per saga | machine busy / other jobs (cores) | load average 1 / 5 / 15 min |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, run] of [
    ['bus', e.bus],
    ['temporal', e.temporal],
  ] as const) {
    if (run.status !== 'ok') {
      push(`| ${ENGINE[name]} | ${run.status}: ${(run.reason ?? '').split('\n')[0]?.slice(0, 120)} | | | | | |`);
      continue;
    }
    const q = run as QuickRun;
    const c = q.saturation?.cpuMsPerSaga ?? {};
    const total = ['platform', 'postgres (this deployment)', 'kafka', 'rabbitmq', 'temporal'].reduce((a, k) => a + (c[k] ?? 0), 0);
    const cpu = q.saturation?.cpu;
    push(
      `| ${ENGINE[name]} | **${n(q.saturation?.sagasPerSecond)}** | **${ms(q.atHalf?.createdLatencyMs.p99)}** (${n(q.atHalf?.offeredPerSecond)}/s) | ` +
        `${n(c.platform)} + ${n(c.temporal)} = **${n(total)}** | ${n(q.saturation?.sql?.statementsPerSaga)} / ${n(q.saturation?.sql?.transactionsPerSaga)} | ` +
        `${cpu ? `${cpu.machineBusyPct} % / ${cpu.cores.other ?? 0}` : '–'} | ${cpu?.loadAverage.join(' / ') ?? '–'} |`,
    );
  }
  push('');
}
