import { closeSync, existsSync, promises as fsp, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** How the embedded database commits: `durable` survives a power loss, `fast` only a crash of the process. */
export type EmbeddedDurability = 'durable' | 'fast';

/** The parts of Emscripten's NODEFS this file touches. */
interface NodeFsModule {
  NODEFS: {
    realPath(node: unknown): string;
    stream_ops: { fsync?: (stream: { node: unknown; nfd?: number }) => number };
  };
}

/** Emscripten's errno for an I/O error: PostgreSQL stops rather than carry on past a failed sync. */
const EIO = 29;

/**
 * PGlite's Node file system with an `fsync` that reaches the disk, and group commit.
 *
 * PGlite 0.5.16 starts PostgreSQL with `-F` (fsync off), and even with fsync on its Node file system
 * (Emscripten's NODEFS) has no `fsync`: a sync returns at once and the data stays in the kernel's
 * page cache, so a crash of the process loses nothing but a power loss may. `relaxedDurability` is
 * no help here: it only lets a query return before the in-memory file systems (IndexedDB, OPFS)
 * are written out, and NODEFS writes through already.
 *
 * So PostgreSQL runs with fsync on and `wal_sync_method=fsync` (its `fdatasync` is a no-op in the
 * WebAssembly build, its `fsync` comes here), and this class gives NODEFS the missing `fsync`:
 *
 * - A sync of a write-ahead-log file (what every commit that wrote asks for) is only noted. The
 *   caller that committed awaits `flush()` before it answers (a caller whose work noted nothing
 *   wrote nothing, and answers at once), and one `fsync` per noted file, made off the
 *   database's thread, covers every commit that happened meanwhile: group commit. While it runs the
 *   database goes on with the next transactions, whose commits wait for the next flush.
 * - A sync of anything else (data files and the control file at a checkpoint, directories) is made
 *   at once, after the noted log files are synced, so the log is on disk before what relies on it
 *   (a checkpoint record before `pg_control` names it, before old segments are removed).
 */
export class DurableNodeFS extends NodeFS {
  readonly #root: string;
  readonly #walDir: string;
  /** Log files written since the last flush began. */
  #pending = new Set<string>();
  /** Log files the running flush is syncing. */
  #syncing = new Set<string>();
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #flushes = 0;
  #noted = 0;
  /** A sync that failed: as PostgreSQL does after a failed fsync, nothing is acknowledged any more. */
  #failed: unknown;

  constructor(dataDir: string) {
    super(dataDir);
    this.#root = path.resolve(dataDir);
    this.#walDir = path.join(this.#root, 'pg_wal');
    this.fresh = !existsSync(path.join(this.#root, 'PG_VERSION'));
  }

  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]) {
    const result = await super.init(pg, opts);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [
      ...(Array.isArray(preRun) ? preRun : [preRun]),
      (mod: unknown) => {
        const { NODEFS } = mod as NodeFsModule;
        NODEFS.stream_ops.fsync = (stream) => {
          try {
            this.#sync(NODEFS.realPath(stream.node), stream.nfd);
            return 0;
          } catch {
            return EIO;
          }
        };
      },
    ];
    return result;
  }

  /** True when the directory held no database yet: PGlite creates one (initdb) without syncing it. */
  readonly fresh: boolean;

  /** Syncs every file and directory of the database: once, after PGlite created it. */
  async syncAll(dir = this.#root): Promise<void> {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await this.syncAll(file);
      else if (entry.isFile()) await syncPath(file);
    }
    await syncPath(dir);
  }

  /**
   * How many log syncs PostgreSQL has asked for. A statement or transaction during which this count
   * did not move wrote nothing to make durable (a read, a read-only transaction), and need not wait.
   */
  get noted(): number {
    return this.#noted;
  }

  /** Syncs the file system has made since it was opened (each covers every commit before it). */
  get flushes(): number {
    return this.#flushes;
  }

  #sync(file: string, fd: number | undefined): void {
    if (file === this.#walDir || file.startsWith(`${this.#walDir}/`)) {
      this.#pending.add(file);
      this.#noted++;
      return;
    }
    for (const wal of [...this.#syncing, ...this.#pending]) syncPathSync(wal);
    this.#pending.clear();
    if (fd === undefined) syncPathSync(file);
    else fsyncSync(fd);
  }

  /**
   * Resolves once every commit made so far is on disk. Callers that ask while a flush runs share
   * the next one.
   */
  flush(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#pending.size === 0) return this.#running ?? Promise.resolve();
    this.#next ??= (this.#running ?? Promise.resolve()).then(() => {
      this.#next = undefined;
      this.#syncing = this.#pending;
      this.#pending = new Set();
      const run = Promise.all([...this.#syncing].map(syncPath)).then(
        () => {
          this.#flushes++;
          this.#syncing = new Set();
          if (this.#running === run) this.#running = undefined;
        },
        (err: unknown) => {
          this.#failed = err;
          throw err;
        },
      );
      this.#running = run;
      return run;
    });
    return this.#next;
  }
}

async function syncPath(file: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    // A segment removed after it was noted no longer holds anything a commit needs.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function syncPathSync(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** PostgreSQL's start parameters for a durability: PGlite's own, with fsync on and a real sync method when durable. */
export function pgliteStartParams(durability: EmbeddedDurability): string[] {
  const defaults = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;
  if (durability === 'fast') return defaults;
  return [...defaults.filter((p) => p !== '-F'), '-c', 'fsync=on', '-c', 'wal_sync_method=fsync'];
}

/**
 * A ready PGlite instance on `dataDir` (in memory without one) that commits as `durability` says.
 * A database it had to create is synced to disk whole before it is used.
 */
export async function newPglite(
  dataDir: string | undefined,
  durability: EmbeddedDurability,
): Promise<{ db: PGlite; fs: DurableNodeFS | undefined }> {
  if (!dataDir || durability === 'fast') {
    const db = dataDir ? new PGlite(dataDir) : new PGlite();
    await db.waitReady;
    return { db, fs: undefined };
  }
  const fs = new DurableNodeFS(dataDir);
  const db = new PGlite({ fs, startParams: pgliteStartParams(durability) });
  await db.waitReady;
  if (fs.fresh) await fs.syncAll();
  return { db, fs };
}
