import type { MessageBus } from '@campusg/messaging';
import type { Metrics } from '@campusg/platform';
import { emitDecision, sagaStore } from '@campusg/saga';
import type { DecisionRecord, SagaActivities } from './protocol.ts';

/**
 * The saga workflows' one activity: a decision stored (instance and history, with optimistic
 * concurrency) and its commands and `saga.*` events written to the outbox, in one transaction.
 * A retried activity whose first run committed finds the version already moved on and does nothing,
 * so a decision takes effect once.
 */
export function sagaActivities(deps: { bus: MessageBus; metrics: Metrics }): SagaActivities {
  return {
    async applyDecision(record: DecisionRecord): Promise<void> {
      await deps.bus.transact(async (tx, emit) => {
        const [row] = await tx.query<{ version: number }>('select version from sagas.instances where id = $1 for update', [
          record.state.id,
        ]);
        if (!row) throw new Error(`saga ${record.state.id} is not stored`);
        if (row.version > record.version) return;
        await sagaStore.save(tx, record.state, record.version, record.history, new Date(record.at));
        emitDecision(record, emit, record.causationId, deps.metrics);
      });
    },
  };
}
