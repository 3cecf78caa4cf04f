import { type MessageType, type TypedMessage, topicOf } from '@campusg/contracts';
import type { Emit, Handler, Handlers, MessageBus } from '@campusg/messaging';
import { AppError, type Clock, type Db, type IdGenerator, type Logger, type Metrics, type Sql } from '@campusg/platform';
import type { SagaDefinition, SagaSettings } from './definition.ts';
import { emitDecision } from './effects.ts';
import { type Decision, decide, initialState, type SagaInput } from './engine.ts';
import type { SagaRunner } from './runner.ts';
import { isActive, type SagaState } from './state.ts';
import { type AfterCommit, SagaStateCache } from './state-cache.ts';
import { type PendingSave, type StoredSaga, sagaStore } from './store.ts';

export interface OrchestratorDeps {
  db: Db;
  bus: MessageBus;
  clock: Clock;
  ids: IdGenerator;
  settings: SagaSettings;
  log: Logger;
  metrics: Metrics;
  /** Shared by the orchestrators of one process, so each also knows the others' instances; one of its own if absent. */
  cache?: SagaStateCache;
}

/** A new instance: its data (the definition derives its key and business key), and who asked. */
export interface StartParams<D> {
  data: D;
  startedBy: string | null;
  sagaId?: string;
  /** The caller's hook to run code once its transaction has committed: the new instance is then cached. */
  afterCommit?: AfterCommit;
}

/**
 * Runs one saga definition: starts instances, feeds them replies from the event topics (in the
 * consumer's transaction, with its inbox and outbox), and fires missed step deadlines.
 */
export class SagaOrchestrator<D> implements SagaRunner<D> {
  readonly groupId: string;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #ticking: Promise<number> | undefined;
  #stopped = false;
  /**
   * The earliest step deadline this process knows of: the next one the last check found, lowered
   * by every decision taken here since. The timer reads the store once it has passed, or once a
   * sweep is due (the deadlines of other instances' sagas, an instance that died among them).
   */
  #knownDeadline = Number.NEGATIVE_INFINITY;
  #checkedAt = Number.NEGATIVE_INFINITY;
  readonly #cache: SagaStateCache;
  /** Per transaction, the inputs (`saga id` and `message id`) of decisions it saves at its commit. */
  readonly #unsaved = new WeakMap<Sql, Set<string>>();
  /**
   * Whether a reply's decision may wait for its transaction's commit (see `#save`): not for a group
   * whose other inputs read the instances or start sagas in the transaction of a reply, which must
   * see every decision taken before them as written.
   */
  #savesAtCommit = true;

  constructor(
    readonly def: SagaDefinition<D>,
    private readonly deps: OrchestratorDeps,
  ) {
    this.groupId = def.group;
    this.#cache = deps.cache ?? new SagaStateCache();
  }

  /** Starts a saga inside the caller's transaction. Idempotent per the definition's business key. */
  async start(tx: Sql, emit: Emit, params: StartParams<D>): Promise<{ sagaId: string; created: boolean }> {
    const now = this.deps.clock.now();
    const id = params.sagaId ?? this.deps.ids.uuid();
    // The instance is created by its first decision: one statement writes both, and a business key
    // already held leaves nothing written (the decision, its ids included, is simply dropped).
    const decision = this.#decide(initialState(this.def, { id, data: params.data, now }), { kind: 'start' }, now);
    const { id: sagaId, created } = await sagaStore.insert(tx, decision.state, {
      businessKey: this.def.businessKey(params.data),
      exclusive: this.def.exclusive,
      startedBy: params.startedBy,
      now,
      history: decision.history,
    });
    if (!created) return { sagaId, created };
    this.#cache.saved(tx, sagaId, { state: decision.state, version: 1, startedBy: params.startedBy }, params.afterCommit);
    this.#effects(decision, emit, null);
    return { sagaId, created };
  }

  /**
   * Joins the orchestrator's consumer group on the definition's topics; `extra` handles other inputs
   * (e.g. a timer that starts a saga). Every type handled must come from one of those topics: a
   * handler whose messages never arrive is refused before the group is joined.
   */
  async listen(extra: Handlers = {}): Promise<void> {
    const replyTypes = new Set<MessageType>(this.def.steps.flatMap((s) => Object.keys(s.replies) as MessageType[]));
    // Any reply to a compensating command acknowledges it, so every type the definition lists counts.
    const handlers: Handlers = {};
    const onReply: Handler = async (m, ctx) => void (await this.onMessage(m, ctx.tx, ctx.emit, ctx.afterCommit));
    for (const type of replyTypes) (handlers as Record<string, Handler>)[type] = onReply;
    for (const type of this.def.compensationReplies) (handlers as Record<string, Handler>)[type] ??= onReply;
    Object.assign(handlers, extra);
    if (Object.keys(extra).length > 0) this.#savesAtCommit = false;
    const unread = (Object.keys(handlers) as MessageType[]).filter((type) => !this.def.topics.includes(topicOf(type)));
    if (unread.length > 0)
      throw new Error(
        `${this.groupId} handles ${unread.map((t) => `${t} (${topicOf(t)})`).join(', ')}, from topics it does not read (${this.def.topics.join(', ')})`,
      );
    // The saga's history is its inbox: every reply it takes is written there with the decision, and
    // one delivered again is recognised (`onMessage`), so its own replies need no inbox row. Extra
    // inputs (one that starts a saga) have no such record: the group keeps the inbox for them.
    await this.deps.bus.consume(this.groupId, [...this.def.topics], handlers, { inbox: Object.keys(extra).length > 0 });
  }

