import { EventEmitter } from 'node:events';
import type { NotificationItem, OrderRecord, OrderStatus } from '@campusg/contracts';

export type LiveEvent =
  /** An order changed: as the read model has it, for its customer and runner. */
  | { kind: 'order'; order: OrderRecord }
  | { kind: 'notification'; userId: string; notification: NotificationItem }
  | { kind: 'available'; orderId: string; status: OrderStatus }
  /** The session of a token ended (signed out or expired): its streams close. */
  | { kind: 'session_ended'; tokenId: string };

/** In-process fan-out of committed changes (from the live feed) and ended sessions to this instance's open `/api/stream` connections. */
export class LiveHub {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  publish(event: LiveEvent): void {
    this.#emitter.emit('event', event);
  }
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}
