import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject } from 'vitest';
import { waitFor } from './client.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Preloaded into every process started here: it stops when the test process is gone (a hook that timed out). */
const EXIT_WITH_PARENT = pathToFileURL(path.join(import.meta.dirname, 'exit-with-parent.mjs')).href;

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PlatformProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no drain, no cleanup — a crash. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /**
   * A crash and a restart: kill -9 (if it still runs), then the same command with the same
   * environment on the same port, so whoever points at `url` (the gateway) needs no change.
   */
  restart(): Promise<PlatformProcess>;
}

const DEPLOYMENT_SETTING = /^(CAMPUSG_|KAFKA_|AMQP_|TEMPORAL_|DATABASE_URL|[A-Z]+_DATABASE_URL|AUTH_|ORDER_|SAGA_)/;

/**
 * The shell's environment less every deployment setting, for a child process that must get only
 * the settings it is given; `nodeOptions: false` drops `NODE_OPTIONS` too.
 */
export function inheritedEnv(o: { nodeOptions?: boolean } = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && !DEPLOYMENT_SETTING.test(e[0]) && (o.nodeOptions !== false || e[0] !== 'NODE_OPTIONS'),
    ),
  );
}

/** The CLI's entry: compiled once for the run (`test/support/global-setup.ts`), or its source through tsx. */
function cliEntry(): string[] {
  const compiled = inject('cliEntry');
  return compiled ? [compiled] : ['--import', 'tsx', path.join(ROOT, 'apps/cli/src/main.ts')];
}

/** Runs `campusg start` as its own process (the CLI, as `npm start` runs it: the same code, compiled once) and waits until it is ready. */
export async function startProcess(env: Record<string, string>, args = ['start']): Promise<PlatformProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Only what the test says: a deployment setting inherited from the shell must not leak in.
  const inherited = inheritedEnv();
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...cliEntry(), ...args], {
    cwd: ROOT,
    env: { ...inherited, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const kill9 = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}):\n${out}`);
      const res = await fetch(`${url}/ready`).catch(() => undefined);
      return res?.status === 200;
    },
    `campusg ${args.slice(1).join(' ') || '(every service)'} on port ${port} to be ready`,
    90_000,
  ).catch(async (err) => {
    // Not ready in time: it must not outlive the test that gave up on it. What it wrote says why.
    await kill9();
    throw new Error(`${(err as Error).message}; its output:\n${out.slice(-6000) || '(none)'}`, { cause: err });
  });
  return {
    url,
    child,
    output: () => out,
    kill9,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) await kill9();
      return startProcess({ ...env, PORT: String(port) }, args);
    },
  };
}
