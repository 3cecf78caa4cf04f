import { EventEmitter } from 'node:events';
import type { NotificationItem, OrderStatus } from '@campusg/contracts';

export type LiveEvent =
  | { kind: 'order'; orderId: string; userIds: string[] }
  | { kind: 'notification'; userId: string; notification: NotificationItem }
  | { kind: 'available'; orderId: string; status: OrderStatus };

/** In-process fan-out of committed changes to the open `/api/stream` connections. */
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