  /**
   * Feeds one event to the saga it belongs to (its `correlation_id`), if that saga is of this type.
   * The saga's state comes from the cache when it holds it (see `SagaStateCache`), else from the database.
   * Returns the saga's state after the decision (`undefined` when the message is not for a saga of this type).
   */
  async onMessage(message: TypedMessage, tx: Sql, emit: Emit, afterCommit?: AfterCommit): Promise<SagaState<D> | undefined> {
    const cached = this.#cache.get<D>(tx, message.correlation_id);
    if (cached && cached.state.type !== this.def.type) return undefined;
    const stored = cached ?? (await sagaStore.load<D>(tx, message.correlation_id, this.def.type));
    if (!stored) return undefined;
    const now = this.deps.clock.now();
    const decision = this.#decide(stored.state, { kind: 'reply', message }, now);
    // A reply the saga already took (it answered, or was noted as ignored) comes again: nothing to
    // write. Only a reply that changes nothing but the history can be one: once decided, a reply no
    // longer answers the command in hand.
    if (
      decision.ignored &&
      (this.#savedInTx(tx, stored.state.id, message.message_id) || (await sagaStore.recorded(tx, stored.state.id, message.message_id)))
    )
      return stored.state;
    await this.#save(tx, decision, stored, now, afterCommit);
    this.#effects(decision, emit, message.message_id);
    return decision.state;
  }

  /**
   * Saves a decision taken on `stored`; a conflict means the cached state was stale, so it is
   * dropped. Where the transaction gathers writes for its commit (`atCommit`) and the cache hears
   * of the commit, the decisions of every message in the transaction are saved together there, in
   * one statement (`writeSaves`); until then this transaction sees them through the cache.
   */
  async #save(tx: Sql, decision: Decision<D>, stored: StoredSaga<D>, now: Date, afterCommit: AfterCommit | undefined): Promise<void> {
    const id = decision.state.id;
    const unsaved: Unsaved = {
      save: { state: decision.state, version: stored.version, history: decision.history, now },
      forget: () => this.#cache.forget(id),
    };
    if (this.#savesAtCommit && afterCommit && tx.atCommit) {
      tx.atCommit(SAVES, unsaved, writeSaves);
      const inputs = this.#unsaved.get(tx) ?? new Set<string>();
      this.#unsaved.set(tx, inputs);
      for (const entry of decision.history) if (entry.messageId) inputs.add(`${id} ${entry.messageId}`);
    } else await writeSaves(tx, [unsaved]);
    this.#cache.saved(tx, id, { state: decision.state, version: stored.version + 1, startedBy: stored.startedBy }, afterCommit);
  }

