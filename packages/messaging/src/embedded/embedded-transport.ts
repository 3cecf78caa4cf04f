import { GROUP_TOPICS, type TopicSpec } from '@campusg/contracts';
import type { Db, PruneTask, Sql } from '@campusg/platform';
import { partitionFor } from '../partitioner.ts';
import { Signal } from '../signal.ts';
import type {
  BatchHandler,
  ConsumedRecord,
  GroupLag,
  OutgoingRecord,
  ResetTarget,
  SubscribeOptions,
  Subscription,
  Transport,
} from '../transport.ts';
import { forgetUnreadTopics, groupLag, LaterOffsets, writeOffsets } from './group-offsets.ts';
import { type PendingAppend, writeAppends } from './log-append.ts';
import { LogOffsets } from './log-offsets.ts';
import { readLog } from './log-read.ts';
import { logRetention } from './log-retention.ts';
import { PartitionWorker } from './partition-worker.ts';
import { resetGroupOffsets } from './reset-offsets.ts';
import { Tail } from './tail.ts';

const SCHEMA_SQL = `
create schema if not exists bus;
create table if not exists bus.topics (name text primary key, partitions int not null, retention_ms bigint not null);
create table if not exists bus.partitions (topic text not null, partition int not null, next_offset bigint not null default 0,
  primary key (topic, partition));
create table if not exists bus.messages (topic text not null, partition int not null, "offset" bigint not null,
  key text, value text not null, headers jsonb not null, ts timestamptz not null default now(),
  primary key (topic, partition, "offset"));
create index if not exists messages_ts on bus.messages (ts);
create table if not exists bus.group_offsets (group_id text not null, topic text not null, partition int not null,
  next_offset bigint not null, primary key (group_id, topic, partition));
alter table bus.messages add column if not exists outbox boolean not null default false;`;

export interface EmbeddedTransportOptions {
  batchSize?: number;
  /** Records of each partition kept in memory after their append committed, for this process's consumers. */
  tailSize?: number;
  /** How often a consumer commits its offset at most; what it handled is committed within this time (default 250 ms). */
  commitIntervalMs?: number;
  /** How often an idle partition looks for records written by another process. */
  pollIntervalMs?: number;
  /**
   * The consumer groups the deployment declares, with the topics each reads (default: the
   * contract's `GROUP_TOPICS`): `ensureTopics` forgets their positions in any other topic.
   */
  groups?: Readonly<Record<string, readonly string[]>>;
  onError?: (err: unknown, where: string) => void;
}

/** @internal a subscription: one member of a consumer group in this process */
export interface Member {
  id: number;
  groupId: string;
  topics: string[];
  handleBatch: BatchHandler;
  fromBeginning: boolean;
  owned: Set<string>;
  /**
   * An ephemeral member (a group of its own): where each partition (`topic:partition`) starts, the
   * end of the log when it subscribed. It never commits.
   */
  startAt?: Map<string, number>;
}

/**
 * The embedded bus: a Kafka-like log in the database (schema `bus`). Topics have partitions; a record
 * is appended at the next offset of the partition its key hashes to; consumer groups commit offsets
 * per partition; members of one group split the partitions. Because the log lives in the same
 * database as the services, `appendIn` lets a service write its outgoing messages inside its own
 * transaction: the outbox and the log are one write.
 */
export class EmbeddedTransport implements Transport {
  readonly name = 'embedded' as const;
  readonly capabilities = { replay: true };
  readonly #db: Db;
  readonly #opts: Required<Omit<EmbeddedTransportOptions, 'onError'>> & Pick<EmbeddedTransportOptions, 'onError'>;
  readonly #partitions = new Map<string, number>();
  readonly #members = new Map<string, Member[]>();
  readonly #workers = new Map<string, PartitionWorker>();
  readonly #signals = new Map<string, Signal>();
  /** The newest committed records of each partition (`topic:partition`), as the log holds them. */
  readonly #tails = new Map<string, Tail>();
  /** One rebalance at a time per group; groups never wait for each other. */
  readonly #rebalancing = new Map<string, Promise<void>>();
  readonly #offsets: LogOffsets;
  /** Offsets not stored with a handling's effects, written together (see `LaterOffsets`). */
  readonly #later: LaterOffsets;
  #nextMemberId = 1;
  #closed = false;

