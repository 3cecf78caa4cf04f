import type { Order, ProgressStatus } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys, useSaga } from '../api/queries.ts';
import { money } from '../lib/format.ts';
import { nextRunnerAction } from '../lib/order-status.ts';
import { describeError, Notice } from './feedback.tsx';

/**
 * The runner's one next move on an order they hold: the next progress step, then completing it.
 * Completing reports success only when the complete-order saga has finished (payout, then COMPLETED).
 */
export function RunnerAction({ order, onCompleting }: { order: Order; onCompleting?: () => void }) {
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: keys.allOrders });
  const progress = useMutation({
    mutationFn: (status: ProgressStatus) => api.orders.progress(order.id, status),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.order(updated.id), updated);
      refresh();
    },
    onError: refresh,
  });
  const complete = useMutation({ mutationFn: () => api.orders.complete(order.id), onMutate: onCompleting });
  const saga = useSaga(complete.data?.sagaId);

  if (complete.isSuccess) {
    const status = saga.data?.status;
    if (status === 'COMPLETED') {
      return (
        <Notice tone="success" alert>
          Delivery complete. {money(order.totalCents)} is paid to your <Link to="/wallet">wallet</Link>.
        </Notice>
      );
    }
    if (status === 'COMPENSATED' || status === 'FAILED') {
      return (
        <Notice tone="danger" alert>
          We could not complete this order{saga.data?.error ? ` (${saga.data.error})` : ''}. Please try again in a moment.
        </Notice>
      );
    }
    return (
      <p className="pending" role="status">
        <span className="spinner spinner--small" aria-hidden="true" /> Completing and paying you out…
      </p>
    );
  }

  const action = nextRunnerAction(order.status);
  if (!action) return null;
  const busy = progress.isPending || complete.isPending;
  const error = progress.error ?? complete.error;
  return (
    <div className="runner-action">
      <button
        type="button"
        className="button"
        disabled={busy}
        onClick={() => (action.progress ? progress.mutate(action.progress) : complete.mutate())}
      >
        {busy ? 'Saving…' : action.label}
      </button>
      {error && (
        <Notice tone="danger" alert>
          {isApiError(error, 'INVALID_TRANSITION') ? 'This order has already moved on; it has been refreshed.' : describeError(error)}
        </Notice>
      )}
    </div>
  );
}