  /** Whether a decision this transaction saves at its commit took `messageId` (it is not in the history yet). */
  #savedInTx(tx: Sql, sagaId: string, messageId: string): boolean {
    return this.#unsaved.get(tx)?.has(`${sagaId} ${messageId}`) ?? false;
  }

  /** An operator's retry of a FAILED saga: resumes the step or compensation it stopped at. */
  async retry(sagaId: string): Promise<{ retried: boolean; status: string } | undefined> {
    // Decided from the database under its row lock; the cached state, now older, is dropped once committed.
    const result = await this.deps.bus.transact(async (tx, emit) => {
      const stored = await sagaStore.load<D>(tx, sagaId, this.def.type);
      if (!stored) return undefined;
      const now = this.deps.clock.now();
      const decision = this.#decide(stored.state, { kind: 'retry' }, now);
      if (decision.state.status === stored.state.status) return { retried: false, status: stored.state.status };
      decision.history.unshift({
        at: now.toISOString(),
        kind: 'command',
        type: 'operator_retry',
        messageId: null,
        note: 'retried by an operator',
      });
      await sagaStore.save(tx, decision.state, stored.version, decision.history, now);
      this.#effects(decision, emit, null);
      return { retried: true, status: decision.state.status };
    });
    this.#cache.forget(sagaId);
    return result;
  }

  /** Fires every step deadline that has passed; returns how many sagas it moved. */
  tick(): Promise<number> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<number> {
    const now = this.deps.clock.now();
    this.#checkedAt = now.getTime();
    // Decisions taken while the store is read lower it again from here.
    this.#knownDeadline = Number.POSITIVE_INFINITY;
    const limit = 200;
    const { due, next } = await sagaStore.deadlines(this.deps.db, this.def.type, now, limit).catch((err: unknown) => {
      this.#knownDeadline = Number.NEGATIVE_INFINITY;
      throw err;
    });
    // A full page may leave more due: the next check reads again.
    const after = due.length === limit ? now.getTime() : (next?.getTime() ?? Number.POSITIVE_INFINITY);
    this.#knownDeadline = Math.min(this.#knownDeadline, after);
    for (const id of due) {
      await this.deps.bus.transact(
        async (tx, emit) => {
          const stored = await sagaStore.load<D>(tx, id, this.def.type);
          if (!stored) return;
          const decision = this.#decide(stored.state, { kind: 'timeout' }, now);
          if (decision.history.length === 0) return;
          await sagaStore.save(tx, decision.state, stored.version, decision.history, now);
          this.#effects(decision, emit, null);
        },
        { awaitPublish: false },
      );
      this.#cache.forget(id);
    }
    return due.length;
  }

  /**
   * Checks deadlines on a timer (`checkDeadlines` every `intervalMs`): a deadline this process knows
   * of fires at most `intervalMs` late, one set by another instance (should it not fire it, having
   * died) at most `sweepMs` late.
   */
  startDeadlines(intervalMs = 250, sweepMs = 2000): void {
    const loop = async () => {
      if (this.#stopped) return;
      try {
        await this.checkDeadlines(sweepMs);
      } catch (err) {
        this.deps.log.error({ err, saga: this.def.type }, 'deadline check failed');
      }
      if (!this.#stopped) this.#deadlineTimer = setTimeout(loop, intervalMs);
    };
    this.#deadlineTimer = setTimeout(loop, intervalMs);
  }

  /**
   * Fires the passed deadlines (`tick`) if one this process knows of has passed, or if the last
   * check was `sweepMs` ago or more; otherwise reads nothing. Returns how many sagas it moved, or
   * `undefined` when it did not read the store.
   */
  async checkDeadlines(sweepMs: number): Promise<number | undefined> {
    const now = this.deps.clock.now().getTime();
    const sinceCheck = now - this.#checkedAt;
    // A clock set back since the last check says nothing of how long ago that was: a sweep is due.
    if (now < this.#knownDeadline && sinceCheck >= 0 && sinceCheck < sweepMs) return undefined;
    return this.tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#deadlineTimer);
  }

  #decide(state: Decision<D>['state'], input: SagaInput, now: Date): Decision<D> {
    const decision = decide(this.def, state, input, { now, settings: this.deps.settings, newId: () => this.deps.ids.uuid() });
    const { deadlineAt, status } = decision.state;
    // Known here whether or not the decision commits: at worst the store is read once for nothing.
    if (deadlineAt && isActive(status)) this.#knownDeadline = Math.min(this.#knownDeadline, Date.parse(deadlineAt));
    return decision;
  }

  #effects(decision: Decision<D>, emit: Emit, causationId: string | null): void {
    emitDecision(decision, emit, causationId, this.deps.metrics);
  }
}

/** The key under which a transaction gathers saga decisions for its commit. */
const SAVES = 'sagas.instances';

/** A decision waiting for its transaction's commit, and how to drop the cached state it was taken on. */
interface Unsaved {
  save: PendingSave;
  forget: () => void;
}

/**
 * Saves decisions: one alone with `sagaStore.save`, several in one statement (`saveMany`). An
 * instance whose version no longer matched had a stale cached state: it is forgotten, and the
 * transaction fails with a retryable conflict (its retry loads the instance from the database).
 */
async function writeSaves(tx: Sql, values: unknown[]): Promise<void> {
  const unsaved = values as Unsaved[];
  if (unsaved.length === 1) {
    const [{ save, forget }] = unsaved as [Unsaved];
    try {
      await sagaStore.save(tx, save.state, save.version, save.history, save.now);
    } catch (err) {
      forget();
      throw err;
    }
    return;
  }
  const stale = new Set(
    await sagaStore.saveMany(
      tx,
      unsaved.map((u) => u.save),
    ),
  );
  if (stale.size === 0) return;
  for (const u of unsaved) if (stale.has(u.save.state.id)) u.forget();
  throw new AppError('TRANSIENT', `saga ${[...stale].join(', ')} changed concurrently`);
}
