import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

/**
 * Private servers for the fault tests that stop or restart infrastructure: a PostgreSQL server and a
 * Kafka broker of their own (on free ports, in temporary directories), so that stopping them never
 * disturbs the suites running in parallel on the shared `DATABASE_URL` and `KAFKA_BROKERS`.
 */

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The PostgreSQL server binaries (`initdb`, `pg_ctl`), newest major version first; undefined if not installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

/** The Kafka jars the shared broker's start script fetched (reused, so a private broker needs no download). */
export function kafkaLibDir(): string | undefined {
  const lib = path.join(process.env.KAFKA_HOME_DIR ?? path.join(ROOT, '.kafka'), 'lib');
  return existsSync(path.join(lib, '.jars')) ? lib : undefined;
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  /** Stops the server (fast shutdown: every connection is terminated), waits `downMs`, starts it again. */
  restart(downMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A PostgreSQL server of its own (initdb in a temporary directory; as the `postgres` user when run as root). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql');
  const dir = mkdtempSync(path.join(tmpdir(), 'campusg-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, ...(await postgresIds()));
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const port = await freePort();
  const data = path.join(dir, 'data');
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  const pgCtl = (...args: string[]) => as(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), ...args]);
  await as(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  await pgCtl('-o', options, '-w', '-t', '60', 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart(downMs = 0) {
      await pgCtl('-m', 'fast', '-w', '-t', '60', 'stop');
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await pgCtl('-o', options, '-w', '-t', '60', 'start');
    },
    async dispose() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(uid.trim()), Number(gid.trim())];
}

export interface PrivateKafka {
  /** `127.0.0.1:<port>` */
  brokers: string;
  /** `scripts/kafka/stop.sh`: the broker stops (its data is kept). */
  stop(): Promise<void>;
  /** `scripts/kafka/start.sh`: the broker starts again on the same data and waits until it answers. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** A single-node broker of its own, run by the project's `scripts/kafka/start.sh` in a temporary state directory. */
export async function startPrivateKafka(): Promise<PrivateKafka> {
  const lib = kafkaLibDir();
  const home = mkdtempSync(path.join(tmpdir(), 'campusg-kafka-'));
  // Reuse the jars already fetched (the start script would otherwise fetch them with Maven).
  if (lib) symlinkSync(lib, path.join(home, 'lib'));
  const [port, controller] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_HOME_DIR: home,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
  };
  const script = (name: string) => run('bash', [path.join(ROOT, 'scripts/kafka', name)], { env, maxBuffer: 16 * 1024 * 1024 });
  const kafka: PrivateKafka = {
    brokers: `127.0.0.1:${port}`,
    stop: async () => void (await script('stop.sh')),
    start: async () => void (await script('start.sh')),
    async dispose() {
      await script('stop.sh').catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await kafka.start();
  } catch (err) {
    await kafka.dispose();
    throw err;
  }
  return kafka;
}
