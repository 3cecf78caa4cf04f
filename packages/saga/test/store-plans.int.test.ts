import { randomUUID } from 'node:crypto';
import { type Db, migrate, openPglite } from '@campusg/platform';
import { type SagaState, sagaStore, sagaStoreMigrations } from '@campusg/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericPlan, recording } from '../../../test/support/plans.ts';

/**
 * The statement that saves a round's decisions joins its input (a jsonb parameter, which the planner
 * counts as 100 rows whatever it holds) to the instances. On a table of a few thousand instances a
 * generic plan would rather scan them all than look 100 up: the statement must also name the ids
 * in a form the planner counts as few, so the primary key finds them at any size.
 */
describe('saga store: saving decisions finds the instances by their primary key on a table of thousands', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, 'sagas', sagaStoreMigrations());
    await db.exec(`insert into sagas.instances (id, type, key, business_key, exclusive, status, state, version, started_at, updated_at)
      select gen_random_uuid(), 'create-order', gen_random_uuid()::text, gen_random_uuid()::text, false, 'COMPLETED', '{}', 1, now(), now()
      from generate_series(1, 5000)`);
    await db.exec('analyze sagas.instances');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('saveMany: an index scan of sagas.instances, no sequential scan', async () => {
    const id = randomUUID();
    const state = {
      id,
      type: 'create-order',
      key: randomUUID(),
      status: 'RUNNING',
      phase: 'forward',
      stepIndex: 1,
      compensations: [],
      compensated: 0,
      awaiting: [],
      attempts: 1,
      deadlineAt: null,
      data: {},
      error: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
    } as SagaState<unknown>;
    const { sql, statements } = recording(db);
    // No such instance: the statement saves nothing, and says so.
    expect(await sagaStore.saveMany(sql, [{ state, version: 1, history: [], now: new Date() }])).toEqual([id]);
    const [saved] = statements;
    const plan = await genericPlan(db, saved!.text, saved!.params, { seqScans: true });
    expect(plan).toContain('"Index Name":"instances_pkey"');
    expect(plan).not.toMatch(
      /"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"instances"/,
    );
    expect(plan).not.toMatch(/"Seq Scan"[^}]*"Relation Name":"instances"/);
  });
});
