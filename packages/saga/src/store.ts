import type { SagaStatus } from '@campusg/contracts';
import { AppError, type Sql } from '@campusg/platform';
import type { HistoryEntry, SagaState } from './state.ts';

/** A decision to save: the state it produced, the version it was taken on, its history. */
export interface PendingSave {
  state: SagaState<unknown>;
  version: number;
  history: HistoryEntry[];
  now: Date;
}

export interface StoredSaga<D = unknown> {
  state: SagaState<D>;
  version: number;
  startedBy: string | null;
}

const ACTIVE = `status in ('RUNNING', 'COMPENSATING')`;

/** A history entry's time (`h.at`) as the ISO string the routes show. */
const HISTORY_AT = `to_char(h.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Saga instances and their append-only history, in the `sagas` schema. */
export const sagaStore = {
  /**
   * Inserts a new instance with its first decision (`version` 1) and that decision's history, in
   * one statement, unless an instance already holds its business key: then nothing is written and
   * the holder's id is returned.
   */
  async insert(
    tx: Sql,
    state: SagaState<unknown>,
    opts: { businessKey: string; exclusive: boolean; startedBy: string | null; now: Date; history: HistoryEntry[] },
  ): Promise<{ id: string; created: boolean }> {
    const inserted = await tx.query<{ id: string }>(
      `with inserted as (
         insert into sagas.instances (id, type, key, business_key, exclusive, status, deadline_at, started_by, state,
           started_at, updated_at, ended_at, version, history_seq)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $10, $11, 1, $12)
         on conflict (business_key) where exclusive or ${ACTIVE} do nothing returning id
       ), appended as (
         insert into sagas.history (saga_id, seq, at, kind, type, message_id, note)
         ${HISTORY_ROWS('inserted', '$13', '0')}
       )
       select id from inserted`,
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
        state.endedAt,
        opts.history.length,
        historyJson(opts.history),
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
    return select<D>(tx, id, type, 'for update');
  },

  /** Reads an instance to show it (routes): no lock, so a reader never holds up a decision. */
  async read<D>(sql: Sql, id: string): Promise<StoredSaga<D> | undefined> {
    return select<D>(sql, id, undefined, '');
  },

  /**
   * Saves a decision with optimistic concurrency, and appends its history after the instance's
   * last entry, in one statement: the history is written only if the version matched. A stale
   * version is a retryable conflict.
   */
  async save(tx: Sql, state: SagaState<unknown>, version: number, history: HistoryEntry[], now: Date): Promise<void> {
    const updated = await tx.query(
      `with updated as (
         update sagas.instances set status = $3, deadline_at = $4, state = $5::jsonb, version = version + 1,
           ended_at = $6, updated_at = $7, history_seq = history_seq + $8
         where id = $1 and version = $2 returning id, history_seq - $8 as base
       ), appended as (
         insert into sagas.history (saga_id, seq, at, kind, type, message_id, note)
         ${HISTORY_ROWS('updated', '$9', 'updated.base')}
       )
       select 1 from updated`,
      [state.id, version, state.status, state.deadlineAt, JSON.stringify(state), state.endedAt, now, history.length, historyJson(history)],
    );
    if (updated.length === 0) throw new AppError('TRANSIENT', `saga ${state.id} changed concurrently`);
  },

  /**
   * Saves the decisions of several instances as `save` would, in one statement: each instance's
   * row is updated only if its version still is the one its first decision was taken on, and its
   * history is appended only then. Decisions of one instance are applied in the order given.
   * Returns the ids whose version no longer matched (nothing of theirs was written).
   */
  async saveMany(tx: Sql, decisions: PendingSave[]): Promise<string[]> {
    const byId = new Map<string, { version: number; steps: number; state: SagaState<unknown>; history: HistoryEntry[]; now: Date }>();
    for (const d of decisions) {
      const merged = byId.get(d.state.id);
      if (merged) {
        merged.steps++;
        merged.state = d.state;
        merged.history.push(...d.history);
        merged.now = d.now;
      } else byId.set(d.state.id, { version: d.version, steps: 1, state: d.state, history: [...d.history], now: d.now });
    }
    const input = [...byId.values()].map((d) => ({
      id: d.state.id,
      version: d.version,
      steps: d.steps,
      status: d.state.status,
      deadline_at: d.state.deadlineAt,
      state: d.state,
      ended_at: d.state.endedAt,
      updated_at: d.now,
      n: d.history.length,
      history: historyEntries(d.history),
    }));
    const updated = await tx.query<{ id: string }>(
      `with input as (
         select * from jsonb_to_recordset($1::jsonb) as x(id uuid, version int, steps int, status text, deadline_at timestamptz,
           state jsonb, ended_at timestamptz, updated_at timestamptz, n int, history jsonb)
         where x.id = any($2::uuid[])
       ), updated as (
         update sagas.instances i set status = x.status, deadline_at = x.deadline_at, state = x.state, version = i.version + x.steps,
           ended_at = x.ended_at, updated_at = x.updated_at, history_seq = i.history_seq + x.n
         from input x where i.id = x.id and i.version = x.version
         returning i.id, i.history_seq - x.n as base, x.history
       ), appended as (
         insert into sagas.history (saga_id, seq, at, kind, type, message_id, note)
         ${HISTORY_ROWS('updated', 'updated.history', 'updated.base')}
       )
       select id from updated`,
      // The ids again as an array, that the input is filtered by: the planner cannot count the rows
      // of a jsonb parameter and takes it for 100, so without the filter a generic plan joins by
      // scanning every instance (on tables of a few thousand rows); with it, it counts one row and
      // looks each instance up by its primary key.
      [JSON.stringify(input), [...byId.keys()]],
    );
    const saved = new Set(updated.map((r) => r.id));
    return [...byId.keys()].filter((id) => !saved.has(id));
  },

  /**
   * Reads an instance with its history, oldest entry first, in one statement and without a lock:
   * what a saga's page shows.
   */
  async readWithHistory<D>(sql: Sql, id: string): Promise<(StoredSaga<D> & { history: HistoryEntry[] }) | undefined> {
    const rows = await sql.query<{ state: SagaState<D>; version: number; started_by: string | null; history: HistoryEntry[] }>(
      `select i.state, i.version, i.started_by,
         coalesce((select json_agg(json_build_object(
             'at', ${HISTORY_AT}, 'kind', h.kind, 'type', h.type,
             'messageId', h.message_id, 'note', h.note) order by h.seq)
           from sagas.history h where h.saga_id = i.id), '[]'::json) as history
       from sagas.instances i where i.id = $1`,
      [id],
    );
    const row = rows[0];
    return row && { state: row.state, version: row.version, startedBy: row.started_by, history: row.history };
  },

  /**
   * Whether the instance's history holds a message already (an input it decided or ignored): a
   * reply delivered again is recognised by it, read through the history's primary key.
   */
  async recorded(tx: Sql, id: string, messageId: string): Promise<boolean> {
    const rows = await tx.query(`select 1 from sagas.history where saga_id = $1 and message_id = $2 limit 1`, [id, messageId]);
    return rows.length > 0;
  },

  async history(tx: Sql, id: string): Promise<HistoryEntry[]> {
    return tx.query<HistoryEntry>(
      `select ${HISTORY_AT} as at, h.kind, h.type, h.message_id as "messageId", h.note
       from sagas.history h where h.saga_id = $1 order by h.seq`,
      [id],
    );
  },

  /**
   * The instances of `type` whose step deadline has passed by `now` (at most `limit`, earliest
   * first), and the next deadline after `now`, in one statement (both led by the index of active
   * instances' deadlines).
   */
  async deadlines(tx: Sql, type: string, now: Date, limit: number): Promise<{ due: string[]; next: Date | null }> {
    const [row] = await tx.query<{ due: string[]; next: Date | null }>(
      `select array(select id::text from sagas.instances where type = $1 and ${ACTIVE} and deadline_at <= $2
                    order by deadline_at limit $3) as due,
              (select min(deadline_at) from sagas.instances where type = $1 and ${ACTIVE} and deadline_at > $2) as next`,
      [type, now, limit],
    );
    return { due: row?.due ?? [], next: row?.next ? new Date(row.next) : null };
  },

  /** Instances of every type still running or compensating (led by the partial index of active instances). */
  async inFlight(sql: Sql): Promise<number> {
    const [row] = await sql.query<{ n: number }>(`select count(*)::int as n from sagas.instances where ${ACTIVE}`);
    return row?.n ?? 0;
  },

  async nextDeadline(tx: Sql, type: string): Promise<Date | null> {
    const [row] = await tx.query<{ at: Date | null }>(`select min(deadline_at) as at from sagas.instances where type = $1 and ${ACTIVE}`, [
      type,
    ]);
    return row?.at ? new Date(row.at) : null;
  },

  /** Instances, newest first, optionally of one status, type or key (for operators), from `offset` on. */
  async list(tx: Sql, filter: { status?: SagaStatus; type?: string; key?: string; limit: number; offset?: number }) {
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
       order by started_at desc, id limit $4 offset $5`,
      [filter.status ?? null, filter.type ?? null, filter.key ?? null, filter.limit, filter.offset ?? 0],
    );
  },
};

