export { sagaActivities } from './activities.ts';
export { commandMessageId, nameBasedUuid } from './message-id.ts';
export type { DecisionRecord, ReplySignal, SagaActivities, SagaWorkflowInput } from './protocol.ts';
export { type TemporalRunnerDeps, TemporalSagaRunner } from './runner.ts';
export { openTemporal, quietTemporalRuntime, type TemporalLink, type TemporalSettings, workflowBundle } from './worker.ts';
