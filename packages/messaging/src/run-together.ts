import { keyOf, type MessageType, type TypedMessage } from '@campusg/contracts';
import type { Sql } from '@campusg/platform';
import type { HandlerContext } from './handler.ts';
import { perTransaction } from './read-together.ts';

/** A statement that the handlers of one message type run, one row per message, as `RunTogether` runs it. */
export interface RunSpec<Result> {
  /** The type of the messages whose handler runs it. */
  type: MessageType;
  /**
   * Runs the statement for `messages` (of `type`, no key twice) in one go, at `now`; the results by
   * the messages' keys (`keyOf`: the order id), in lower case. A message may have no result (a
   * conditional write that did nothing).
   */
  run(tx: Sql, messages: TypedMessage[], now: Date): Promise<Map<string, Result>>;
}

/** What a handler is given that `RunTogether` needs. */
export type RunContext = Pick<HandlerContext, 'tx' | 'batch' | 'now'>;

/**
 * One statement for the messages of one type in a transaction (`HandlerContext.batch`), where each
 * handler would run it for its own message: the first handler of the type runs it for its message
 * and for every later message of the type whose key (`keyOf`: its order, the partition key) no other
 * message of the transaction names, and
 * those handlers find their result in memory. A message whose key another message of the
 * transaction also names (two commands for one order, a copy of a command) is left to its own turn,
 * and its handler then runs the statement for it (and for the later ones that may go with it): each
 * message sees what it would have seen handled alone, however the transaction interleaves them.
 * Rows written ahead belong to orders no earlier message of the transaction touched and no later one
 * but their own will. A transaction of one message runs the statement as it did, for one row.
 */
export class RunTogether<Result> {
  readonly #spec: RunSpec<Result>;
  readonly #open: (ctx: RunContext, message: TypedMessage) => TransactionRun<Result>;

  constructor(spec: RunSpec<Result>) {
    this.#spec = spec;
    this.#open = perTransaction((ctx, message) => new TransactionRun(spec, ctx.batch ?? [message]));
  }

  /** The statement's result for `message` (of the spec's type), run now unless it ran ahead with an earlier message's. */
  async for(ctx: RunContext, message: TypedMessage): Promise<Result | undefined> {
    if (message.type !== this.#spec.type) throw new Error(`${message.type} is not ${this.#spec.type}`);
    return this.#open(ctx, message).for(ctx, message);
  }
}

/** One transaction's runs of a `RunTogether`. */
class TransactionRun<Result> {
  readonly #spec: RunSpec<Result>;
  readonly #batch: readonly TypedMessage[];
  /** The messages that may run ahead: of the type, their key named by no other message of the transaction. */
  readonly #alone: Set<TypedMessage>;
  /** The messages run, and their results (by message: two copies of one message are two messages here). */
  readonly #results = new Map<TypedMessage, Result | undefined>();

  constructor(spec: RunSpec<Result>, batch: readonly TypedMessage[]) {
    this.#spec = spec;
    this.#batch = batch;
    const named = new Map<string, number>();
    const keys = batch.map((m) => keyOf(m).toLowerCase());
    for (const k of keys) named.set(k, (named.get(k) ?? 0) + 1);
    this.#alone = new Set(batch.filter((m, i) => m.type === spec.type && named.get(keys[i]!) === 1));
  }

  async for(ctx: RunContext, message: TypedMessage): Promise<Result | undefined> {
    if (this.#results.has(message)) return this.#results.get(message);
    const run = [message, ...this.#batch.filter((m) => m !== message && this.#alone.has(m) && !this.#results.has(m))];
    const results = await this.#spec.run(ctx.tx, run, ctx.now);
    for (const m of run) this.#results.set(m, results.get(keyOf(m).toLowerCase()));
    return this.#results.get(message);
  }
}
