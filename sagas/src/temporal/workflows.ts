/**
 * The CampusG sagas as Temporal workflows (workflow code: bundled and run in Temporal's
 * deterministic sandbox). Each runs its definition with the engine's own `decide()`.
 */
import { runSagaWorkflow, type SagaWorkflowInput } from '@campusg/saga-temporal/workflow';
import { type AcceptOrderData, acceptOrderSaga } from '../accept-order.ts';
import { type CancelOrderData, cancelOrderSaga } from '../cancel-order.ts';
import { type CompleteOrderData, completeOrderSaga } from '../complete-order.ts';
import { type CreateOrderData, type CreateOrderSettings, createOrderSaga } from '../create-order.ts';
import { type ReleaseOrderData, releaseOrderSaga } from '../release-order.ts';

export const createOrder = (input: SagaWorkflowInput<CreateOrderData, CreateOrderSettings>) =>
  runSagaWorkflow(createOrderSaga(input.options), input);

export const acceptOrder = (input: SagaWorkflowInput<AcceptOrderData>) => runSagaWorkflow(acceptOrderSaga, input);

export const completeOrder = (input: SagaWorkflowInput<CompleteOrderData>) => runSagaWorkflow(completeOrderSaga, input);

export const cancelOrder = (input: SagaWorkflowInput<CancelOrderData>) => runSagaWorkflow(cancelOrderSaga, input);

export const releaseOrder = (input: SagaWorkflowInput<ReleaseOrderData>) => runSagaWorkflow(releaseOrderSaga, input);
