import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { giveBack, navigate, savePayoutAccount, searchOrders, seen, shot } from './web-actions.ts';

/**
 * A chapter of the browser story (web.e2e.test.ts), on its pages as the chapters before left them:
 * the customer searches their orders and orders a completed one again; the runner takes it and
 * gives it back, the customer is told and cancels it; the runner changes the payout account.
 */
export async function searchReorderAndGiveBack(customer: Page, runner: Page, firstOrderId: string): Promise<void> {
  await customer.getByLabel('Status').selectOption('');
  await searchOrders(customer, 'KOPI');
  await seen(customer.getByText('All 6 orders shown.'));
  await searchOrders(customer, 'latte');
  await seen(customer.getByText('That is your only order.'));
  await seen(customer.getByRole('list', { name: 'Orders' }).getByText('Starbucks'));
  await searchOrders(customer, 'sushi');
  await seen(customer.getByText('No orders match “sushi”'));

  // "Order again" fills the form with the completed order; placing it makes a new order.
  await customer.goto(`/orders/${firstOrderId}`);
  await customer.getByRole('link', { name: 'Order again' }).click();
  await seen(customer.getByText('Filled in from your order at Koufu.'));
  expect(await customer.getByLabel('Store name').inputValue()).toBe('Koufu');
  expect(await customer.getByLabel('Item 2 name').inputValue()).toBe('Teh peng');
  expect(await customer.getByLabel('Room').inputValue()).toBe('GSR 2-4');
  await seen(customer.getByTestId('order-total').getByText('S$13.80'));
  await shot(customer, 'order-again');
  await customer.getByRole('button', { name: 'Place order · S$13.80' }).click();
  await customer.waitForURL((url) => /\/orders\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(firstOrderId));
  const againId = customer.url().split('/').pop()!;
  await seen(customer.getByText('Finding you a runner…'));

  // The runner takes it, then gives it back: it is open again, with a fresh window, and the customer is told.
  await runner.goto('/runner');
  await runner.getByRole('button', { name: /^Accept Koufu order, S\$13\.80/ }).click();
  await runner.getByRole('link', { name: 'Start delivery' }).click();
  await giveBack(runner);
  await seen(runner.getByText('You gave this order back. Other runners can accept it now.'));
  await shot(runner, 'order-given-back');
  await seen(customer.getByText('Finding you a runner…'));
  await seen(customer.getByText('Time left for a runner to accept'));
  await customer.getByRole('link', { name: /^Notifications/ }).click();
  await seen(customer.getByText('Rob Runner gave your order back. It is open to other runners again.'));
  await customer.goto(`/orders/${againId}`);
  await customer.getByRole('button', { name: 'Cancel order' }).click();
  await customer.getByRole('dialog', { name: 'Cancel this order?' }).getByRole('button', { name: 'Yes, cancel order' }).click();
  await seen(customer.getByText('You cancelled this order. Any hold on your card was released.'));

  // The runner changes the payout account the next payouts go to.
  await navigate(runner, 'Profile');
  await runner.getByRole('button', { name: 'Change payout account' }).click();
  await savePayoutAccount(runner, '1234');
  await seen(runner.getByText('Must be 6 to 20 digits'));
  await savePayoutAccount(runner, '0012 3456 7890');
  await seen(runner.getByText('Bank account ending in 7890'));
  await shot(runner, 'payout-account');
}
