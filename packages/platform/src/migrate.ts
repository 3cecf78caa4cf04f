import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './db.ts';

export interface Migration {
  id: string;
  sql: string;
}

/** Reads `NNN_name.sql` files from a folder, in name order. */
export function loadMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ id: f.replace(/\.sql$/, ''), sql: readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Applies the migrations a schema has not seen yet, each in its own transaction, recorded in
 * `<schema>.schema_migrations`. Instances starting together are serialised by an advisory lock,
 * so running it again (or from several processes) is a no-op.
 */
export async function migrate(db: Db, schema: string, migrations: Migration[]): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`campusg-migrate:${schema}`]);
    await tx.exec(`create schema if not exists ${schema};
      create table if not exists ${schema}.schema_migrations (id text primary key, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.query<{ id: string }>(`select id from ${schema}.schema_migrations`)).map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query(`insert into ${schema}.schema_migrations (id) values ($1)`, [m.id]);
      applied.push(m.id);
    }
  });
  return applied;
}
