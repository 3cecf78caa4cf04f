import type { Db, Sql } from '@campusg/platform';

/** A parameter as an SQL literal (an array as an array literal). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) {
    const item = (x: unknown) =>
      x === null || x === undefined ? 'NULL' : `"${scalar(x).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    return `'{${v.map(item).join(',').replaceAll("'", "''")}}'`;
  }
  return `'${scalar(v).replaceAll("'", "''")}'`;
}
const scalar = (v: unknown) => String(v instanceof Date ? v.toISOString() : v);

/**
 * The plan a prepared statement comes to after its first runs, the generic one, which cannot look at
 * the parameters: as `explain (format json)` gives it, with sequential scans priced out so an index
 * that can answer the statement is chosen on a table of a few rows too. A partial index is only
 * usable if the statement's own text implies its predicate. With `seqScans`, sequential scans keep
 * their price: on a table of a few thousand rows, the plan the database would really choose.
 */
export async function genericPlan(
  db: Db,
  text: string,
  params: readonly unknown[] = [],
  options: { seqScans?: boolean } = {},
): Promise<string> {
  const name = `plan_${crypto.randomUUID().replaceAll('-', '')}`;
  const [plan] = await db.transaction(async (tx) => {
    if (!options.seqScans) await tx.exec('set local enable_seqscan = off');
    await tx.exec('set local plan_cache_mode = force_generic_plan');
    await tx.exec(`prepare ${name} as ${text}`);
    return tx.query<{ 'QUERY PLAN': unknown }>(`explain (format json) execute ${name}(${params.map(literal).join(', ')})`);
  });
  return JSON.stringify(plan!['QUERY PLAN']);
}

/** `sql` that records the text and parameters of every statement it runs (`statements`). */
export function recording(sql: Sql): { sql: Sql; statements: { text: string; params: unknown[] }[] } {
  const statements: { text: string; params: unknown[] }[] = [];
  return {
    statements,
    sql: {
      query: (text, params = []) => {
        statements.push({ text, params });
        return sql.query(text, params);
      },
      exec: (text) => sql.exec(text),
    },
  };
}
