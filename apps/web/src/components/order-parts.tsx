import type { Order } from '@campusg/contracts';
import { Link } from 'react-router';
import { money, orderRef, when } from '../lib/format.ts';
import { StatusBadge } from './status-badge.tsx';

/** "2 × Chicken rice, 1 × Teh peng". */
export const itemsLine = (order: Order): string => order.items.map((i) => `${i.quantity} × ${i.name}`).join(', ');

/** One order in a list: what, where, how much, and where it stands; links to its page. */
export function OrderRow({ order, children }: { order: Order; children?: React.ReactNode }) {
  return (
    <li className="order-row">
      <div className="order-row__main">
        <div className="order-row__head">
          <Link to={`/orders/${order.id}`} className="order-row__title">
            {order.store.name}
            <span className="visually-hidden"> order {orderRef(order.id)}</span>
          </Link>
          <StatusBadge status={order.status} />
        </div>
        <p className="order-row__items">{itemsLine(order)}</p>
        <p className="order-row__meta muted">
          <span>{orderRef(order.id)}</span>
          <span>
            From {order.store.location} to {order.deliveryLocation.building}, {order.deliveryLocation.room}
          </span>
          <span>{when(order.createdAt)}</span>
        </p>
      </div>
      <div className="order-row__side">
        <span className="order-row__total">{money(order.totalCents)}</span>
        {children}
      </div>
    </li>
  );
}

/** The items, fee and total of an order. */
export function OrderBill({ order }: { order: Order }) {
  return (
    <table className="table bill">
      <caption className="visually-hidden">Items</caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          {['Qty', 'Price', 'Amount'].map((column) => (
            <th key={column} scope="col" className="num">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {order.items.map((item, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: items have no id and never reorder
          <tr key={i}>
            <td>{item.name}</td>
            <td className="num">{item.quantity}</td>
            <td className="num">{money(item.priceCents)}</td>
            <td className="num">{money(item.quantity * item.priceCents)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Delivery fee
          </th>
          <td className="num">{money(order.deliveryFeeCents)}</td>
        </tr>
        <tr className="bill__total">
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td className="num">{money(order.totalCents)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
