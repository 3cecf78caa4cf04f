import { createMessage, type MessageType, type TypedMessage } from '@campusg/contracts';
import { decide, initialState, isActive, type SagaCommand, type SagaDefinition, type SagaState } from '@campusg/saga';
import fc from 'fast-check';
import { acceptOrderSaga } from '../src/accept-order.ts';
import { type CancelOrderData, cancelledAfterGivingUp, cancelOrderSaga, refusedBeforeRelease } from '../src/cancel-order.ts';
import { assertValid, CUSTOMER, ORDER, OTHER_RUNNER, PAYMENT, RUNNER, T0, TOTAL_CENTS } from './harness.ts';

// One order after create-order (CREATED, card held, timer armed), and everything that races for it:
// runners' accept-order sagas, the customer's cancel, the acceptance timer firing with its
// cancel-order saga, step deadlines at any moment, and replies that arrive late. The order, payment
// and timer services are modelled after their handlers; the sagas are the real definitions driven
// through the real engine, with the orchestrators' glue. Commands are served per topic in order
// (one partition per order), each orchestrator group reads each event topic in order.

export type RaceAction =
  | { k: 'accept'; runner: 0 | 1 }
  | { k: 'customer_cancel' }
  | { k: 'fire' } // the acceptance window runs out
  | { k: 'serve'; queue: number } // a service or an orchestrator handles the next message of one queue
  | { k: 'deadline'; saga: number } // a saga's step deadline passes and the deadline check runs
  | { k: 'place' }; // the assigned runner moves the order on over HTTP

export const raceAction: fc.Arbitrary<RaceAction> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('accept' as const), runner: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('customer_cancel' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fire' as const) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('serve' as const), queue: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('deadline' as const), saga: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('place' as const) }) },
);

type OrderStatus = 'CREATED' | 'ACCEPTED' | 'PLACED' | 'CANCELLED';
interface Saga {
  def: SagaDefinition<unknown>;
  state: SagaState<unknown>;
  businessKey: string;
}
const COMMAND_TOPICS = ['order_commands', 'payment_commands', 'timer_commands'] as const;
const EVENT_TOPICS = ['order_events', 'payment_events', 'timer_events'] as const;
const GROUPS = ['accept', 'cancel'] as const;

export class RaceWorld {
  /** `acceptedBy`: the saga whose accept assigned the runner (release_runner undoes that saga's only). */
  order: { status: OrderStatus; runner: string | null; acceptedBy: string | null } = { status: 'CREATED', runner: null, acceptedBy: null };
  timer: 'ARMED' | 'FIRED' | 'STOPPED' = 'ARMED';
  payment: 'AUTHORIZED' | 'REVERTED' = 'AUTHORIZED';
  readonly sagas: Saga[] = [];
  /** Command topics, then each group's copy of each event topic. */
  readonly queues: TypedMessage[][] = [...COMMAND_TOPICS, ...GROUPS.flatMap(() => EVENT_TOPICS)].map(() => []);
  now = new Date(T0);
  #ids = 0;

  /** `restartExpired`: the orchestrators' glue that carries a timeout or a cancel through after a release. */
  constructor(readonly restartExpired: boolean) {}

  newId = (): string => `00000000-0000-4000-8000-${String(++this.#ids).padStart(12, '0')}`;

