import { Worker } from 'node:worker_threads';
import type { Db, Sql } from './db.ts';
import type { EmbeddedDurability } from './pglite-durable-fs.ts';
import { fromWire, type Reply, type Request } from './pglite-thread-protocol.ts';

/** A request before it is numbered. */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;
type Call = Unnumbered<Request>;

interface Pending {
  resolve(rows: unknown[] | undefined): void;
  reject(err: Error): void;
  params: unknown[] | undefined;
}

/**
 * PGlite in a worker thread (see `pglite-worker.ts`): WebAssembly runs there, while this thread
 * keeps the HTTP server, decoding and handlers, so the process uses two cores. Each statement is
 * one message each way; a transaction's BEGIN rides with its first statement. Rows and errors
 * come back decoded as in-process, errors rebuilt with their class and fields. If the thread dies,
 * every waiting and later call fails with the reason.
 *
 * @param entry the thread's script; tests put one in that fails on purpose.
 */
export async function openPgliteThread(
  dataDir: string | undefined,
  durability: EmbeddedDurability = 'durable',
  entry = new URL('./pglite-worker.mjs', import.meta.url),
): Promise<Db> {
  const worker = new Worker(entry, { workerData: { dataDir, durability } });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let nextTx = 1;
  let failure: Error | undefined;
  let closed = false;

  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on('error', (err) => fail(new Error(`PGlite worker failed: ${err.message}`, { cause: err })));
  // An answer that cannot be read names no request: nothing could tell which caller to fail, so all are.
  worker.on('messageerror', (err) => fail(new Error(`PGlite worker answer unreadable: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => fail(new Error(closed ? 'PGlite is closed' : `PGlite worker exited with code ${code}`)));

  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject, params: undefined });
  });
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    // The thread keeps the process alive only while something waits for it, as PGlite in-process does.
    if (pending.size === 0) worker.unref();
    if ('error' in reply) p.reject(fromWire(reply.error, p.params));
    else p.resolve(reply.rows);
  });
  try {
    await ready;
  } catch (err) {
    closed = true;
    await worker.terminate();
    throw err;
  }

  /** Sends at once, or throws at once (a parameter that cannot be cloned, a dead thread), so a caller knows whether it went. */
  const send = (request: Call): Promise<unknown[] | undefined> => {
    if (failure) throw failure;
    if (closed) throw new Error('PGlite is closed');
    const id = nextId++;
    worker.postMessage({ ...request, id });
    if (pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, params: 'params' in request ? (request.params as unknown[] | undefined) : undefined });
    });
  };

  const sql = (tx?: () => { tx: number; begin: boolean; savepoint?: string }, sent?: () => void): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const promise = send({ op: 'query', text, params, ...tx?.() });
      sent?.();
      return (await promise) as T[];
    },
    async exec(text: string) {
      const promise = send({ op: 'exec', text, ...tx?.() });
      sent?.();
      await promise;
    },
  });

  /** Runs `fn` in a transaction; `unsynced`: the commit is answered before it is on disk. */
  const transaction = async <T>(fn: (tx: Sql) => Promise<T>, unsynced: boolean): Promise<T> => {
    const id = nextTx++;
    let begun = false;
    let over = false;
    let savepoint: string | undefined;
    const tx = sql(
      () => {
        if (over) throw new Error('Transaction is closed');
        return savepoint === undefined ? { tx: id, begin: !begun } : { tx: id, begin: !begun, savepoint };
      },
      () => {
        begun = true;
        savepoint = undefined;
      },
    );
    tx.savepoint = (name) => {
      savepoint = name;
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      over = true;
      if (begun) await send({ op: 'rollback', tx: id });
      throw err;
    }
    over = true;
    if (begun) await send(unsynced ? { op: 'commit', tx: id, unsynced: true } : { op: 'commit', tx: id });
    return result;
  };

  return {
    kind: 'pglite',
    ...sql(),
    transaction: (fn) => transaction(fn, false),
    // Only a durable data directory has a sync to wait for: elsewhere a commit is answered as made anyway.
    ...(dataDir !== undefined &&
      durability === 'durable' && {
        /**
         * The commit is answered as soon as PGlite has made it, and the sync asked for after that
         * answer: the thread's next requests (the group commit's next round) run while the disk
         * catches up, and one sync covers every commit before it.
         */
        async transactionUnsynced<T>(fn: (tx: Sql) => Promise<T>) {
          const value = await transaction(fn, true);
          const synced = send({ op: 'sync' }).then(() => {});
          // A caller that stops waiting (the process closing) must not leave an unhandled rejection behind.
          synced.catch(() => {});
          return { value, synced };
        },
      }),
    async ping() {
      if (closed) return false;
      await send({ op: 'ping' });
      return true;
    },
    async close() {
      if (closed) return;
      try {
        // A thread that died has nothing left to close.
        if (!failure) await send({ op: 'close' });
      } finally {
        closed = true;
        await worker.terminate();
      }
    },
  };
}
