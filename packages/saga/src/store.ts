import type { SagaStatus } from '@campusg/contracts';
import { AppError, type Sql } from '@campusg/platform';
import type { HistoryEntry, SagaState } from './state.ts';

export interface StoredSaga<D = unknown> {
  state: SagaState<D>;
  version: number;
  startedBy: string | null;
}

const ACTIVE = `status in ('RUNNING', 'COMPENSATING')`;

/** Saga instances and their append-only history, in the `sagas` schema. */
export const sagaStore = {
  /** Inserts a new instance unless one already holds its business key; returns the holder's id. */
  async insert(
    tx: Sql,
    state: SagaState<unknown>,
    opts: { businessKey: string; exclusive: boolean; startedBy: string | null; now: Date },
  ): Promise<{ id: string; created: boolean }> {
    const inserted = await tx.query<{ id: string }>(
      `insert into sagas.instances (id, type, key, business_key, exclusive, status, deadline_at, started_by, state, started_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $10)
       on conflict (business_key) where exclusive or ${ACTIVE} do nothing returning id`,
      [
        state.id,
        state.type,
        state.key,
        opts.businessKey,
        opts.exclusive,
        state.status,
        state.deadlineAt,
        opts.startedBy,
        JSON.stringify(state),
        opts.now,
      ],
    );
    if (inserted[0]) return { id: inserted[0].id, created: true };
    const [existing] = await tx.query<{ id: string }>(
      `select id from sagas.instances where business_key = $1 and (exclusive or ${ACTIVE}) limit 1`,
      [opts.businessKey],
    );
    if (!existing) throw new AppError('TRANSIENT', 'saga start raced with its end; retry');
    return { id: existing.id, created: false };
  },

  /** Loads an instance for a decision, locking its row (PostgreSQL) so one orchestrator decides at a time. */
  async load<D>(tx: Sql, id: string, type?: string): Promise<StoredSaga<D> | undefined> {
    const rows = await tx.query<{ state: SagaState<D>; version: number; started_by: string | null }>(
      `select state, version, started_by from sagas.instances where id = $1 ${type ? 'and type = $2' : ''} for update`,
      type ? [id, type] : [id],
    );
    const row = rows[0];
    return row && { state: row.state, version: row.version, startedBy: row.started_by };
  },

  /** Saves a decision with optimistic concurrency: a stale version is a retryable conflict. */
  async save(tx: Sql, state: SagaState<unknown>, version: number, history: HistoryEntry[], now: Date): Promise<void> {
    const updated = await tx.query(
      `update sagas.instances set status = $3, deadline_at = $4, state = $5::jsonb, version = version + 1,
         ended_at = $6, updated_at = $7
       where id = $1 and version = $2 returning 1`,
      [state.id, version, state.status, state.deadlineAt, JSON.stringify(state), state.endedAt, now],
    );
    if (updated.length === 0) throw new AppError('TRANSIENT', `saga ${state.id} changed concurrently`);
    await appendHistory(tx, state.id, history);
  },

  appendHistory,

  async history(tx: Sql, id: string): Promise<HistoryEntry[]> {
    return tx.query<HistoryEntry>(
      `select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, kind, type, message_id as "messageId", note
       from sagas.history where saga_id = $1 order by seq`,
      [id],
    );
  },

  async due(tx: Sql, type: string, now: Date, limit: number): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      `select id from sagas.instances where type = $1 and ${ACTIVE} and deadline_at <= $2 order by deadline_at limit $3`,
      [type, now, limit],
    );
    return rows.map((r) => r.id);
  },

  async nextDeadline(tx: Sql, type: string): Promise<Date | null> {
    const [row] = await tx.query<{ at: Date | null }>(`select min(deadline_at) as at from sagas.instances where type = $1 and ${ACTIVE}`, [
      type,
    ]);
    return row?.at ? new Date(row.at) : null;
  },

  /** Instances, newest first, optionally of one status, type or key (for operators). */
  async list(tx: Sql, filter: { status?: SagaStatus; type?: string; key?: string; limit: number }) {
    return tx.query<{
      id: string;
      type: string;
      key: string;
      status: SagaStatus;
      started_at: Date;
      ended_at: Date | null;
      state: SagaState;
    }>(
      `select id, type, key, status, started_at, ended_at, state from sagas.instances
       where ($1::text is null or status = $1) and ($2::text is null or type = $2) and ($3::text is null or key = $3)
       order by started_at desc limit $4`,
      [filter.status ?? null, filter.type ?? null, filter.key ?? null, filter.limit],
    );
  },
};

async function appendHistory(tx: Sql, sagaId: string, entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const [row] = await tx.query<{ n: number }>('select coalesce(max(seq), 0)::int as n from sagas.history where saga_id = $1', [sagaId]);
  const base = row?.n ?? 0;
  const values: unknown[] = [sagaId];
  const tuples = entries.map((e, i) => {
    values.push(base + i + 1, e.at, e.kind, e.type, e.messageId, e.note);
    const b = i * 6 + 1;
    return `($1, $${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
  });
  await tx.query(`insert into sagas.history (saga_id, seq, at, kind, type, message_id, note) values ${tuples.join(',')}`, values);
}