  #message(type: MessageType, payload: unknown, correlationId: string, causationId: string | null): TypedMessage {
    assertValid(type, payload);
    const opts = { messageId: this.newId(), correlationId, causationId, source: 'race-world', timestamp: this.now };
    return createMessage(type, payload as never, opts) as TypedMessage;
  }

  #decide(saga: Saga, input: Parameters<typeof decide>[2]): void {
    const d = decide(saga.def, saga.state, input, {
      now: new Date(this.now),
      settings: { stepTimeoutMs: 30_000, maxAttempts: 10 },
      newId: this.newId,
    });
    saga.state = d.state;
    for (const { messageId, command } of d.commands) this.#send(command, messageId, saga.state.id);
  }

  #send(command: SagaCommand, messageId: string, sagaId: string): void {
    const topic = command.type === 'revert_payment' ? 1 : command.type === 'stop_order_timer' ? 2 : 0;
    const m = this.#message(command.type, command.payload, sagaId, null);
    this.queues[topic]!.push({ ...m, message_id: messageId });
  }

  #emit(type: MessageType, payload: unknown, cause: TypedMessage | null): void {
    const topic = type.startsWith('order.') ? 0 : type.startsWith('payment.') ? 1 : 2;
    const m = this.#message(type, payload, cause?.correlation_id ?? this.newId(), cause?.message_id ?? null);
    for (let g = 0; g < GROUPS.length; g++) this.queues[COMMAND_TOPICS.length + g * EVENT_TOPICS.length + topic]!.push(m);
  }

  /** Starts a saga unless one holds its business key (exclusive: false, so only while active). */
  start(def: SagaDefinition<unknown>, data: unknown): void {
    const businessKey = def.businessKey(data);
    if (this.sagas.some((s) => s.businessKey === businessKey && isActive(s.state.status))) return;
    const saga: Saga = { def, businessKey, state: initialState(def, { id: this.newId(), data, now: this.now }) };
    this.sagas.push(saga);
    this.#decide(saga, { kind: 'start' });
  }

  /** The order, payment and timer services (after their handlers): one reply to each command. */
  #handle(m: TypedMessage): void {
    const p = m.payload as { runner_id?: string; reason?: string };
    const o = this.order;
    const ids = { order_id: ORDER };
    switch (m.type) {
      case 'accept_order': {
        const r = p.runner_id!;
        if (o.status === 'CREATED') Object.assign(o, { status: 'ACCEPTED', runner: r, acceptedBy: m.correlation_id });
        if (o.status === 'ACCEPTED' && o.runner === r)
          return this.#emit('order.accepted', { ...ids, runner_id: r, customer_id: CUSTOMER }, m);
        return this.#emit('order.accept_failed', { ...ids, runner_id: r, code: 'ORDER_NOT_AVAILABLE' }, m);
      }
      case 'release_runner':
        if (o.status === 'ACCEPTED' && o.runner === p.runner_id && o.acceptedBy === m.correlation_id) {
          Object.assign(o, { status: 'CREATED', runner: null, acceptedBy: null });
          return this.#emit('order.runner_released', { ...ids, runner_id: p.runner_id }, m);
        }
        return this.#emit('order.runner_release_failed', { ...ids, code: 'RUNNER_NOT_ASSIGNED' }, m);
      case 'cancel_order': {
        const previous = o.status;
        if (o.status === 'CREATED') o.status = 'CANCELLED';
        if (o.status === 'CANCELLED') return this.#emit('order.cancelled', { ...ids, reason: p.reason, previous_status: previous }, m);
        return this.#emit('order.cancel_failed', { ...ids, code: 'ORDER_NOT_CANCELLABLE', status: o.status }, m);
      }
      case 'revert_payment':
        this.payment = 'REVERTED';
        return this.#emit('payment.reverted', { payment_id: PAYMENT, ...ids, amount_cents: TOTAL_CENTS, method: 'VOID' }, m);
      case 'stop_order_timer': {
        const already = this.timer !== 'ARMED';
        if (!already) this.timer = 'STOPPED';
        return this.#emit('timer.stopped', { ...ids, reason: p.reason, already }, m);
      }
    }
  }

  /** An orchestrator group handles one event: a reply to one of its sagas, or what starts a saga. */
  #orchestrate(group: (typeof GROUPS)[number], m: TypedMessage): void {
    const def = group === 'accept' ? acceptOrderSaga : cancelOrderSaga;
    const saga = this.sagas.find((s) => s.state.id === m.correlation_id && s.def === def);
    if (saga) this.#decide(saga, { kind: 'reply', message: m });
    if (group !== 'cancel') return;
    if (saga && m.type === 'order.cancelled' && this.restartExpired) {
      const others = this.sagas.filter((s) => s.def === cancelOrderSaga && s !== saga).map((s) => s.state);
      if (cancelledAfterGivingUp(saga.state, others)) this.start(cancelOrderSaga as SagaDefinition<unknown>, saga.state.data);
    }
    if (saga) return;
    if (m.type === 'timer.expired') this.start(cancelOrderSaga as SagaDefinition<unknown>, { orderId: ORDER, reason: 'ACCEPT_TIMEOUT' });
    if (m.type === 'order.runner_released' && this.restartExpired) {
      const cancels = this.sagas.filter((s) => s.def === cancelOrderSaga).reverse();
      const data = refusedBeforeRelease(cancels.map((s) => ({ status: s.state.status, data: s.state.data as CancelOrderData })));
      if (data) this.start(cancelOrderSaga as SagaDefinition<unknown>, data);
    }
  }

  /** Serves the head of a queue; false when it is empty. */
  serve(queue: number): boolean {
    const m = this.queues[queue]?.shift();
    if (!m) return false;
    this.now = new Date(this.now.getTime() + 10);
    if (queue < COMMAND_TOPICS.length) this.#handle(m);
    else this.#orchestrate(GROUPS[Math.floor((queue - COMMAND_TOPICS.length) / EVENT_TOPICS.length)]!, m);
    return true;
  }

  fire(): void {
    if (this.timer !== 'ARMED') return;
    this.timer = 'FIRED';
    this.#emit('timer.expired', { order_id: ORDER, timeout_at: this.now.toISOString() }, null);
  }

  /** The deadline of an active saga passes and the orchestrator's deadline check runs. */
  deadline(i: number): void {
    const active = this.sagas.filter((s) => isActive(s.state.status) && s.state.deadlineAt);
    const saga = active[i % Math.max(active.length, 1)];
    if (!saga) return;
    this.now = new Date(Math.max(this.now.getTime(), new Date(saga.state.deadlineAt!).getTime()) + 1);
    this.#decide(saga, { kind: 'timeout' });
  }

  act(a: RaceAction): void {
    switch (a.k) {
      case 'accept':
        return this.start(acceptOrderSaga as SagaDefinition<unknown>, { orderId: ORDER, runnerId: a.runner ? OTHER_RUNNER : RUNNER });
      case 'customer_cancel':
        return this.start(cancelOrderSaga as SagaDefinition<unknown>, { orderId: ORDER, reason: 'CUSTOMER_CANCELLED' });
      case 'fire':
        return this.fire();
      case 'serve': {
        // That queue if it holds a message, else one of those that do.
        if (this.serve(a.queue)) return;
        const open = this.queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
        if (open.length > 0) this.serve(open[a.queue % open.length]!);
        return;
      }
      case 'deadline':
        return this.deadline(a.saga);
      case 'place':
        if (this.order.status === 'ACCEPTED') this.order.status = 'PLACED';
    }
  }

  /** Every message handled; sagas still waiting (their reply was taken by a timed-out send) pass their deadlines. */
  settle(): void {
    for (let rounds = 0; rounds < 1_000; rounds++) {
      const queue = this.queues.findIndex((q) => q.length > 0);
      if (queue >= 0) this.serve(queue);
      else if (this.sagas.some((s) => isActive(s.state.status))) this.deadline(0);
      else return;
    }
    throw new Error('the world did not settle');
  }

  /** sagas.md's invariants for one settled order (a FAILED saga waits for an operator instead). */
  violations(): string[] {
    if (this.sagas.some((s) => s.state.status === 'FAILED')) return [];
    const v: string[] = [];
    const open = this.order.status !== 'CANCELLED';
    if (this.order.status === 'CREATED' && this.timer !== 'ARMED') v.push(`CREATED order with its timer ${this.timer}`);
    if (this.payment === 'AUTHORIZED' && !open) v.push('held payment on a CANCELLED order');
    if (this.payment !== 'AUTHORIZED' && open) v.push(`open order (${this.order.status}) without a held payment`);
    if ((this.order.status === 'CREATED' || this.order.status === 'CANCELLED') !== (this.order.runner === null)) v.push('runner mismatch');
    return v;
  }
}