/**
 * The history rows of one decision, for an `insert ... select` in the statement that writes the
 * instance: one row per entry of the JSON array `param`, numbered after `base`, written only if
 * the `source` CTE (the instance's insert or update) returned its row.
 */
const HISTORY_ROWS = (source: string, param: string, base: string) =>
  `select ${source}.id, ${base} + h.i, h.at, h.kind, h.type, h.message_id, h.note
   from ${source}, jsonb_to_recordset(${param}::jsonb) as h(i int, at timestamptz, kind text, type text, message_id uuid, note text)`;

/** A decision's history entries as the rows `HISTORY_ROWS` and `saveMany` read, numbered from 1. */
const historyEntries = (entries: HistoryEntry[]) =>
  entries.map((e, i) => ({ i: i + 1, at: e.at, kind: e.kind, type: e.type, message_id: e.messageId, note: e.note }));

/** A decision's history entries as the JSON array `HISTORY_ROWS` reads. */
const historyJson = (entries: HistoryEntry[]): string => JSON.stringify(historyEntries(entries));

async function select<D>(sql: Sql, id: string, type: string | undefined, lock: 'for update' | ''): Promise<StoredSaga<D> | undefined> {
  const rows = await sql.query<{ state: SagaState<D>; version: number; started_by: string | null }>(
    `select state, version, started_by from sagas.instances where id = $1 ${type ? 'and type = $2' : ''} ${lock}`,
    type ? [id, type] : [id],
  );
  const row = rows[0];
  return row && { state: row.state, version: row.version, startedBy: row.started_by };
}
