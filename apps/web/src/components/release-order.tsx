import type { Order } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys, useSaga } from '../api/queries.ts';
import { ConfirmDialog, useDialog } from './confirm-dialog.tsx';
import { ErrorNotice, Notice } from './feedback.tsx';

/**
 * The runner gives an accepted order back before buying the food: it returns to the other
 * runners with a fresh acceptance window. Reported done once the release-order saga has finished.
 */
export function ReleaseOrder({ order }: { order: Order }) {
  const queryClient = useQueryClient();
  const confirm = useDialog();
  const release = useMutation({ mutationFn: () => api.orders.release(order.id), onSettled: confirm.close });
  const saga = useSaga(release.data?.sagaId);
  const status = saga.data?.status;
  // The order has left this runner's deliveries.
  useEffect(() => {
    if (status === 'COMPLETED') void queryClient.invalidateQueries({ queryKey: keys.allOrders });
  }, [status, queryClient]);
  if (status === 'COMPLETED') {
    return <Notice tone="info">You gave this order back. Other runners can accept it now.</Notice>;
  }
  if (status === 'COMPENSATED' || status === 'FAILED' || isApiError(release.error, 'INVALID_TRANSITION')) {
    return (
      <Notice tone="warning" alert>
        This order can no longer be given back.
      </Notice>
    );
  }
  if (release.isSuccess) {
    return (
      <p className="pending" role="status">
        <span className="spinner spinner--small" aria-hidden="true" /> Giving the order back…
      </p>
    );
  }
  if (order.status !== 'ACCEPTED') return null;
  return (
    <div className="cancel">
      <ErrorNotice error={release.error} />
      <button type="button" className="button button--ghost button--danger-text" onClick={confirm.show}>
        Give order back
      </button>
      <ConfirmDialog
        dialog={confirm}
        action={release}
        title="Give this order back?"
        confirmLabel="Yes, give it back"
        busyLabel="Giving back…"
      >
        <p>It goes back to the other runners with a fresh time to accept. The customer is told.</p>
      </ConfirmDialog>
    </div>
  );
}
