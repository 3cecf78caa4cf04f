import type { MessageType, TypedMessage } from '@campusg/contracts';
import type { Emit, Handler, Handlers, MessageBus } from '@campusg/messaging';
import { AppError, type Clock, type IdGenerator, type Logger, type Sql } from '@campusg/platform';
import {
  type AfterCommit,
  initialState,
  isActive,
  type SagaDefinition,
  type SagaRunner,
  type SagaSettings,
  type SagaState,
  type StartParams,
  sagaStore,
} from '@campusg/saga';
import type { Client } from '@temporalio/client';
import { replySignal, retrySignal, type SagaWorkflowInput } from './protocol.ts';

export interface TemporalRunnerDeps {
  bus: MessageBus;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  settings: SagaSettings;
  /** The Temporal client, once connected (the runner is used only after its service started). */
  client: () => Client;
  taskQueue: string;
}

/** How long a stored instance may wait for its workflow before the launcher starts it again. */
const LAUNCH_GRACE_MS = 2000;

/**
 * Runs one saga definition on Temporal, behind the same `SagaRunner` as the bus orchestrator. The
 * instance is stored as the bus engine stores it (`sagas.instances`, version 1, in the caller's
 * transaction, with the same business-key rule), and its workflow (id = saga id) is started once
 * that committed; a launcher starts any stored instance whose workflow never began (a crash between
 * the two). Replies from the definition's consumer group are signalled to the workflow; the
 * workflow's decisions keep `sagas.instances` and `sagas.history` current, so every reader of the
 * saga store (the saga view, operators, metrics) sees the same as with the bus engine.
 */
