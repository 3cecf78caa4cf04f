import type { SagaType } from '@campusg/contracts';
import type { Emit } from '@campusg/messaging';
import type { Metrics } from '@campusg/platform';
import type { Decision } from './engine.ts';

const END_EVENTS = new Set(['saga.completed', 'saga.compensated', 'saga.failed']);

/**
 * Sends what a decision asks for through the caller's outbox: its commands (keyed by the instance's
 * key, `correlation_id` = saga id) and its `saga.*` events; an ending decision is timed in
 * `campusg_saga_duration_seconds`. Every saga engine emits a decision this way.
 */
export function emitDecision<D>(
  decision: Pick<Decision<D>, 'state' | 'commands' | 'events'>,
  emit: Emit,
  causationId: string | null,
  metrics: Metrics,
): void {
  const { state } = decision;
  const routing = { key: state.key, correlationId: state.id, causationId };
  for (const { messageId, command } of decision.commands) {
    emit(command.type, command.payload as never, { ...routing, messageId });
  }
  for (const event of decision.events) {
    // messages.md names the instance's key `order_id` in the `saga.*` events; the bus validates `saga_type`.
    emit(
      event.type,
      {
        saga_id: state.id,
        saga_type: state.type as SagaType,
        order_id: state.key,
        step: event.step,
        status: state.status,
        error: state.error?.slice(0, 1000) ?? null,
      },
      routing,
    );
  }
  if (decision.events.some((e) => END_EVENTS.has(e.type)) && state.endedAt) {
    const seconds = (new Date(state.endedAt).getTime() - new Date(state.startedAt).getTime()) / 1000;
    metrics.sagaDuration.observe({ type: state.type, status: state.status }, seconds);
  }
}
