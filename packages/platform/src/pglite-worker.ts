/**
 * The thread that owns the embedded database (started by `openPglite`): one PGlite instance, its
 * statements run by `PgliteStatements` exactly as they run in-process, so locking, prepared
 * statements, decoding and errors are the same. Each request is started as it arrives; PGlite's
 * own locks order them, so a statement from outside waits for an open transaction to end.
 */
import { mkdirSync } from 'node:fs';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import { type DurableNodeFS, type EmbeddedDurability, newPglite } from './pglite-durable-fs.ts';
import { PgliteStatements, type TxStatements } from './pglite-statements.ts';
import { type Reply, type Request, toWire } from './pglite-thread-protocol.ts';

function ownPort(): MessagePort {
  if (!parentPort) throw new Error('pglite-worker runs as a worker thread');
  return parentPort;
}
const port = ownPort();
const { dataDir, durability } = workerData as { dataDir: string | undefined; durability: EmbeddedDurability };

/** A transaction opened by a caller on the other thread, until its commit or rollback arrives. */
interface OpenTx {
  handle: Promise<TxStatements>;
  finish(commit: boolean): void;
  done: Promise<void>;
}

/** What a rollback request throws into the transaction, so `PgliteStatements` rolls it back. */
const ROLLBACK = Symbol('rollback');

/**
 * True when a request may commit (a transaction's end, a statement outside one): its answer waits
 * for what it wrote to be on disk, unless the caller asked to hear of the commit first and to
 * `sync` after it.
 */
const commits = (req: Request): boolean =>
  (req.op === 'commit' && !req.unsynced) || ((req.op === 'query' || req.op === 'exec') && req.tx === undefined);

async function serve(db: PGlite, fs: DurableNodeFS | undefined): Promise<void> {
  const statements = new PgliteStatements(db);
  const open = new Map<number, OpenTx>();

  const begin = (): OpenTx => {
    let handOver!: (tx: TxStatements) => void;
    let finish!: (commit: boolean) => void;
    const decided = new Promise<void>((resolve, reject) => {
      finish = (commit) => (commit ? resolve() : reject(ROLLBACK));
    });
    const done = statements.transaction(async (tx) => {
      handOver(tx);
      await decided;
    });
    // Settled by the commit or rollback request; this only keeps an unawaited end from crashing the thread.
    done.catch(() => {});
    const handle = new Promise<TxStatements>((resolve, reject) => {
      handOver = resolve;
      // The transaction could not start (the database closed): its statements fail, not wait.
      done.then(() => reject(new Error('Transaction is closed')), reject);
    });
    return { handle, finish, done };
  };

  const target = async (req: { tx?: number; begin?: boolean }): Promise<Pick<TxStatements, 'query' | 'exec'> & Partial<TxStatements>> => {
    if (req.tx === undefined) return statements;
    if (req.begin) open.set(req.tx, begin());
    const tx = open.get(req.tx);
    if (!tx) throw new Error('Transaction is closed');
    return tx.handle;
  };

  const end = async (txId: number, commit: boolean): Promise<void> => {
    const tx = open.get(txId);
    if (!tx) return;
    open.delete(txId);
    tx.finish(commit);
    try {
      await tx.done;
    } catch (err) {
      if (err !== ROLLBACK) throw err;
    }
  };

  const run = async (req: Request): Promise<unknown[] | undefined> => {
    switch (req.op) {
      case 'query': {
        const tx = await target(req);
        if (req.savepoint) tx.savepoint?.(req.savepoint);
        return (await tx.query(req.text, req.params)).rows;
      }
      case 'exec': {
        const tx = await target(req);
        if (req.savepoint) tx.savepoint?.(req.savepoint);
        await tx.exec(req.text);
        return undefined;
      }
      case 'commit':
      case 'rollback':
        await end(req.tx, req.op === 'commit');
        return undefined;
      case 'sync':
        await fs?.flush();
        return undefined;
      case 'ping':
        await db.query('select 1');
        return undefined;
      case 'close':
        await db.close();
        return undefined;
    }
  };

  port.on('message', (req: Request) => {
    const noted = fs?.noted;
    run(req)
      .then(async (rows) => {
        // Group commit: what this request committed is on disk before it is answered.
        if (fs && commits(req) && fs.noted !== noted) await fs.flush();
        return rows;
      })
      .then(
        (rows) => reply({ id: req.id, rows }),
        (err: unknown) => reply({ id: req.id, error: toWire(err, 'params' in req ? req.params : undefined) }),
      );
  });
}

/** Every request is answered: a value that cannot be cloned across (none is expected) becomes the error. */
function reply(message: Reply): void {
  try {
    port.postMessage(message);
  } catch (err) {
    port.postMessage({ id: message.id, error: toWire(err) } satisfies Reply);
  }
}

try {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const { db, fs } = await newPglite(dataDir, durability);
  await serve(db, fs);
  reply({ id: 0 });
} catch (err) {
  reply({ id: 0, error: toWire(err) });
}
