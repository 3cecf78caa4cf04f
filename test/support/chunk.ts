import type { TypedMessage } from '@campusg/contracts';
import type { HandlerContext, Handlers } from '@campusg/messaging';
import type { Db, Sql } from '@campusg/platform';
import { handlerContext } from './handler-context.ts';

/** `tx` with every statement it runs, the ones written at the commit included, counted by its first `words` words. */
export function countingSql(tx: Sql, counts: Map<string, number>, words = 3): Sql {
  const count = (text: string) => {
    const kind = text.replace(/\s+/g, ' ').trim().split(' ').slice(0, words).join(' ');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  };
  const counted: Sql = {
    query: (text, params) => {
      count(text);
      return tx.query(text, params);
    },
    exec: (text) => tx.exec(text),
  };
  if (tx.atCommit)
    counted.atCommit = (key, value, write) => tx.atCommit!(key, value, (inner, values) => write(countingSql(inner, counts, words), values));
  return counted;
}

/**
 * Handles `batch` as the bus handles a chunk: in one transaction of `db`, in order, each handler
 * told the whole batch; every statement counted by its first `words` words (`countingSql`).
 * `before` runs first in the transaction, uncounted.
 */
export async function handleChunk(
  db: Db,
  handlers: Handlers,
  batch: TypedMessage[],
  options: { counts?: Map<string, number>; words?: number; before?: (tx: Sql) => Promise<void> } = {},
): Promise<{ replies: TypedMessage[]; counts: Map<string, number> }> {
  const replies: TypedMessage[] = [];
  const counts = options.counts ?? new Map<string, number>();
  await db.transaction(async (raw) => {
    await options.before?.(raw);
    const tx = countingSql(raw, counts, options.words);
    for (const m of batch) {
      const ctx: HandlerContext = { ...handlerContext(tx, m, replies), batch };
      await (handlers[m.type] as (m: TypedMessage, c: HandlerContext) => Promise<void>)(m, ctx);
    }
  });
  return { replies, counts };
}
