import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** What the numbers were measured on. */
export async function describeMachine(env: { databaseUrl?: string; kafkaBrokers?: string; amqpUrl?: string }) {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: env.databaseUrl ? await postgresVersion(env.databaseUrl) : null,
    kafka: env.kafkaBrokers ? kafkaVersion() : null,
    rabbitmq: env.amqpUrl ? rabbitVersion() : null,
    pglite: packageVersion('@electric-sql/pglite'),
    kafkaClient: packageVersion('@platformatic/kafka'),
    amqplib: packageVersion('amqplib'),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

async function postgresVersion(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const { rows } = await c.query<{ v: string }>("select current_setting('server_version') as v");
    return rows[0]?.v ?? null;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

function kafkaVersion(): string | null {
  try {
    const jar = readdirSync(path.join(ROOT, '.kafka/lib')).find((f) => /^kafka_[\d.]+-[\d.]+\.jar$/.test(f));
    return jar?.replace(/^kafka_[\d.]+-([\d.]+)\.jar$/, '$1') ?? null;
  } catch {
    return null;
  }
}

function rabbitVersion(): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'rabbitmq-server'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(name: string): string | null {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** CPU ticks of the whole machine (busy, total) from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU ticks (user + system) of one process, 0 if it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Commands of processes: to attribute CPU to PostgreSQL, Kafka, RabbitMQ and the rest. */
function processes(): { pid: number; comm: string; cmd: string }[] {
  const out: { pid: number; comm: string; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(d), comm, cmd });
    } catch {}
  }
  return out;
}

export interface CpuReport {
  seconds: number;
  /** Share of the machine's CPU (all cores = 100 %). */
  machineBusyPct: number;
  /** Per process class, in cores (1.0 = one core fully busy). */
  cores: Record<string, number>;
  /** Per process class, CPU milliseconds over the window (at the clock tick's 10 ms resolution). */
  cpuMs: Record<string, number>;
  loadAverage: number[];
}

/**
 * Measures where the machine's CPU went during a phase: the benchmark's own processes (by pid, the
 * Temporal server among them when the sagas run on it), PostgreSQL, Kafka, RabbitMQ and everything
 * else (e.g. other jobs sharing the machine).
 */
export function cpuMeter(ours: () => Record<string, number[]>, database?: string) {
  const hz = 100;
  const start = machineTicks();
  const t0 = performance.now();
  const classify = (p: { comm: string; cmd: string }) => {
    if (p.comm.startsWith('postgres')) return database && p.cmd.includes(` ${database} `) ? 'postgres (this deployment)' : 'postgres';
    if (p.comm === 'java' && p.cmd.includes('kafka')) return 'kafka';
    if (p.comm.startsWith('beam')) return 'rabbitmq';
    return null;
  };
  // Per process, so a process that starts or ends during the window (a pooled PostgreSQL backend
  // replaced after its idle timeout) does not cancel out the others of its class.
  const snapshot = () => {
    const byPid = new Map<number, [string, number]>();
    const own = ours();
    const ownPids = new Set(Object.values(own).flat());
    for (const [k, pids] of Object.entries(own)) for (const p of pids) byPid.set(p, [k, processTicks(p)]);
    for (const p of processes()) {
      if (ownPids.has(p.pid)) continue;
      const c = classify(p);
      if (c) byPid.set(p.pid, [c, processTicks(p.pid)]);
    }
    return byPid;
  };
  const before = snapshot();
  return {
    stop(): CpuReport {
      const after = snapshot();
      const end = machineTicks();
      const seconds = (performance.now() - t0) / 1000;
      const ticks: Record<string, number> = {};
      for (const [k] of before.values()) ticks[k] ??= 0;
      // A process seen only at the end started during the window: all its ticks are the window's.
      // One that ended during it is lost (its ticks can no longer be read): an undercount.
      for (const [pid, [k, t]] of after) ticks[k] = (ticks[k] ?? 0) + Math.max(0, t - (before.get(pid)?.[1] ?? 0));
      const cores: Record<string, number> = {};
      let attributed = 0;
      for (const [k, d] of Object.entries(ticks)) {
        attributed += d;
        cores[k] = Math.round((d / hz / seconds) * 100) / 100;
      }
      const busy = end.busy - start.busy;
      const ncpu = os.cpus().length;
      cores.other = Math.max(0, Math.round(((busy - attributed) / hz / seconds) * 100) / 100);
      return {
        seconds: Math.round(seconds * 10) / 10,
        machineBusyPct: Math.round((busy / Math.max(1, end.total - start.total)) * 1000) / 10,
        cores: Object.fromEntries(Object.entries(cores).map(([k, v]) => [k, Math.min(v, ncpu)])),
        cpuMs: Object.fromEntries(Object.entries(ticks).map(([k, d]) => [k, (d * 1000) / hz])),
        loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
      };
    },
  };
}

/**
 * The pid of the Temporal test server that `npm run temporal:start` runs on the port of `address`,
 * from its pid file (`$TEMPORAL_HOME_DIR/temporal.pid`, default `.temporal/` of the checkout),
 * checked against the process's command line so that a reused pid is not taken for it. Other
 * Temporal servers on the machine are other jobs: their CPU is not the deployment's.
 */
export function temporalServerPid(address: string): number {
  const home = process.env.TEMPORAL_HOME_DIR ?? path.join(ROOT, '.temporal');
  const file = path.join(home, 'temporal.pid');
  const port = address.split(':').pop();
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    throw new Error(
      `no Temporal server pid in ${file}: start it with npm run temporal:start, or set TEMPORAL_HOME_DIR to where it was started`,
    );
  }
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {}
  if (!cmd.includes(`LoopbackTestServer.java ${port}`))
    throw new Error(`process ${pid} of ${file} is not the Temporal test server on port ${port}`);
  return pid;
}
