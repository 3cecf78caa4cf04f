import type { App, AuthHook, Sql } from '@campusg/platform';
import { z } from 'zod';
import { SERVICES } from './services.ts';

/** One table of the platform, as `GET /admin/db/sizes` reports it. */
export interface TableSize {
  schema: string;
  table: string;
  /** Rows counted now, or the planner's estimate with `estimate=true`. */
  rows: number;
  /** On disk, with its indexes and TOAST. */
  bytes: number;
}

/** Every table of the platform's schemas (and the embedded log's `bus`) that exists in `db`, with its size. */
export async function tableSizes(db: Sql, options: { estimate?: boolean } = {}): Promise<TableSize[]> {
  const schemas = [...SERVICES.map((s) => s.schema), 'bus'];
  const tables = await db.query<{ schema: string; table: string; bytes: number; estimate: number }>(
    `select n.nspname as schema, c.relname as table, pg_total_relation_size(c.oid)::bigint as bytes,
            greatest(c.reltuples, 0)::bigint as estimate
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname = any($1) order by 1, 2`,
    [schemas],
  );
  const sizes: TableSize[] = [];
  for (const t of tables) {
    let rows = Number(t.estimate);
    if (!options.estimate) {
      const [count] = await db.query<{ n: number }>(`select count(*)::bigint as n from "${t.schema}"."${t.table}"`);
      rows = Number(count?.n ?? 0);
    }
    sizes.push({ schema: t.schema, table: t.table, rows, bytes: Number(t.bytes) });
  }
  return sizes;
}

/**
 * `GET /admin/db/sizes` (`campusg db sizes`): the rows and bytes of every table of the database the
 * operator's process uses (all of them in the one process; in production, the tables of every
 * schema on the sagas process's database). Rows are counted unless `estimate=true`, which reads the
 * planner's statistics instead (on a large server a count reads the whole table).
 */
export function registerDbSizesRoute(app: App, db: Sql, operator: AuthHook): void {
  app.get(
    '/admin/db/sizes',
    {
      onRequest: operator,
      schema: { hide: true, querystring: z.object({ estimate: z.enum(['true', 'false']).default('false') }) },
    },
    async (req) => {
      const tables = await tableSizes(db, { estimate: req.query.estimate === 'true' });
      return { tables, totalBytes: tables.reduce((n, t) => n + t.bytes, 0) };
    },
  );
}
