import { decide, isActive, type SagaDefinition, type SagaInput, type SagaState } from '@campusg/saga/pure';
import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { commandMessageId } from './message-id.ts';
import { type ReplySignal, replySignal, retrySignal, type SagaActivities, type SagaWorkflowInput } from './protocol.ts';

// decide() copies the state it is given with structuredClone, which the workflow sandbox lacks. A
// saga's state is JSON (it is stored as JSONB), so a JSON round trip is the same copy.
globalThis.structuredClone ??= <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const { applyDecision } = proxyActivities<SagaActivities>({
  // A decision is one database transaction; a worker that died holding one is given up on after
  // this, and the decision applied by another (a late first attempt then finds the version moved on).
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/**
 * Runs one saga instance as a Temporal workflow, with the bus engine's own pure `decide()`: every
 * input (the start, a reply signalled by the bus consumer, a missed deadline, an operator's retry)
 * is decided here, deterministically, and the decision is stored and sent by the `applyDecision`
 * activity through the outbox. Step deadlines are workflow timers. A FAILED saga waits for an
 * operator's retry; a COMPLETED or COMPENSATED one ends the workflow.
 */
export async function runSagaWorkflow<D>(def: SagaDefinition<D>, input: SagaWorkflowInput<D>): Promise<string> {
  const { workflowId } = workflowInfo();
  let state: SagaState<D> = input.state;
  let version = 1;
  let sends = 0;
  const inbox: SagaInput[] = [];
  setHandler(replySignal, (message: ReplySignal) => void inbox.push({ kind: 'reply', message: message as never }));
  setHandler(retrySignal, () => void inbox.push({ kind: 'retry' }));

  const apply = async (next: SagaInput): Promise<void> => {
    // Workflow time: Date is deterministic in the workflow sandbox (the time of the workflow task).
    const now = new Date();
    const d = decide(def, state, next, {
      now,
      settings: input.settings,
      newId: (send) => commandMessageId(workflowId, send, ++sends),
    });
    if (d.history.length === 0 && d.commands.length === 0 && d.events.length === 0) return;
    await applyDecision({
      version,
      at: now.toISOString(),
      state: d.state as SagaState<unknown>,
      commands: d.commands,
      history: d.history,
      events: d.events,
      causationId: next.kind === 'reply' ? next.message.message_id : null,
    });
    state = d.state;
    version++;
  };

  await apply({ kind: 'start' });
  for (;;) {
    if (isActive(state.status)) {
      const wait = state.deadlineAt === null ? null : Date.parse(state.deadlineAt) - Date.now();
      if (wait === null) await condition(() => inbox.length > 0);
      const arrived = wait === null || (wait > 0 ? await condition(() => inbox.length > 0, wait) : inbox.length > 0);
      if (!arrived) {
        await apply({ kind: 'timeout' });
        continue;
      }
    } else if (state.status === 'FAILED') {
      await condition(() => inbox.length > 0);
    } else {
      return state.status;
    }
    await apply(inbox.shift()!);
  }
}

export type { SagaWorkflowInput } from './protocol.ts';
