import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { inheritedEnv } from '../../test/support/process.ts';
import { temporalServerPid } from './machine.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** An event the observer saw: a saga ending (`s`) or an order turning CREATED (`c`), with the time it saw it. */
export type Observed = ['s' | 'c', string, number, string];

export interface ChildOptions {
  /** The deployment's settings (nothing is inherited from the shell's deployment variables). */
  env: Record<string, string>;
  /** Attach the observer (one per deployment). */
  observe?: boolean;
  /** Node flags, e.g. `--cpu-prof`. */
  execArgv?: string[];
  script?: string;
  label?: string;
}

/** Drops deployment settings inherited from the shell, and NODE_OPTIONS. */
export const cleanEnv = (): Record<string, string> => inheritedEnv({ nodeOptions: false });

/**
 * A platform process (or the baseline) under the parent's control: its URL, the observer's
 * events (routed to waiters by saga id or order id), and commands over IPC.
 */
export class PlatformChild {
  readonly child: ChildProcess;
  url = '';
  /** The database of the deployment (its backends' CPU is counted apart), if PostgreSQL. */
  database: string | undefined;
  /** The deployment's bus: whose broker's CPU is its cost (the baseline runs on Kafka). */
  bus: 'embedded' | 'kafka' | 'rabbitmq' = 'embedded';
  /** The Temporal server's process when its sagas run on Temporal (its CPU is the deployment's). */
  temporalPid: number | undefined;
  #nextId = 1;
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Completed/ended sagas and CREATED orders: id → [time, detail]. */
  readonly seen = new Map<string, [number, string]>();
  readonly #waiters = new Map<string, (t: number, detail: string) => void>();
  #log = '';
  listeners: ((e: Observed) => void)[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async start(options: ChildOptions): Promise<PlatformChild> {
    // Found before the platform starts: a run whose server's CPU cannot be read is not measured.
    const temporalPid =
      options.env.CAMPUSG_SAGA_ENGINE === 'temporal' ? temporalServerPid(options.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233') : undefined;
    const script = options.script ?? path.join(ROOT, 'bench/lib/platform-child.ts');
    const child = fork(script, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      env: {
        ...cleanEnv(),
        LOG_LEVEL: 'warn',
        AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-01',
        // Statement counts for the cost figures (bench/lib/sql-stats.ts): a few µs per statement.
        BENCH_SQL_STATS: '1',
        ...options.env,
        BENCH_OBSERVE: options.observe ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const p = new PlatformChild(child);
    p.temporalPid = temporalPid;
    const dbUrl = options.env.DATABASE_URL;
    p.database = dbUrl ? new URL(dbUrl).pathname.slice(1) : undefined;
    const bus = options.env.CAMPUSG_BUS ?? (options.env.KAFKA_BROKERS ? 'kafka' : 'embedded');
    if (bus === 'kafka' || bus === 'rabbitmq') p.bus = bus;
    child.stdout?.on('data', (d) => p.#keep(d));
    child.stderr?.on('data', (d) => p.#keep(d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.label ?? 'platform'} did not start in 120 s:\n${p.#log}`)), 120_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.label ?? 'platform'} exited (${code}) before it was ready:\n${p.#log}`));
      });
      child.on('message', (m: { ready?: string; failed?: string; events?: Observed[]; id?: number; result?: unknown; error?: string }) => {
        if (m.ready) {
          p.url = m.ready;
          clearTimeout(timer);
          resolve();
        } else if (m.events) {
          for (const e of m.events) p.#observe(e);
        } else if (m.id !== undefined) {
          const call = p.#calls.get(m.id);
          p.#calls.delete(m.id);
          if (m.error) call?.reject(new Error(m.error));
          else call?.resolve(m.result);
        }
      });
    });
    child.removeAllListeners('exit');
    return p;
  }

  #keep(d: Buffer) {
    this.#log = (this.#log + d.toString()).slice(-20_000);
  }

  get log(): string {
    return this.#log;
  }

  #observe(e: Observed) {
    const [, id, t, detail] = e;
    const waiter = this.#waiters.get(id);
    if (waiter) {
      this.#waiters.delete(id);
      waiter(t, detail);
    } else this.seen.set(id, [t, detail]);
    for (const l of this.listeners) l(e);
  }

  /** Resolves with the time the observer saw `id` (a saga ending, or an order turning CREATED). */
  waitFor(id: string, timeoutMs = 60_000): Promise<{ t: number; detail: string }> {
    const early = this.seen.get(id);
    if (early) {
      this.seen.delete(id);
      return Promise.resolve({ t: early[0], detail: early[1] });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        reject(new Error(`timed out waiting for ${id}`));
      }, timeoutMs);
      this.#waiters.set(id, (t, detail) => {
        clearTimeout(timer);
        resolve({ t, detail });
      });
    });
  }

  call<T>(message: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`IPC ${String(message.cmd)} timed out`)), timeoutMs);
      this.#calls.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...message, id });
    });
  }

  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> {
    return this.call<T[]>({ cmd: 'sql', text, params });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call({ cmd: 'stop' }, 30_000).catch(() => this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
