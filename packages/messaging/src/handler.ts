import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { Logger, Sql } from '@campusg/platform';
import type { ConsumedRecord } from './transport.ts';

/** Who a message belongs to: the partition key (an order id) and the saga it is part of. */
export interface Routing {
  key: string;
  correlationId: string;
  causationId?: string | null;
  /** A message id decided in advance (a saga records it before the command is sent). */
  messageId?: string;
}

export type Emit = <T extends MessageType>(type: T, payload: PayloadOf<T>, routing?: Partial<Routing>) => TypedMessage<T>;

export interface HandlerContext {
  tx: Sql;
  /** Emits a message in this transaction; by default a reply: same key and correlation, caused by the input. */
  emit: Emit;
  now: Date;
  log: Logger;
  record: ConsumedRecord;
  /**
   * Every message the handler's transaction handles, in the order they are handled, this one among
   * them: a handler can load the state of them all with its first read (one statement for the set),
   * then keep it current as each is handled. Absent where a handler runs outside the bus.
   */
  batch?: readonly TypedMessage[];
  /** Runs `fn` once the handler's transaction has committed (e.g. to push a live update). */
  afterCommit: (fn: () => void) => void;
}

export type Handler<T extends MessageType = MessageType> = (message: TypedMessage<T>, ctx: HandlerContext) => Promise<void>;
export type Handlers = { [T in MessageType]?: Handler<T> };