  constructor(db: Db, options: EmbeddedTransportOptions = {}) {
    this.#db = db;
    this.#offsets = new LogOffsets(db.kind === 'pglite');
    this.#opts = {
      batchSize: options.batchSize ?? 200,
      tailSize: options.tailSize ?? 1000,
      commitIntervalMs: options.commitIntervalMs ?? 250,
      // Appends in this process wake their partitions directly; polling only catches writes from elsewhere.
      pollIntervalMs: options.pollIntervalMs ?? 5000,
      groups: options.groups ?? GROUP_TOPICS,
      onError: options.onError,
    };
    this.#later = new LaterOffsets(db, this.#opts.commitIntervalMs, (err) => this.#opts.onError?.(err, 'commit offsets'));
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.#db.exec(SCHEMA_SQL);
    await this.#db.transaction(async (tx) => {
      for (const t of topics) {
        await tx.query(
          `insert into bus.topics (name, partitions, retention_ms) values ($1, $2, $3)
           on conflict (name) do update set retention_ms = excluded.retention_ms`,
          [t.name, t.partitions, t.retentionMs],
        );
        const [row] = await tx.query<{ partitions: number }>('select partitions from bus.topics where name = $1', [t.name]);
        const n = Math.max(row?.partitions ?? t.partitions, t.partitions);
        if (n !== row?.partitions) await tx.query('update bus.topics set partitions = $2 where name = $1', [t.name, n]);
        for (let p = 0; p < n; p++) {
          await tx.query('insert into bus.partitions (topic, partition) values ($1, $2) on conflict do nothing', [t.name, p]);
        }
      }
      await forgetUnreadTopics(tx, this.#opts.groups);
    });
    await this.#loadTopics();
  }

  async #loadTopics(): Promise<void> {
    const rows = await this.#db.query<{ name: string; partitions: number }>('select name, partitions from bus.topics');
    for (const r of rows) this.#partitions.set(r.name, r.partitions);
  }

  /**
   * Appends records to the log inside the caller's transaction and returns what it wrote; pass that
   * to `notifyAppended` once the transaction has committed. `outbox`: the caller's transaction
   * decided these messages, so each is in the log once (consumed records say `unique`). In a
   * group-committed transaction on PGlite (one writer, offsets counted in memory) the records are
   * written with those of the other parts, in one statement at the commit, and take their offsets
   * then: a part rolled back leaves no gap.
   */
  async appendIn(tx: Sql, records: OutgoingRecord[], options: { outbox?: boolean } = {}): Promise<Appended> {
    const outbox = options.outbox === true;
    if (records.length === 0) return { partitions: [], records: [] };
    const timestamp = new Date();
    const written: ConsumedRecord[] = records.map((r) => {
      const n = this.#partitions.get(r.topic);
      if (n === undefined) throw new Error(`unknown topic ${r.topic}`);
      // The offset is taken when the records are written (below, or at the commit of a group-committed transaction).
      const record: ConsumedRecord = {
        topic: r.topic,
        partition: partitionFor(r.topic, r.key, n),
        offset: -1,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp,
      };
      if (outbox) record.unique = true;
      return record;
    });
    const append: PendingAppend = { records: written, outbox };
    if (tx.atCommit && this.#db.kind === 'pglite')
      tx.atCommit('bus.messages', append, (t, appends) => writeAppends(t, this.#offsets, appends as PendingAppend[]));
    else await writeAppends(tx, this.#offsets, [append]);
    return { partitions: [...new Set(written.map((r) => `${r.topic}:${r.partition}`))], records: written };
  }

  /**
   * After the commit that appended them: keeps the records in the partitions' tails (so this
   * process's consumers need not read back what it just wrote) and wakes their consumers. Without an
   * argument, wakes every partition (records written elsewhere are read from the database).
   */
  notifyAppended(appended?: Appended): void {
    if (!appended) {
      this.#tails.clear();
      for (const s of this.#signals.values()) s.notify();
      return;
    }
    this.#offsets.confirm(appended.records);
    for (const r of appended.records) this.#tail(`${r.topic}:${r.partition}`).add(r);
    for (const tp of appended.partitions) this.signal(tp).notify();
  }

  #tail(tp: string): Tail {
    let t = this.#tails.get(tp);
    if (!t) {
      t = new Tail(this.#opts.tailSize);
      this.#tails.set(tp, t);
    }
    return t;
  }

  /**
   * @internal Up to `limit` records from `offset` on, if this process appended them: `[]` when it
   * knows of nothing newer, `null` when it cannot tell (the database has to be read).
   */
  fromTail(tp: string, offset: number, limit: number): ConsumedRecord[] | null {
    return this.#tails.get(tp)?.from(offset, limit) ?? null;
  }

  /** @internal the wake-up of one partition */
  signal(tp: string): Signal {
    let s = this.#signals.get(tp);
    if (!s) {
      s = new Signal();
      this.#signals.set(tp, s);
    }
    return s;
  }

  async publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const appended = await this.#db.transaction((tx) => this.appendIn(tx, records));
    this.notifyAppended(appended);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const t of options.topics) if (!this.#partitions.has(t)) throw new Error(`unknown topic ${t}`);
    const id = this.#nextMemberId++;
    const member: Member = {
      id,
      // An ephemeral member is a group of its own, under a name of its own.
      groupId: options.ephemeral ? `${options.groupId}~ephemeral-${id}` : options.groupId,
      topics: options.topics,
      handleBatch: options.handleBatch,
      fromBeginning: options.fromBeginning ?? true,
      owned: new Set(),
      startAt: options.ephemeral ? await this.#ends(options.topics) : undefined,
    };
    const list = this.#members.get(member.groupId) ?? [];
    list.push(member);
    this.#members.set(member.groupId, list);
    await this.#rebalance(member.groupId);
    return {
      close: async () => {
        const members = this.#members.get(member.groupId) ?? [];
        this.#members.set(
          member.groupId,
          members.filter((m) => m !== member),
        );
        await this.#rebalance(member.groupId);
        // Nothing of an ephemeral member outlives it.
        if (member.startAt && this.#members.get(member.groupId)?.length === 0) {
          this.#members.delete(member.groupId);
          this.#rebalancing.delete(member.groupId);
        }
      },
      assignment: () => [...member.owned].sort(),
    };
  }

  /** Range-assigns every partition of the group's topics over its members; revokes before it assigns. */
  #rebalance(groupId: string): Promise<void> {
    const run = async () => {
      const members = (this.#members.get(groupId) ?? []).sort((a, b) => a.id - b.id);
      const desired = new Map<string, Member>();
      const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
      for (const topic of topics) {
        const eligible = members.filter((m) => m.topics.includes(topic));
        const n = this.#partitions.get(topic) ?? 0;
        for (let p = 0; p < n; p++) desired.set(`${topic}:${p}`, eligible[p % eligible.length]!);
      }
      const prefix = `${groupId}|`;
      for (const [k, worker] of this.#workers) {
        if (!k.startsWith(prefix)) continue;
        const tp = k.slice(prefix.length);
        if (desired.get(tp) !== worker.member) {
          await worker.stop();
          worker.member.owned.delete(tp);
          this.#workers.delete(k);
        }
      }
      for (const [tp, member] of desired) {
        const k = prefix + tp;
        if (this.#workers.has(k)) continue;
        const [topic, p] = tp.split(':') as [string, string];
        const worker = new PartitionWorker(this, member, topic, Number(p));
        this.#workers.set(k, worker);
        member.owned.add(tp);
        worker.start();
      }
    };
    const next = (this.#rebalancing.get(groupId) ?? Promise.resolve()).then(run, run);
    this.#rebalancing.set(groupId, next);
    return next;
  }

  /** Where each partition of `topics` ends now (`topic:partition` → the next offset). */
  async #ends(topics: string[]): Promise<Map<string, number>> {
    const rows = await this.#db.query<{ topic: string; partition: number; end_offset: number }>(
      `select p.topic, p.partition, ${this.#offsets.endSql('p')} as end_offset from bus.partitions p where p.topic = any($1)`,
      [topics],
    );
    return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.end_offset)]));
  }

  /** @internal used by partition workers */
  async committedOffset(groupId: string, topic: string, partition: number, fromBeginning: boolean): Promise<number> {
    const [row] = await this.#db.query<{ next_offset: number }>(
      'select next_offset from bus.group_offsets where group_id = $1 and topic = $2 and partition = $3',
      [groupId, topic, partition],
    );
    if (row) return row.next_offset;
    if (fromBeginning) return 0;
    // Starting at the end: record that position as the group's commit, so a failed first batch or a
    // rebalance resumes from it instead of from a later end (which would skip records).
    const [start] = await this.#db.query<{ next_offset: number }>(
      `insert into bus.group_offsets (group_id, topic, partition, next_offset)
       select $1, p.topic, p.partition, ${this.#offsets.endSql('p')} from bus.partitions p where p.topic = $2 and p.partition = $3
       on conflict (group_id, topic, partition) do update set next_offset = bus.group_offsets.next_offset
       returning next_offset`,
      [groupId, topic, partition],
    );
    return start?.next_offset ?? 0;
  }

  /**
   * @internal commits a group's offset, in `tx` when given (with the handling's effects). In a
   * group-committed transaction the offsets of all its parts are written together, at its commit.
   */
  async commit(groupId: string, topic: string, partition: number, nextOffset: number, tx: Sql = this.#db): Promise<void> {
    if (tx.atCommit) {
      tx.atCommit('bus.group_offsets', { groupId, topic, partition, nextOffset }, writeOffsets);
      return;
    }
    await writeOffsets(tx, [{ groupId, topic, partition, nextOffset }]);
  }

  /**
   * @internal commits a group's offset within `commitIntervalMs`, with every other one waiting, in
   * one statement; `flushOffsets` writes them at once.
   */
  commitLater(groupId: string, topic: string, partition: number, nextOffset: number): void {
    this.#later.add({ groupId, topic, partition, nextOffset });
  }

  /** @internal writes the offsets `commitLater` holds; resolves once they are stored. */
  flushOffsets(): Promise<void> {
    return this.#later.flush();
  }

  read(topic: string, partition: number, fromOffset: number, limit: number): Promise<ConsumedRecord[]> {
    return readLog(this.#db, topic, partition, fromOffset, limit);
  }

  lag(groupId: string, topics: string[]): Promise<GroupLag[]> {
    return groupLag(this.#db, (p) => this.#offsets.endSql(p), groupId, topics);
  }

  /** The log keeps its records until retention drops them: `earliest` is the group's first read again. */
  async resetGroup(groupId: string, topics: string[], to: ResetTarget): Promise<void> {
    if (this.#members.get(groupId)?.length)
      throw new Error(`the group ${groupId} has live members: close its consumers before resetting it`);
    await resetGroupOffsets(this.#db, (p) => this.#offsets.endSql(p), groupId, topics, to);
  }

  async ping(): Promise<boolean> {
    return !this.#closed && (await this.#db.ping());
  }

  /** @internal the database of the log and the groups' offsets */
  get database(): Db {
    return this.#db;
  }

  /** @internal */
  get options() {
    return this.#opts;
  }

  /**
   * The log's retention, for the process's pruner: a record goes once it is older than its topic's
   * retention **and** every group that reads its partition has committed past it (`log-retention.ts`).
   */
  get retention(): PruneTask {
    return logRetention(this.#db, () => this.#closed);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const groups = [...this.#members.keys()];
    this.#members.clear();
    await Promise.all(groups.map((g) => this.#rebalance(g)));
    await this.#later.flush();
  }
}

/** What one `appendIn` wrote: the partitions (`topic:partition`) and the records with their offsets. */
export interface Appended {
  partitions: string[];
  records: ConsumedRecord[];
}
