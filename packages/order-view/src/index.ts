export { orderViewChange, type ViewChange } from './order-view-change.ts';
export {
  type AppliedOrderEvent,
  applyOrderChanges,
  applyOrderEvent,
  findOrderView,
  findOrderViews,
  ORDER_EVENT_TYPES,
  ORDER_VIEW_CONSUMING,
  type OrderParties,
  type OrderViewTable,
  orderViewHandlers,
  orderViewTableSql,
  type PartiesView,
  partiesView,
  wholeOrderView,
} from './order-view-store.ts';
export { readCurrentOrderView, readOrderView } from './read-order-view.ts';
