import type { Db } from '@campusg/platform';

/**
 * The plan a prepared statement comes to after its first runs, the generic one, which cannot look at
 * the parameters: as `explain (format json)` gives it, with sequential scans priced out so an index
 * that can answer the statement is chosen on a table of a few rows too. A partial index is only
 * usable if the statement's own text implies its predicate.
 */
export async function genericPlan(db: Db, text: string, params: readonly unknown[] = []): Promise<string> {
  const literal = (v: unknown) => `'${String(v instanceof Date ? v.toISOString() : v).replaceAll("'", "''")}'`;
  const name = `plan_${crypto.randomUUID().replaceAll('-', '')}`;
  const [plan] = await db.transaction(async (tx) => {
    await tx.exec('set local enable_seqscan = off');
    await tx.exec('set local plan_cache_mode = force_generic_plan');
    await tx.exec(`prepare ${name} as ${text}`);
    return tx.query<{ 'QUERY PLAN': unknown }>(`explain (format json) execute ${name}(${params.map(literal).join(', ')})`);
  });
  return JSON.stringify(plan!['QUERY PLAN']);
}
