import { protocol, TransactionAbortedError } from '@electric-sql/pglite';

/**
 * What the thread that owns a PGlite instance is asked to do. Statements of an open transaction
 * carry its id; the first also carries `begin`, so opening it costs no message of its own, and a
 * statement may carry a `savepoint` to set just before it.
 */
export type Request =
  | { id: number; op: 'query'; text: string; params?: unknown[]; tx?: number; begin?: boolean; savepoint?: string }
  | { id: number; op: 'exec'; text: string; tx?: number; begin?: boolean; savepoint?: string }
  | {
      id: number;
      op: 'commit' | 'rollback';
      tx: number;
      /** Answer once committed, before it is on disk (see `sync`). */
      unsynced?: true;
    }
  /** `sync`: answers once every commit answered before it is on disk. */
  | { id: number; op: 'sync' | 'ping' | 'close' };

/** The answer to request `id` (0: the database is open): rows, or the error it failed with. */
export type Reply = { id: number; rows?: unknown[] } | { id: number; error: WireError };

/**
 * An error as it crosses between threads. Structured cloning keeps an error's message but drops
 * its class and its fields (`code`, `constraint`, …), which callers read: both travel here.
 */
export interface WireError {
  kind: 'database' | 'aborted' | 'error';
  name: string;
  message: string;
  stack: string | undefined;
  /** The error's own fields whose values are plain data, and `params` unless they are the caller's. */
  fields: Record<string, unknown>;
  /** The error carries the parameters the caller sent: the caller attaches its own array again. */
  callerParams: boolean;
}

const { DatabaseError } = protocol.messages;

const plain = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol');

/** @param sent the parameters as this thread received them, if any. */
export function toWire(err: unknown, sent?: unknown[]): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  const callerParams = sent !== undefined && (e as { params?: unknown }).params === sent;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (plain(v) || (k === 'params' && !callerParams)) fields[k] = v;
  const kind = e instanceof TransactionAbortedError ? 'aborted' : e instanceof DatabaseError ? 'database' : 'error';
  return { kind, name: e.name, message: e.message, stack: e.stack, fields, callerParams };
}

/** The error as the thread that threw it had it: same class, message and fields; `params` the caller's own. */
export function fromWire(w: WireError, params: unknown[] | undefined): Error {
  const err =
    w.kind === 'aborted'
      ? new TransactionAbortedError()
      : w.kind === 'database'
        ? new DatabaseError(w.message, 0, 'error')
        : new Error(w.message);
  Object.assign(err, w.fields);
  if (err.name !== w.name) Object.assign(err, { name: w.name });
  if (w.callerParams) Object.assign(err, { params });
  err.stack = w.stack;
  return err;
}
