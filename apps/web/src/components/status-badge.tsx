import type { OrderStatus } from '@campusg/contracts';
import { STATUS_LABEL, STATUS_TONE } from '../lib/order-status.ts';

export function StatusBadge({ status }: { status: OrderStatus }) {
  return <span className={`badge badge--${STATUS_TONE[status]}`}>{STATUS_LABEL[status]}</span>;
}