export class TemporalSagaRunner<D> implements SagaRunner<D> {
  #launcher: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly def: SagaDefinition<D>,
    /** The workflow type that runs this definition, and the definition's own settings it takes. */
    readonly workflow: { type: string; options: unknown },
    private readonly deps: TemporalRunnerDeps,
  ) {}

  async start(tx: Sql, _emit: Emit, params: StartParams<D>): Promise<{ sagaId: string; created: boolean }> {
    const now = this.deps.clock.now();
    const id = params.sagaId ?? this.deps.ids.uuid();
    // The launch deadline: past it, a RUNNING instance at version 1 has no workflow yet.
    const state = {
      ...initialState(this.def, { id, data: params.data, now }),
      deadlineAt: new Date(now.getTime() + LAUNCH_GRACE_MS).toISOString(),
    };
    const stored = await sagaStore.insert(tx, state, {
      businessKey: this.def.businessKey(params.data),
      exclusive: this.def.exclusive,
      startedBy: params.startedBy,
      now,
      history: [],
    });
    if (stored.created) params.afterCommit?.(() => void this.#launch(state));
    return { sagaId: stored.id, created: stored.created };
  }

  /** Starts the instance's workflow; one already started (by another process, say) is left alone. */
  async #launch(state: SagaState<D>): Promise<void> {
    const input: SagaWorkflowInput<D> = {
      state: { ...state, deadlineAt: null },
      settings: this.deps.settings,
      options: this.workflow.options,
    };
    try {
      await this.deps.client().workflow.start(this.workflow.type, {
        workflowId: state.id,
        taskQueue: this.deps.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (isTemporalError(err, 'WorkflowExecutionAlreadyStartedError')) return;
      this.deps.log.warn({ err, sagaId: state.id }, 'saga workflow not started yet; the launcher retries');
    }
  }

  async listen(extra: Handlers = {}): Promise<void> {
    const replyTypes = new Set<MessageType>(this.def.steps.flatMap((s) => Object.keys(s.replies) as MessageType[]));
    const handlers: Handlers = {};
    const onReply: Handler = async (m, ctx) => void (await this.onMessage(m, ctx.tx, ctx.emit));
    for (const type of replyTypes) (handlers as Record<string, Handler>)[type] = onReply;
    for (const type of this.def.compensationReplies) (handlers as Record<string, Handler>)[type] ??= onReply;
    Object.assign(handlers, extra);
    await this.deps.bus.consume(this.def.group, [...this.def.topics], handlers);
  }

  /**
   * Signals a reply to its saga's workflow, if the saga is of this type. A reply to a finished saga
   * is recorded in its history as ignored, as the bus engine does. Returns the saga's stored state,
   * which the workflow updates once it has decided.
   */
  async onMessage(message: TypedMessage, tx: Sql, _emit: Emit, _afterCommit?: AfterCommit): Promise<SagaState<D> | undefined> {
    const [row] = await tx.query<{ type: string; state: SagaState<D>; version: number }>(
      'select type, state, version from sagas.instances where id = $1',
      [message.correlation_id],
    );
    if (!row || row.type !== this.def.type) return undefined;
    const { state } = row;
    if (isActive(state.status) || state.status === 'FAILED') {
      if (await this.#signal(state.id, message)) return state;
    }
    const now = this.deps.clock.now();
    const note = 'ignored: does not answer the command in hand';
    const entry = { at: now.toISOString(), kind: 'event' as const, type: message.type, messageId: message.message_id, note };
    await sagaStore.save(tx, state, row.version, [entry], now);
    return state;
  }

  /** Whether the workflow took the signal (false: it has ended). Temporal unreachable is retryable. */
  async #signal(sagaId: string, message: TypedMessage): Promise<boolean> {
    const { type, message_id, causation_id, payload } = message;
    try {
      await this.deps.client().workflow.getHandle(sagaId).signal(replySignal, { type, message_id, causation_id, payload });
      return true;
    } catch (err) {
      if (isTemporalError(err, 'WorkflowNotFoundError')) return false;
      throw new AppError('TRANSIENT', `saga ${sagaId}: the reply could not be handed to its workflow`, { cause: err });
    }
  }

  async retry(sagaId: string): Promise<{ retried: boolean; status: string } | undefined> {
    const stored = await this.deps.bus.transact((tx) => sagaStore.load<D>(tx, sagaId, this.def.type));
    if (!stored) return undefined;
    const { state } = stored;
    if (state.status !== 'FAILED') return { retried: false, status: state.status };
    await this.deps.client().workflow.getHandle(sagaId).signal(retrySignal);
    return { retried: true, status: state.failedIn === 'compensation' ? 'COMPENSATING' : 'RUNNING' };
  }

  /** Launches, every second, the stored instances whose workflow has not begun by their launch deadline. */
  startDeadlines(intervalMs = 1000): void {
    const loop = async () => {
      if (this.#stopped) return;
      try {
        await this.launchPending();
      } catch (err) {
        this.deps.log.error({ err, saga: this.def.type }, 'saga launcher failed');
      }
      if (!this.#stopped) this.#launcher = setTimeout(loop, intervalMs);
    };
    this.#launcher = setTimeout(loop, 0);
  }

  /** Starts the workflow of every instance stored but never decided on (version 1) past its launch deadline. */
  async launchPending(): Promise<number> {
    const now = this.deps.clock.now();
    const rows = await this.deps.bus.transact(
      (tx) =>
        tx.query<{ state: SagaState<D> }>(
          `select state from sagas.instances where type = $1 and version = 1 and status in ('RUNNING', 'COMPENSATING')
           and deadline_at <= $2 order by deadline_at limit 200`,
          [this.def.type, now],
        ),
      { awaitPublish: false },
    );
    for (const { state } of rows) await this.#launch(state);
    return rows.length;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#launcher);
  }
}

/**
 * Whether `err` is the Temporal error of that class. By its name, which the SDK gives each error
 * class (and checks `instanceof` by): the client's error classes are not loaded just for a check.
 */
function isTemporalError(err: unknown, name: string): boolean {
  return (err as { name?: unknown } | null)?.name === name;
}
